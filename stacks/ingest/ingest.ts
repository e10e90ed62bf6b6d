import { Construct } from "constructs";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { AwsContext } from "../shared/aws-context";
import { DataKey } from "../encryption/data-key";
import { PolicyStatement, denyInsecureTransport, policyJson } from "../shared/iam";
import { PrivateBucket, allowAccessLogDelivery } from "./private-bucket";

export interface IngestProps {
  readonly aws: AwsContext;
  readonly name: string;
  readonly dataKey: DataKey;
  /** Only keys ending with this notify the queue ("" for all). */
  readonly objectSuffix: string;
  /** Receives before a message is moved to the DLQ. */
  readonly maxReceiveCount: number;
  /** Seconds a received message stays hidden; derived from the worker's processing budget. */
  readonly visibilityTimeoutSeconds: number;
  readonly noncurrentVersionDays: number;
  readonly forceDestroy: boolean;
}

/** SQS keeps a message 14 days at most; the DLQ keeps failures that long for inspection and redrive. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/** The main queue keeps messages 4 days: long enough to outlast a weekend database outage. */
const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;
/** The SQS maximum: one receive waits up to 20 s for messages instead of returning empty. */
export const LONG_POLL_SECONDS = 20;

/**
 * The ingest path: uploads land in a private bucket, whose ObjectCreated notifications go to
 * an encrypted queue that only this bucket can write to, with a dead-letter queue behind it.
 */
export class Ingest extends Construct {
  readonly bucket: PrivateBucket;
  readonly logBucket: PrivateBucket;
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const { aws, name } = props;
    const ingestBucketName = `${name}-ingest-${aws.accountId}-${aws.region}`;
    const ingestBucketArn = `arn:${aws.partition}:s3:::${ingestBucketName}`;

    this.logBucket = new PrivateBucket(this, "access-logs", {
      bucketName: `${name}-access-logs-${aws.accountId}-${aws.region}`,
      noncurrentVersionDays: 30,
      expireAfterDays: 365,
      forceDestroy: props.forceDestroy,
      extraPolicyStatements: allowAccessLogDelivery(ingestBucketArn, aws.accountId, "ingest/"),
    });
    this.bucket = new PrivateBucket(this, "bucket", {
      bucketName: ingestBucketName,
      kmsKeyArn: props.dataKey.arn,
      noncurrentVersionDays: props.noncurrentVersionDays,
      accessLogs: { bucket: this.logBucket, prefix: "ingest/" },
      forceDestroy: props.forceDestroy,
    });

    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: `${name}-ingest-dlq`,
      kmsMasterKeyId: props.dataKey.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    });
    this.queue = new SqsQueue(this, "queue", {
      name: `${name}-ingest`,
      kmsMasterKeyId: props.dataKey.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      receiveWaitTimeSeconds: LONG_POLL_SECONDS,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: props.maxReceiveCount,
      }),
    });
    // Only the ingest queue may redrive into the DLQ.
    new SqsQueueRedriveAllowPolicy(this, "dlq-redrive-allow", {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });

    const queuePolicy = new SqsQueuePolicy(this, "queue-policy", {
      queueUrl: this.queue.url,
      policy: policyJson([
        {
          Sid: "IngestBucketNotifications",
          Effect: "Allow",
          Principal: { Service: "s3.amazonaws.com" },
          Action: ["sqs:SendMessage"],
          Resource: [this.queue.arn],
          Condition: {
            ArnEquals: { "aws:SourceArn": this.bucket.arn },
            StringEquals: { "aws:SourceAccount": aws.accountId },
          },
        },
        denyInsecureTransport("sqs", [this.queue.arn]),
      ]),
    });
    new SqsQueuePolicy(this, "dlq-policy", {
      queueUrl: this.deadLetterQueue.url,
      policy: policyJson([denyInsecureTransport("sqs", [this.deadLetterQueue.arn])]),
    });

    new S3BucketNotification(this, "notification", {
      bucket: this.bucket.bucket.id,
      queue: [
        {
          id: "object-created-to-queue",
          queueArn: this.queue.arn,
          events: ["s3:ObjectCreated:*"],
          filterSuffix: props.objectSuffix || undefined,
        },
      ],
      // S3 validates the destination when the notification is saved: the policy must exist first.
      dependsOn: [queuePolicy],
    });
  }

  /** What a consumer needs on the queue: receive, delete, extend visibility, read attributes. */
  grantConsumeMessages(): PolicyStatement {
    return {
      Sid: "ConsumeIngestQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      Resource: [this.queue.arn],
    };
  }
}
