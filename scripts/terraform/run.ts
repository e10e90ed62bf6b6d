/** Runs the synthesized app and the Terraform CLI for our scripts (validate, plan, e2e). */
import { SpawnSyncOptions, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, terraformEnv } from "./toolchain";

export const STACKS_DIR = (outdir: string) => join(outdir, "stacks");

/** A prebuilt image for commands that cannot build one (the Docker provider is not in the mirror). */
export const PLACEHOLDER_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nexus-dev-worker:validate";

export class CommandError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly output: string,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

/** Runs a command; returns stdout+stderr; throws CommandError (with the tail of the output) when it fails. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...options });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.error) throw new CommandError(`${command}: ${result.error.message}`, null, output);
  if (result.status !== 0) {
    throw new CommandError(
      `${command} ${args.join(" ")} exited ${result.status}:\n${output.slice(-3000)}`,
      result.status,
      output,
    );
  }
  return output;
}

/** Synthesizes the compiled app (build/main.js, as cdktf.json's "app" runs it) into `outdir`; returns the stack names. */
export function synthCompiled(outdir: string, env: NodeJS.ProcessEnv): string[] {
  run(process.execPath, [join(ROOT, "build", "main.js")], {
    cwd: ROOT,
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
  });
  return readdirSync(STACKS_DIR(outdir)).sort();
}

/** Compiles, then synthesizes the app into `outdir`; returns the stack names. */
export function synth(outdir: string, env: NodeJS.ProcessEnv): string[] {
  run("npm", ["run", "--silent", "build"], { cwd: ROOT });
  return synthCompiled(outdir, env);
}

/** `terraform <args>` (or `tofu`, with NEXUS_ENGINE=opentofu) in a stack folder with the project's CLI config. */
export function terraform(stackDir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const full = terraformEnv(env);
  return run(
    full.TERRAFORM_BINARY_NAME!,
    [`-chdir=${stackDir}`, ...args, ...(args[0] === "output" ? [] : ["-no-color"])],
    {
      env: full,
    },
  );
}

export const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
