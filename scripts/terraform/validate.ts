/**
 * `npm run validate`: synthesizes every stack as `cdktf deploy` does by default (the build mode: the
 * worker image built by the Docker provider, which npm run setup builds into the mirror; with
 * NEXUS_WORKER_IMAGE set, that prebuilt image instead), then `terraform init -backend=false` and
 * `terraform validate` in each, on the engine NEXUS_ENGINE names (terraform by default, or opentofu).
 * Exits 1 on the first stack that fails.
 */
import { join } from "node:path";
import { STACKS_DIR, run, seconds, synth, terraform } from "./run";
import { ROOT, engine, engineBinary, terraformEnv, writeCliConfig } from "./toolchain";

function main(): void {
  const mirror = writeCliConfig();
  const version = run(engineBinary(), ["version"], { env: terraformEnv() }).split("\n")[0];
  console.log(`validate: ${version} (NEXUS_ENGINE=${engine()})`);
  console.log(`validate: AWS provider from ${mirror ? `the filesystem mirror ${mirror}` : `the ${engine()} registry`}`);
  const outdir = join(ROOT, "cdktf.out");
  const image = process.env.NEXUS_WORKER_IMAGE;
  console.log(`validate: worker image: ${image ? `prebuilt ${image}` : "built from the Dockerfile (Docker provider)"}`);
  const stacks = synth(outdir, image ? { NEXUS_WORKER_IMAGE: image } : {});
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
