import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { AwsContext } from "../shared/aws-context";
import { DataKey } from "../encryption/data-key";
import { PrivateBucket, allowAccessLogDelivery } from "../ingest/private-bucket";

export interface StateBackendProps {
  readonly aws: AwsContext;
  /** Name prefix, e.g. `nexus`. */
  readonly name: string;
  /** Days old state versions are kept: the undo history of every apply. @default 90 */
  readonly stateVersionDays?: number;
}

/**
 * Where every Nexus stack keeps its Terraform state: a versioned, KMS-encrypted, private
 * bucket and a DynamoDB table that serialises applies with a lock per state file.
 */
export class StateBackend extends Construct {
  readonly bucket: PrivateBucket;
  readonly lockTable: DynamodbTable;
  readonly key: DataKey;

  constructor(scope: Construct, id: string, props: StateBackendProps) {
    super(scope, id);
    const { aws, name } = props;
    // State holds every resource attribute, including generated values: its own key, no service grants.
    // Without the key no state object can be read (SSE-KMS, and OpenTofu's client-side encryption):
    // a destroy is refused at plan time, like the bucket's.
    this.key = new DataKey(this, "key", { aws, name: `${name}-tfstate`, services: [], preventDestroy: true });
    const bucketName = `${name}-tfstate-${aws.accountId}-${aws.region}`;
    const logs = new PrivateBucket(this, "access-logs", {
      bucketName: `${name}-tfstate-logs-${aws.accountId}-${aws.region}`,
      noncurrentVersionDays: 30,
      expireAfterDays: 365,
      extraPolicyStatements: allowAccessLogDelivery(
        `arn:${aws.partition}:s3:::${bucketName}`,
        aws.accountId,
        "tfstate/",
      ),
    });
    this.bucket = new PrivateBucket(this, "state", {
      bucketName,
      kmsKeyArn: this.key.arn,
      noncurrentVersionDays: props.stateVersionDays ?? 90,
      accessLogs: { bucket: logs, prefix: "tfstate/" },
      // Losing the state bucket loses the record of every stack: a destroy is refused at plan time.
      preventDestroy: true,
    });
    this.lockTable = new DynamodbTable(this, "locks", {
      name: `${name}-tfstate-locks`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "LockID", // the attribute name Terraform's S3 backend writes
      attribute: [{ name: "LockID", type: "S" }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: this.key.arn },
      deletionProtectionEnabled: true,
      lifecycle: { preventDestroy: true },
    });
  }
}
