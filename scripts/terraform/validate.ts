/**
 * `npm run validate`: synthesizes every stack (prebuilt-image mode: the Docker provider is not in
 * the mirror, so the build mode is covered by the JSON tests only), then `terraform init
 * -backend=false` and `terraform validate` in each, on the engine NEXUS_ENGINE names (terraform by
 * default, or opentofu). Exits 1 on the first stack that fails.
 */
import { join } from "node:path";
import { PLACEHOLDER_IMAGE, STACKS_DIR, run, seconds, synth, terraform } from "./run";
import { ROOT, engine, engineBinary, terraformEnv, writeCliConfig } from "./toolchain";

function main(): void {
  const mirror = writeCliConfig();
  const version = run(engineBinary(), ["version"], { env: terraformEnv() }).split("\n")[0];
  console.log(`validate: ${version} (NEXUS_ENGINE=${engine()})`);
  console.log(`validate: AWS provider from ${mirror ? `the filesystem mirror ${mirror}` : `the ${engine()} registry`}`);
  const outdir = join(ROOT, "cdktf.out");
  const stacks = synth(outdir, { NEXUS_WORKER_IMAGE: process.env.NEXUS_WORKER_IMAGE ?? PLACEHOLDER_IMAGE });
  for (const stack of stacks) {
    const started = performance.now();
    const dir = join(STACKS_DIR(outdir), stack);
    terraform(dir, ["init", "-backend=false", "-input=false"]);
    const result = terraform(dir, ["validate"]).trim().split("\n").pop();
    console.log(`validate: ${stack}: ${result} (${seconds(started)})`);
  }
}

try {
  main();
} catch (err) {
  console.error(`validate: ${(err as Error).message}`);
  process.exitCode = 1;
}
