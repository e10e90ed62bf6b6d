import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AwsContext } from "../shared/aws-context";
import { StateBackendChoice } from "../state/remote-state";
import { StateBackend } from "../state/state-backend";
import { AwsStack } from "./aws-stack";

export interface BootstrapStackProps {
  readonly project: string;
  readonly region: string;
  /** Local state at first; after the first apply, its own object in the bucket it created. */
  readonly state: StateBackendChoice;
}

/**
 * Creates the remote state backend the Nexus stacks use. Its first apply keeps state in a local file
 * (the bucket does not exist yet); then its state moves into the bucket it created, like every
 * other stack's (README: "Move the bootstrap state into its bucket").
 */
export class BootstrapStack extends AwsStack {
  readonly backend: StateBackend;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id, {
      region: props.region,
      tags: { Project: props.project, Environment: "shared", ManagedBy: "cdktf" },
      state: props.state,
    });
    const aws = new AwsContext(this, "aws-context", props.region);
    this.backend = new StateBackend(this, "state", { aws, name: props.project });
    new TerraformOutput(this, "state_bucket_name", {
      value: this.backend.bucket.name,
      description: "S3 bucket holding every stack's state: NEXUS_STATE_BUCKET",
    });
    new TerraformOutput(this, "lock_table_name", {
      value: this.backend.lockTable.name,
      description: "DynamoDB table of state locks: NEXUS_STATE_LOCK_TABLE (locking dynamodb or both)",
    });
    new TerraformOutput(this, "state_kms_key_arn", {
      value: this.backend.key.arn,
      description: "KMS key that encrypts the state objects: NEXUS_STATE_KMS_KEY_ARN",
    });
  }
}
