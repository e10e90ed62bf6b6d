import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AwsContext } from "../shared/aws-context";
import { StateBackend } from "../state/state-backend";

export interface BootstrapStackProps {
  readonly project: string;
  readonly region: string;
}

/**
 * Creates the remote state backend the Nexus stacks use. It keeps its own state locally
 * (it cannot live in the bucket it creates); commit nothing of it, keep it safe, apply it once.
 */
export class BootstrapStack extends TerraformStack {
  readonly backend: StateBackend;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: props.region,
      defaultTags: [{ tags: { Project: props.project, Environment: "shared", ManagedBy: "cdktf" } }],
    });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    const aws = new AwsContext(this, "aws-context", props.region);
    this.backend = new StateBackend(this, "state", { aws, name: props.project });
    new TerraformOutput(this, "state_bucket", { value: this.backend.bucket.name });
    new TerraformOutput(this, "lock_table", { value: this.backend.lockTable.name });
    new TerraformOutput(this, "state_kms_key_arn", { value: this.backend.key.arn });
  }
}
