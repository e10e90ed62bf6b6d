/**
 * Entry point of `cdktf synth` / `cdktf deploy`: one bootstrap stack for the state backend and
 * one Nexus stack per environment, each from the typed config in stacks/config/config.ts.
 *
 * Inputs: NEXUS_ENVIRONMENTS (comma-separated, default "dev,prod"), NEXUS_WORKER_IMAGE (a
 * prebuilt image instead of a build at deploy), NEXUS_STATE_* (remote state, see README),
 * and the `nexus` context of cdktf.json for per-environment overrides.
 */
import { App } from "cdktf";
import { buildApp, repoRoot } from "./stacks/app/app";
import { ConfigError } from "./stacks/config/errors";

const app = new App();
try {
  buildApp(app, {
    environments: process.env.NEXUS_ENVIRONMENTS?.split(",")
      .map((e) => e.trim())
      .filter(Boolean),
    overrides: app.node.tryGetContext("nexus"),
    env: process.env,
    repoRoot: repoRoot(),
  });
} catch (err) {
  // A configuration mistake is one line naming the key, the value and what is allowed; nothing is
  // synthesized. Anything else is a bug and keeps its stack trace.
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
app.synth();
