import { TerraformStack, S3Backend, LocalBackend } from "cdktf";
import { LocalTarget, localBackendSettings } from "../app/local-target";
import { ConfigError, parseSettings } from "../config/errors";
import { LOCKING_MODES, Locking, nexusStateContext } from "../config/schema";

/** Where a Nexus stack keeps its state. Created by the bootstrap stack; see backend.tf.example. */
export interface RemoteStateSettings {
  readonly bucket: string;
  readonly region: string;
  /** @default "dynamodb" */
  readonly locking: Locking;
  /** The lock table (the bootstrap stack's `lock_table_name`); required unless locking is `lockfile`. */
  readonly lockTable?: string;
  /** KMS key the state objects are encrypted with (the bootstrap stack's `state_kms_key_arn`). */
  readonly kmsKeyArn?: string;
}

type StateContext = Partial<Record<keyof RemoteStateSettings, string>>;

function stateError(message: string): ConfigError {
  return new ConfigError(`nexus state backend: ${message}`);
}

/**
 * Reads the remote-state settings from the environment (NEXUS_STATE_BUCKET, NEXUS_STATE_LOCK_TABLE,
 * NEXUS_STATE_REGION, NEXUS_STATE_KMS_KEY_ARN, NEXUS_STATE_LOCKING) or, failing that, the
 * `nexusState` context of cdktf.json. Returns undefined when neither names a bucket: the stacks then
 * use local state, so synth and tests need no AWS account.
 */
export function remoteStateSettings(env: NodeJS.ProcessEnv, context: unknown): RemoteStateSettings | undefined {
  const fromContext: StateContext = parseSettings(nexusStateContext, context ?? {}, ["nexusState"]);
  const bucket = env.NEXUS_STATE_BUCKET ?? fromContext.bucket;
  if (!bucket) return undefined;
  const lockTable = env.NEXUS_STATE_LOCK_TABLE ?? fromContext.lockTable;
  const region = env.NEXUS_STATE_REGION ?? fromContext.region;
  const locking = env.NEXUS_STATE_LOCKING ?? fromContext.locking ?? "dynamodb";
  if (!(LOCKING_MODES as readonly string[]).includes(locking)) {
    throw stateError(
      `NEXUS_STATE_LOCKING (nexusState.locking) must be one of ${LOCKING_MODES.join(", ")}, got ${JSON.stringify(locking)}`,
    );
  }
  const needsTable = locking !== "lockfile";
  if ((needsTable && !lockTable) || !region) {
    throw stateError(
      `bucket ${JSON.stringify(bucket)} is set, so NEXUS_STATE_REGION${needsTable ? " and NEXUS_STATE_LOCK_TABLE" : ""} ` +
        `(or nexusState.region${needsTable ? " and nexusState.lockTable" : ""} in cdktf.json) must be set too, ` +
        `got lockTable=${JSON.stringify(lockTable)}, region=${JSON.stringify(region)}`,
    );
  }
  return {
    bucket,
    region,
    locking: locking as Locking,
    lockTable: needsTable ? lockTable : undefined,
    kmsKeyArn: env.NEXUS_STATE_KMS_KEY_ARN ?? fromContext.kmsKeyArn,
  };
}

/** The state object of one stack in the remote backend. */
export const stateKey = (stackName: string) => `nexus/${stackName}/terraform.tfstate`;

export interface StateBackendChoice {
  readonly remote?: RemoteStateSettings;
  /**
   * Folder of local state files, absolute. Not under cdktf.out: the local backend's path is relative to
   * where Terraform runs (cdktf.out/stacks/<stack>), which a clean or a new synth output deletes.
   */
  readonly localStateDir: string;
  /** The local emulator, when targeted: the S3 backend talks to it too. */
  readonly localTarget?: LocalTarget;
}

/** Points `stack` at its own state object in the remote backend, or at a local state file. */
export function useStateBackend(stack: TerraformStack, stackName: string, choice: StateBackendChoice): void {
  const { remote } = choice;
  if (!remote) {
    new LocalBackend(stack, { path: `${choice.localStateDir}/terraform.${stackName}.tfstate` });
    return;
  }
  new S3Backend(stack, {
    bucket: remote.bucket,
    key: stateKey(stackName),
    region: remote.region,
    dynamodbTable: remote.locking === "lockfile" ? undefined : remote.lockTable,
    encrypt: true,
    kmsKeyId: remote.kmsKeyArn,
    ...localBackendSettings(choice.localTarget),
  });
  // cdktf 0.21's S3Backend has no useLockfile: set it on the synthesized block.
  if (remote.locking !== "dynamodb") stack.addOverride("terraform.backend.s3.use_lockfile", true);
}
