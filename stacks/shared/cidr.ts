/** IPv4 CIDR arithmetic, done at synth time so subnet ranges are visible in the JSON and in tests. */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`; returns undefined unless it is a canonical network address. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined; // host bits set: 10.0.0.1/16 is a typo, not a network
  return { base, prefix };
}

function format(base: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/** Terraform's cidrsubnet(): the `index`-th block of `newBits` extra prefix bits. */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`cidrSubnet: ${JSON.stringify(cidr)} is not an IPv4 network CIDR`);
  const prefix = parsed.prefix + newBits;
  if (prefix > 28 || index < 0 || index >= 2 ** newBits) {
    throw new Error(`cidrSubnet: block ${index} of /${prefix} does not fit in ${cidr} (AWS subnets are /16 to /28)`);
  }
  return format(parsed.base + index * 2 ** (32 - prefix), prefix);
}
