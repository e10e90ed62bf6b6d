import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsContext } from "../shared/aws-context";
import { DataKey } from "../encryption/data-key";
import { assumeRolePolicy, policyJson } from "../shared/iam";

export interface VpcFlowLogProps {
  readonly aws: AwsContext;
  readonly name: string;
  readonly vpcId: string;
  readonly retentionDays: number;
  readonly dataKey: DataKey;
}

/** Every accepted and rejected flow of the VPC, in a KMS-encrypted log group. */
export class VpcFlowLog extends Construct {
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: VpcFlowLogProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, "group", {
      name: `/nexus/${props.name}/vpc-flow-logs`,
      retentionInDays: props.retentionDays,
      kmsKeyId: props.dataKey.arn,
    });
    const role = new IamRole(this, "role", {
      name: `${props.name}-flow-logs`,
      assumeRolePolicy: assumeRolePolicy("vpc-flow-logs.amazonaws.com", props.aws.accountId),
    });
    new IamRolePolicy(this, "policy", {
      role: role.id,
      name: "write-flow-log-group",
      policy: policyJson([
        {
          Sid: "WriteFlowLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [`${this.logGroup.arn}:*`],
        },
      ]),
    });
    new FlowLog(this, "flow-log", {
      vpcId: props.vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
    });
  }
}
