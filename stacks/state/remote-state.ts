import { TerraformStack, S3Backend, LocalBackend } from "cdktf";

/** Where a Nexus stack keeps its state. Created by the bootstrap stack; see backend.tf.example. */
export interface RemoteStateSettings {
  readonly bucket: string;
  readonly lockTable: string;
  readonly region: string;
  /** KMS key the state objects are encrypted with (the bootstrap stack's `state_kms_key_arn`). */
  readonly kmsKeyArn?: string;
}

/**
 * Reads the remote-state settings from the environment (NEXUS_STATE_BUCKET, NEXUS_STATE_LOCK_TABLE,
 * NEXUS_STATE_REGION, NEXUS_STATE_KMS_KEY_ARN) or, failing that, the `nexusState` context of
 * cdktf.json. Returns undefined when neither names a bucket: the stacks then use local state,
 * so synth and tests need no AWS account.
 */
export function remoteStateSettings(env: NodeJS.ProcessEnv, context: unknown): RemoteStateSettings | undefined {
  const fromContext = (context ?? {}) as Partial<RemoteStateSettings>;
  const bucket = env.NEXUS_STATE_BUCKET ?? fromContext.bucket;
  if (!bucket) return undefined;
  const lockTable = env.NEXUS_STATE_LOCK_TABLE ?? fromContext.lockTable;
  const region = env.NEXUS_STATE_REGION ?? fromContext.region;
  if (!lockTable || !region) {
    throw new Error(
      `nexus state backend: bucket ${JSON.stringify(bucket)} is set, so NEXUS_STATE_LOCK_TABLE and NEXUS_STATE_REGION ` +
        `(or nexusState.lockTable and nexusState.region in cdktf.json) must be set too, got lockTable=${JSON.stringify(lockTable)}, region=${JSON.stringify(region)}`,
    );
  }
  return { bucket, lockTable, region, kmsKeyArn: env.NEXUS_STATE_KMS_KEY_ARN ?? fromContext.kmsKeyArn };
}

/** Points `stack` at its own state object in the remote backend, or at local state. */
export function useStateBackend(
  stack: TerraformStack,
  stackName: string,
  remote: RemoteStateSettings | undefined,
): void {
  if (!remote) {
    new LocalBackend(stack, { path: `terraform.${stackName}.tfstate` });
    return;
  }
  new S3Backend(stack, {
    bucket: remote.bucket,
    key: `nexus/${stackName}/terraform.tfstate`,
    region: remote.region,
    dynamodbTable: remote.lockTable,
    encrypt: true,
    kmsKeyId: remote.kmsKeyArn,
  });
}
