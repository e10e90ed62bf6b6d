/**
 * Terraform or OpenTofu for this project without touching the user's home: a project-local CLI
 * config per engine (.toolchain/<engine>/cli.tfrc) with a project-local provider plugin cache, and a
 * filesystem mirror of the AWS provider when this machine has one (found, not assumed: see
 * findProviderMirror), with the Docker provider npm run setup built beside it, else the engine's
 * public registry. NEXUS_ENGINE picks the engine; every
 * Terraform command our scripts run, and cdktf-cli (TERRAFORM_BINARY_NAME), gets `terraformEnv()`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { DOCKER_PROVIDER } from "../../stacks/registry/docker-provider";

export const ROOT = join(__dirname, "..", "..");

export const ENGINES = ["terraform", "opentofu"] as const;
export type Engine = (typeof ENGINES)[number];

/** NEXUS_ENGINE: terraform (the default, from PATH) or opentofu (built into .toolchain by npm run setup). */
export function engine(env: NodeJS.ProcessEnv = process.env): Engine {
  const name = env.NEXUS_ENGINE ?? "terraform";
  if (!(ENGINES as readonly string[]).includes(name)) {
    throw new Error(`NEXUS_ENGINE must be one of ${ENGINES.join(", ")}, got ${JSON.stringify(name)}`);
  }
  return name as Engine;
}

const OPENTOFU_BIN = join(ROOT, ".toolchain", "opentofu", "bin", "tofu");

/** The engine's executable: `terraform` from PATH, or the OpenTofu that npm run setup built. */
export function engineBinary(e: Engine = engine()): string {
  if (e === "terraform") return "terraform";
  if (!existsSync(OPENTOFU_BIN)) throw new Error(`OpenTofu is not built at ${OPENTOFU_BIN}: run npm run setup`);
  return OPENTOFU_BIN;
}

const toolchain = (e: Engine) => join(ROOT, ".toolchain", e);
export const cliConfig = (e: Engine = engine()) => join(toolchain(e), "cli.tfrc");
const pluginCache = (e: Engine) => join(toolchain(e), "plugin-cache");
/** OpenTofu resolves `hashicorp/aws` at its own registry's host: its mirror links that address to ours. */
const REGISTRY_HOST: Record<Engine, string> = { terraform: "registry.terraform.io", opentofu: "registry.opentofu.org" };

/** The AWS provider the stacks require: the version @cdktf/provider-aws was generated from. */
export function awsProvider(): { source: string; version: string } {
  const file = join(ROOT, "node_modules", "@cdktf", "provider-aws", "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8")) as { cdktf: { provider: { name: string; version: string } } };
  return { source: pkg.cdktf.provider.name, version: pkg.cdktf.provider.version };
}

const platform = () => `${process.platform}_${process.arch === "x64" ? "amd64" : process.arch}`;

/** Does `root` hold the provider in Terraform's filesystem-mirror layout (unpacked)? */
export function mirrorHolds(root: string, provider: { source: string; version: string } = awsProvider()): boolean {
  return existsSync(join(root, provider.source, provider.version, platform()));
}

/**
 * A filesystem mirror that holds the pinned AWS provider for this platform, or undefined.
 * Looks, in order, at NEXUS_TF_PROVIDER_MIRROR (an explicit choice: it must hold the provider),
 * Terraform's own implied mirror folders, and the folders one level below /opt (where machine
 * images put preinstalled tools).
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const provider = awsProvider();
  const explicit = env.NEXUS_TF_PROVIDER_MIRROR;
  if (explicit) {
    if (!mirrorHolds(explicit, provider)) {
      throw new Error(
        `NEXUS_TF_PROVIDER_MIRROR=${explicit} holds no ${provider.source} ${provider.version} for ${platform()}`,
      );
    }
    return explicit;
  }
  const dataHome = env.XDG_DATA_HOME ?? join(homedir(), ".local", "share");
  const implied = [
    join(homedir(), ".terraform.d", "plugins"),
    join(dataHome, "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ];
  const underOpt = existsSync("/opt") ? readdirSync("/opt").map((name) => join("/opt", name)) : [];
  return [...implied, ...underOpt].find((root) => mirrorHolds(root, provider));
}

/**
 * The Docker provider the registry stack's build mode needs (stacks/registry/docker-provider.ts pins
 * the version): built from the Go module proxy by npm run setup (tools/docker-provider) into
 * .toolchain/providers, in the filesystem-mirror layout. Not in any public mirror of this machine.
 */
export const DOCKER_PROVIDER_MIRROR = join(ROOT, ".toolchain", "providers");

/**
 * The mirror the engine reads: a folder in .toolchain/<engine> whose <registry host>/<provider>/
 * <version>/<platform> entries link to the AWS provider's files where they were found and to the
 * Docker provider npm run setup built (when it did), each at the engine's own registry host.
 */
function engineMirror(e: Engine, mirror: string): { path: string; sources: string[] } {
  const linked = join(toolchain(e), "mirror");
  const providers = [{ root: mirror, ...awsProvider() }];
  if (mirrorHolds(DOCKER_PROVIDER_MIRROR, DOCKER_PROVIDER))
    providers.push({ root: DOCKER_PROVIDER_MIRROR, ...DOCKER_PROVIDER });
  const sources: string[] = [];
  for (const provider of providers) {
    const source = provider.source.replace(REGISTRY_HOST.terraform, REGISTRY_HOST[e]);
    const link = join(linked, source, provider.version, platform());
    rmSync(link, { force: true, recursive: false });
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(provider.root, provider.source, provider.version, platform()), link);
    sources.push(source);
  }
  return { path: linked, sources };
}

/** Writes the engine's project-local CLI config; returns the mirror it uses (undefined: the registry). */
export function writeCliConfig(mirror = findProviderMirror(), e: Engine = engine()): string | undefined {
  mkdirSync(pluginCache(e), { recursive: true });
  const linked = mirror ? engineMirror(e, mirror) : undefined;
  const installation = linked
    ? [
        `  filesystem_mirror {`,
        `    path    = ${JSON.stringify(linked.path)}`,
        `    include = ${JSON.stringify(linked.sources)}`,
        `  }`,
        `  direct {`,
        `    exclude = ${JSON.stringify(linked.sources)}`,
        `  }`,
      ]
    : [`  direct {}`];
  const text = [
    `# Written by scripts/terraform/toolchain.ts; regenerated by every command that runs Terraform.`,
    `# One provider copy for all stacks, inside the project (never the user's home).`,
    `plugin_cache_dir = ${JSON.stringify(pluginCache(e))}`,
    `# Without a lock file Terraform 1.4+ would bypass the cache and copy the ~700 MB provider into every`,
    `# stack folder; the lock file is still written from the mirror's checksums.`,
    `plugin_cache_may_break_dependency_lock_file = true`,
    `provider_installation {`,
    ...installation,
    `}`,
    ``,
  ].join("\n");
  writeFileSync(cliConfig(e), text);
  return mirror;
}

/** The environment every Terraform (and cdktf) command runs with. */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e = engine({ ...process.env, ...extra });
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig(e),
    TERRAFORM_BINARY_NAME: engineBinary(e), // cdktf-cli runs this for deploy, destroy, output
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    // cdktf keeps a telemetry id in ~/.cdktf unless told where its home is, and points Terraform's
    // plugin cache at ~/.terraform.d/plugin-cache unless TF_PLUGIN_CACHE_DIR is already set.
    CDKTF_HOME: join(ROOT, ".toolchain", "cdktf"),
    TF_PLUGIN_CACHE_DIR: pluginCache(e),
    ...extra,
  };
}
