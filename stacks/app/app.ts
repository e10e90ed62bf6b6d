import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { App } from "cdktf";
import { StateBackendChoice, checkKeyProviderEndpoint, remoteStateSettings } from "../state/remote-state";
import { LocalTarget, localTargetSettings } from "./local-target";
import { BootstrapStack } from "./bootstrap-stack";
import { DEFAULT_REGION, ENVIRONMENTS, NexusOverrides, resolveConfig } from "../config/config";
import { parseSettings } from "../config/errors";
import { nexusContext } from "../config/schema";
import { NexusStack } from "./nexus-stack";
import { sourceHash } from "../registry/source-hash";

/** Files the worker image is built from; a change to any of them makes a new image tag. */
export const IMAGE_SOURCES = ["Dockerfile", ".dockerignore", "worker"];

export interface AppInputs {
  /** Environments to synthesize. @default every preset (dev, prod) */
  readonly environments?: readonly string[];
  /** The `nexus` context of cdktf.json (overrides per environment): checked against the schema here. */
  readonly overrides?: unknown;
  readonly env?: NodeJS.ProcessEnv;
  /** The repository root (Dockerfile and worker/). */
  readonly repoRoot: string;
}

/** Stack names, stable because state keys and `cdktf deploy <stack>` use them. */
export const BOOTSTRAP_STACK = "nexus-bootstrap";
export const nexusStackName = (environment: string) => `nexus-${environment}`;

/** Builds the whole app: the bootstrap stack and one Nexus stack per environment. */
export function buildApp(app: App, inputs: AppInputs): void {
  const env = inputs.env ?? {};
  const overrides = parseSettings(nexusContext, inputs.overrides ?? {}, ["nexus"]);
  const environments = inputs.environments ?? ENVIRONMENTS;
  const localTarget = localTargetSettings(env);
  const state: StateBackendChoice = {
    remote: remoteStateSettings(env, app.node.tryGetContext("nexusState")),
    localStateDir: localStateDir(inputs.repoRoot, localTarget),
    localTarget,
  };
  checkKeyProviderEndpoint(state, env);
  const imageBuild = {
    sourceHash: sourceHash(inputs.repoRoot, IMAGE_SOURCES),
    // Terraform runs in cdktf.out/stacks/<stack>; the build context is the repository root.
    contextDir: "${path.module}/../../..",
  };
  new BootstrapStack(app, BOOTSTRAP_STACK, {
    project: "nexus",
    region: overrides.bootstrap?.region ?? DEFAULT_REGION,
    state,
  });
  for (const environment of environments) {
    const envOverrides: NexusOverrides = { ...overrides[environment as keyof typeof overrides] };
    if (env.NEXUS_WORKER_IMAGE) envOverrides.worker = { ...envOverrides.worker, imageUri: env.NEXUS_WORKER_IMAGE };
    const config = resolveConfig(environment, envOverrides);
    new NexusStack(app, nexusStackName(environment), { config, state, imageBuild });
  }
}

/**
 * Local state files (before the bootstrap exists): outside cdktf.out, never committed. State of the
 * local emulator goes apart, under .local/, so it can never be mistaken for (or overwrite) real state.
 */
export const localStateDir = (root: string, localTarget?: LocalTarget) =>
  localTarget ? join(root, ".local", "state") : join(root, ".state");

/** The folder holding cdktf.json, found from this file whether it runs as .ts or compiled under build/. */
export function repoRoot(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
  }
  throw new Error(`no cdktf.json above ${from}: run Nexus from its repository`);
}
