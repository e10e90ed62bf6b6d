import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { App } from "cdktf";
import { StateBackendChoice, checkKeyProviderEndpoint, remoteStateSettings } from "../state/remote-state";
import { LocalTarget, localTargetSettings } from "./local-target";
import { BootstrapStack } from "./bootstrap-stack";
import { DEFAULT_REGION, ENVIRONMENTS, NexusOverrides, resolveConfig } from "../config/config";
import { ConfigError, parseSettings } from "../config/errors";
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
    // Terraform runs in <outdir>/stacks/<stack> (cdktf.out, or wherever --output puts it); the build
    // context is the repository root, written relative to that folder so the JSON names no machine path.
    contextDir: relative(join(resolve(app.outdir), "stacks", "<stack>"), resolve(inputs.repoRoot))
      .split("\\")
      .join("/"),
    network: imageBuildNetwork(env),
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
 * NEXUS_IMAGE_BUILD_NETWORK: the network the image build's RUN steps use (Docker's `--network`);
 * unset: the engine's default. The local e2e sets `host`: its engine runs without a bridge.
 */
export function imageBuildNetwork(env: NodeJS.ProcessEnv): string | undefined {
  const network = env.NEXUS_IMAGE_BUILD_NETWORK;
  if (network === undefined || network === "") return undefined;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(network)) {
    throw new ConfigError(
      `nexus: NEXUS_IMAGE_BUILD_NETWORK must be a Docker network name such as host or default, got ${JSON.stringify(network)}`,
    );
  }
  return network;
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
