/**
 * Provisions the ingest path on the local moto server the way the stacks configure it on AWS:
 * a versioned bucket whose ObjectCreated notifications for `.txt` go to a queue with a DLQ
 * behind it (redrive after maxReceiveCount), long polling, and the database secret.
 */
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Postgres } from "./services";

export const LOCAL_REGION = "us-east-1";
/** moto accepts any credentials; these never leave this machine. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface PipelineOptions {
  readonly name?: string;
  readonly suffix?: string;
  readonly maxReceiveCount?: number;
  readonly visibilityTimeoutSeconds?: number;
}

export interface Pipeline {
  readonly endpoint: string;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly secrets: SecretsManagerClient;
  readonly options: Required<PipelineOptions>;
}

export function awsClients(endpoint: string) {
  const config = { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
    secrets: new SecretsManagerClient(config),
  };
}

export async function provisionPipeline(endpoint: string, opts: PipelineOptions = {}): Promise<Pipeline> {
  const options = { name: "nexus-local", suffix: ".txt", maxReceiveCount: 5, visibilityTimeoutSeconds: 30, ...opts };
  const { s3, sqs, secrets } = awsClients(endpoint);
  const bucket = `${options.name}-ingest`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));

  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${options.name}-ingest-dlq` }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] })))
    .Attributes!.QueueArn;
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${options.name}-ingest`,
        Attributes: {
          ReceiveMessageWaitTimeSeconds: "20",
          VisibilityTimeout: String(options.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
        },
      }),
    )
  ).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] })))
    .Attributes!.QueueArn;
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: "object-created-to-queue",
            QueueArn: queueArn,
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "suffix", Value: options.suffix }] } },
          },
        ],
      },
    }),
  );
  return { endpoint, bucket, queueUrl, dlqUrl, s3, sqs, secrets, options };
}

/** Stores the database credentials as the RDS-managed secret does (JSON username/password). */
export async function createDbSecret(pipeline: Pipeline, user: string, password: string): Promise<string> {
  const result = await pipeline.secrets.send(
    new CreateSecretCommand({
      Name: `${pipeline.options.name}/db-${Date.now()}`,
      SecretString: JSON.stringify({ username: user, password }),
    }),
  );
  return result.ARN!;
}

/** The environment the stacks inject into the worker task, pointed at the local services. */
export function workerEnv(
  pipeline: Pipeline,
  pg: Postgres,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    QUEUE_URL: pipeline.queueUrl,
    AWS_REGION: LOCAL_REGION,
    AWS_ENDPOINT_URL: pipeline.endpoint,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_S3_FORCE_PATH_STYLE: "true",
    DB_HOST: "127.0.0.1",
    DB_PORT: String(pg.port),
    DB_NAME: pg.database,
    DB_USER: pg.user,
    DB_PASSWORD: pg.password,
    DB_SSL: "disable", // local PostgreSQL has no certificate; RDS runs verify-full
    VISIBILITY_TIMEOUT_SECONDS: String(pipeline.options.visibilityTimeoutSeconds),
    ...extra,
  };
}
