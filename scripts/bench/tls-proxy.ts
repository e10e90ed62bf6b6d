/**
 * A TLS front for the emulator that keeps connections alive, as AWS endpoints do. moto's server
 * (werkzeug) answers every request with `Connection: close`, so each SDK call behind it would pay
 * a full TLS handshake and a new SecureContext: in a profile of a drain that was 30 % of the
 * consumer's CPU, a cost no consumer pays against AWS. Requests are forwarded unchanged to moto over
 * loopback HTTP; its call counter (nexus_moto.py --count-calls) still sees every one.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:https";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import { REPO_ROOT } from "../local/services";

export interface TlsProxy {
  readonly endpoint: string;
  /** The proxy's CA, and the system bundle plus that CA (for NODE_EXTRA_CA_CERTS). */
  readonly ca: string;
  readonly caBundle: string;
  close(): Promise<void>;
}

/** The emulator's certificates (scripts/emulator/tls.py), created if missing. */
export function certificates(): Record<"ca" | "server" | "server-key" | "ca-bundle", string> {
  const script = [
    "import json, sys",
    "from pathlib import Path",
    "sys.path.insert(0, 'scripts/emulator')",
    "from tls import ensure_certificates",
    "print(json.dumps({k: str(v) for k, v in ensure_certificates(Path('.local/tls').resolve()).items()}))",
  ].join("\n");
  const python = join(REPO_ROOT, ".venv", "bin", "python");
  return JSON.parse(execFileSync(python, ["-c", script], { cwd: REPO_ROOT, encoding: "utf8" }));
}

export async function startTlsProxy(target: string): Promise<TlsProxy> {
  const certs = certificates();
  const upstream = new URL(target);
  const server = createServer(
    { key: readFileSync(certs["server-key"]), cert: readFileSync(certs.server), keepAlive: true },
    (req, res) => {
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (reply) => {
          const headers = { ...reply.headers };
          delete headers.connection; // moto's `close`: the client's connection stays open
          res.writeHead(reply.statusCode ?? 502, headers);
          reply.pipe(res);
        },
      );
      forward.on("error", (err) => {
        res.writeHead(502);
        res.end(`tls-proxy: ${err.message}`);
      });
      req.pipe(forward);
    },
  );
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    ca: certs.ca,
    caBundle: certs["ca-bundle"],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
