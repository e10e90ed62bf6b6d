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

const app = new App();
buildApp(app, {
  environments: process.env.NEXUS_ENVIRONMENTS?.split(",")
    .map((e) => e.trim())
    .filter(Boolean),
  overrides: app.node.tryGetContext("nexus"),
  env: process.env,
  repoRoot: repoRoot(),
});
app.synth();
