import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { localProviderSettings } from "./local-target";
import { StateBackendChoice, useStateBackend } from "../state/remote-state";

/** Terraform versions every stack accepts: S3-native state locking (`use_lockfile`) needs 1.10. */
export const TERRAFORM_VERSION = ">= 1.10.0, < 2.0.0";

export interface AwsStackProps {
  readonly region: string;
  /** Provider default tags: every resource says what it belongs to and who manages it. */
  readonly tags: Record<string, string>;
  readonly state: StateBackendChoice;
  /** Encrypt this stack's state client-side when NEXUS_STATE_ENCRYPTION asks for it (OpenTofu). */
  readonly encryptState?: boolean;
}

/** A stack with the pinned Terraform version, one AWS provider and its own state object. */
export class AwsStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: AwsStackProps) {
    super(scope, id);
    this.addOverride("terraform.required_version", TERRAFORM_VERSION);
    new AwsProvider(this, "aws", {
      region: props.region,
      defaultTags: [{ tags: props.tags }],
      ...localProviderSettings(props.state.localTarget),
    });
    useStateBackend(this, id, props.state, props.encryptState);
  }
}
