import { Construct } from "constructs";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { AwsContext } from "../shared/aws-context";
import { PolicyStatement, policyJson } from "../shared/iam";

export interface DataKeyProps {
  readonly aws: AwsContext;
  /** Alias and description prefix, e.g. `nexus-dev`. */
  readonly name: string;
  /** Days before a scheduled deletion completes. @default 30 (the maximum: a deleted key makes data unreadable) */
  readonly deletionWindowDays?: number;
  /**
   * AWS services the key policy lets encrypt with this key on the account's behalf:
   * `logs` for this environment's log groups, `s3-notifications` for S3 writing to an SSE-KMS queue,
   * `cloudwatch-alarms` for alarms publishing to an SSE-KMS topic.
   * @default logs and s3-notifications
   */
  readonly services?: readonly KeyService[];
  /** Refuse, at plan time, any plan that would destroy the key. @default false */
  readonly preventDestroy?: boolean;
}

export type KeyService = "logs" | "s3-notifications" | "cloudwatch-alarms";

/**
 * The customer-managed key that encrypts one environment's data at rest: S3 objects, SQS
 * messages, RDS storage and its secret, ECR images and CloudWatch log groups. One key per
 * environment keeps the cost at one key while the key policy names each service that may use it.
 */
export class DataKey extends Construct {
  readonly key: KmsKey;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: DataKeyProps) {
    super(scope, id);
    const { aws, name } = props;
    this.key = new KmsKey(this, "key", {
      description: `${name} data at rest`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: policyJson(keyPolicy(aws, name, props.services ?? ["logs", "s3-notifications"])),
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
    new KmsAlias(this, "alias", { name: `alias/${name}-data`, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
  }

  /** kms:Decrypt on this key: what a consumer of encrypted objects, messages or secrets needs. */
  grantDecrypt(): PolicyStatement {
    return { Sid: "DecryptDataKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [this.arn] };
  }
}

function keyPolicy(aws: AwsContext, name: string, services: readonly KeyService[]): PolicyStatement[] {
  const account = aws.accountId;
  const admin: PolicyStatement = {
    Sid: "AccountAdministersKey",
    Effect: "Allow",
    Principal: { AWS: `arn:${aws.partition}:iam::${account}:root` },
    Action: ["kms:*"],
    // In a key policy "*" means "this key"; AWS requires it there. IAM policies still decide who.
    Resource: ["*"],
  };
  const grants: Record<KeyService, PolicyStatement> = {
    logs: {
      Sid: "CloudWatchLogsEncryptsThisEnvironmentsGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${aws.region}.amazonaws.com` },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: ["*"], // key policy: "*" is this key
      Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": aws.arn("logs", `log-group:*${name}*`) } },
    },
    "s3-notifications": {
      Sid: "S3PublishesEncryptedNotifications",
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      // S3 encrypts the notification it sends to the SSE-KMS queue with this key.
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: ["*"], // key policy: "*" is this key
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    },
    "cloudwatch-alarms": {
      Sid: "CloudWatchAlarmsPublishEncrypted",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      // CloudWatch encrypts the notification it publishes to the SSE-KMS alarm topic with this key.
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: ["*"], // key policy: "*" is this key
      Condition: {
        StringEquals: { "aws:SourceAccount": account },
        ArnLike: { "aws:SourceArn": aws.arn("cloudwatch", "alarm:*") },
      },
    },
  };
  return [admin, ...services.map((service) => grants[service])];
}
