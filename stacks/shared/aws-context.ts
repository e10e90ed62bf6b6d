import { Construct } from "constructs";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";

/** Account, partition and region of a stack, resolved by Terraform at plan time (no AWS call at synth). */
export class AwsContext extends Construct {
  readonly accountId: string;
  /** The account id as a bare Terraform expression (no `${}`), for conditions. */
  readonly accountIdExpression: string;
  readonly partition: string;

  constructor(
    scope: Construct,
    id: string,
    readonly region: string,
  ) {
    super(scope, id);
    const caller = new DataAwsCallerIdentity(this, "caller");
    this.accountId = caller.accountId;
    this.accountIdExpression = `${caller.fqn}.account_id`;
    this.partition = new DataAwsPartition(this, "partition").partition;
  }

  /** An ARN in this account and region, e.g. arn("logs", "log-group:/ecs/x"). */
  arn(service: string, resource: string): string {
    return `arn:${this.partition}:${service}:${this.region}:${this.accountId}:${resource}`;
  }
}
