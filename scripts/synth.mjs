// `npm run synth`: what `cdktf synth` does for this app, without the CLI's own start-up. cdktf-cli
// 0.21 runs `terraform version` three times and `terraform -v` once on every command, to describe
// the environment for telemetry and crash reports (about 1.6 s here; no setting turns it off). The
// app gets exactly the environment the CLI gives it: CDKTF_OUTDIR, CDKTF_CONTEXT_JSON (cdktf.json's
// context plus cdktfRelativeModules), CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS and SYNTH_HCL_OUTPUT;
// test/synth-command.test.ts shows the output is byte-identical to `cdktf synth`'s.
// Usage: node scripts/synth.mjs [--output <dir>]   (default: cdktf.json's output, else cdktf.out)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = join(import.meta.dirname, "..");
const { values } = parseArgs({ options: { output: { type: "string" } } });
const config = JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8"));
const outdir = values.output ?? config.output ?? "cdktf.out";
const env = {
  ...process.env,
  CDKTF_OUTDIR: outdir,
  CDKTF_CONTEXT_JSON: JSON.stringify({ ...config.context, cdktfRelativeModules: [] }),
  CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true",
  SYNTH_HCL_OUTPUT: "false",
};
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
try {
  execFileSync(process.execPath, [join(root, "build", "main.js")], { cwd: root, env, stdio: "inherit" });
} catch (err) {
  process.exit(err.status ?? 1); // the app already said why (a config error is one line, exit 2)
}
console.log(
  `synth: ${Object.keys(JSON.parse(readFileSync(resolve(root, outdir, "manifest.json"), "utf8")).stacks).join(", ")} in ${outdir}/stacks`,
);
