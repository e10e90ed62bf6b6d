import { TerraformStack, S3Backend, LocalBackend } from "cdktf";
import { LocalTarget, localBackendSettings, localKeyProviderSettings } from "../app/local-target";
import { ConfigError, parseSettings } from "../config/errors";
import { LOCKING_MODES, Locking, STATE_ENCRYPTION_MODES, StateEncryption, nexusStateContext } from "../config/schema";

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
  /** Client-side encryption of the Nexus stacks' state and plans (OpenTofu only). @default "none" */
  readonly encryption: StateEncryption;
}

type StateContext = Partial<Record<keyof RemoteStateSettings, string>>;

function stateError(message: string): ConfigError {
  return new ConfigError(`nexus state backend: ${message}`);
}

/** A NEXUS_STATE_<SETTING> value (environment wins over the context, whose schema checked it already). */
function oneOf<T extends string>(setting: "locking" | "encryption", modes: readonly T[], value: string): T {
  if (!(modes as readonly string[]).includes(value)) {
    throw stateError(
      `NEXUS_STATE_${setting.toUpperCase()} (nexusState.${setting}) must be one of ${modes.join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/**
 * Reads the remote-state settings from the environment (NEXUS_STATE_BUCKET, NEXUS_STATE_LOCK_TABLE,
 * NEXUS_STATE_REGION, NEXUS_STATE_KMS_KEY_ARN, NEXUS_STATE_LOCKING, NEXUS_STATE_ENCRYPTION) or, failing that, the
 * `nexusState` context of cdktf.json. Returns undefined when neither names a bucket: the stacks then
 * use local state, so synth and tests need no AWS account.
 */
export function remoteStateSettings(env: NodeJS.ProcessEnv, context: unknown): RemoteStateSettings | undefined {
  const fromContext: StateContext = parseSettings(nexusStateContext, context ?? {}, ["nexusState"]);
  const bucket = env.NEXUS_STATE_BUCKET ?? fromContext.bucket;
  if (!bucket) return undefined;
  const lockTable = env.NEXUS_STATE_LOCK_TABLE ?? fromContext.lockTable;
  const region = env.NEXUS_STATE_REGION ?? fromContext.region;
  const locking = oneOf("locking", LOCKING_MODES, env.NEXUS_STATE_LOCKING ?? fromContext.locking ?? "dynamodb");
  const needsTable = locking !== "lockfile";
  if ((needsTable && !lockTable) || !region) {
    throw stateError(
      `bucket ${JSON.stringify(bucket)} is set, so NEXUS_STATE_REGION${needsTable ? " and NEXUS_STATE_LOCK_TABLE" : ""} ` +
        `(or nexusState.region${needsTable ? " and nexusState.lockTable" : ""} in cdktf.json) must be set too, ` +
        `got lockTable=${JSON.stringify(lockTable)}, region=${JSON.stringify(region)}`,
    );
  }
  const kmsKeyArn = env.NEXUS_STATE_KMS_KEY_ARN ?? fromContext.kmsKeyArn;
  const encryption = oneOf(
    "encryption",
    STATE_ENCRYPTION_MODES,
    env.NEXUS_STATE_ENCRYPTION ?? fromContext.encryption ?? "none",
  );
  if (encryption !== "none") {
    const engine = env.NEXUS_ENGINE ?? "terraform";
    if (engine !== "opentofu") {
      throw stateError(
        `NEXUS_STATE_ENCRYPTION=${encryption} needs NEXUS_ENGINE=opentofu, got ${engine}: Terraform has no client-side state encryption and refuses the terraform.encryption block`,
      );
    }
    if (!kmsKeyArn) {
      throw stateError(
        `NEXUS_STATE_ENCRYPTION=${encryption} encrypts with the state key, so NEXUS_STATE_KMS_KEY_ARN (nexusState.kmsKeyArn) must be set too`,
      );
    }
  }
  return {
    bucket,
    region,
    locking,
    lockTable: needsTable ? lockTable : undefined,
    kmsKeyArn,
    encryption,
  };
}

/**
 * OpenTofu's aws_kms key provider takes endpoints for IAM and STS only: it reaches KMS where the AWS
 * SDK's AWS_ENDPOINT_URL_KMS says. With the local target that must be the emulator, or the key
 * provider would send the test credentials to AWS.
 */
export function checkKeyProviderEndpoint(choice: StateBackendChoice, env: NodeJS.ProcessEnv): void {
  if (!choice.localTarget || (choice.remote?.encryption ?? "none") === "none") return;
  const kms = env.AWS_ENDPOINT_URL_KMS;
  if (kms !== choice.localTarget.endpoint) {
    throw stateError(
      `NEXUS_STATE_ENCRYPTION with the local target needs AWS_ENDPOINT_URL_KMS=${choice.localTarget.endpoint} (OpenTofu's aws_kms key provider has no kms endpoint setting), got ${JSON.stringify(kms)}`,
    );
  }
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

/**
 * OpenTofu's `terraform.encryption` block: a fresh AES-256 data key from KMS (the state key) for every
 * state and plan written, AES-GCM. `kms` refuses unencrypted state and plans (`enforced`);
 * `kms-migrate` still reads an unencrypted state (the fallback) and writes it encrypted.
 * Method references are bare traversals: OpenTofu refuses a `${...}` template there.
 */
export function stateEncryptionBlock(remote: RemoteStateSettings, localTarget?: LocalTarget): Record<string, unknown> {
  const migrate = remote.encryption === "kms-migrate";
  const target = {
    method: "method.aes_gcm.state",
    enforced: !migrate,
    ...(migrate ? { fallback: { method: "method.unencrypted.migrate" } } : {}),
  };
  return {
    key_provider: {
      aws_kms: {
        state: {
          kms_key_id: remote.kmsKeyArn,
          key_spec: "AES_256",
          region: remote.region,
          ...localKeyProviderSettings(localTarget),
        },
      },
    },
    method: {
      aes_gcm: { state: { keys: "${key_provider.aws_kms.state}" } },
      ...(migrate ? { unencrypted: { migrate: {} } } : {}),
    },
    state: target,
    plan: target,
  };
}

/**
 * Points `stack` at its own state object in the remote backend, or at a local state file. With
 * `encryptState` and a NEXUS_STATE_ENCRYPTION mode, OpenTofu also encrypts the state client-side.
 */
export function useStateBackend(
  stack: TerraformStack,
  stackName: string,
  choice: StateBackendChoice,
  encryptState = false,
): void {
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
  if (encryptState && remote.encryption !== "none") {
    stack.addOverride("terraform.encryption", stateEncryptionBlock(remote, choice.localTarget));
  }
}
