/**
 * Provisions the ingest path on the local moto server the way the stacks configure it on AWS:
 * a versioned bucket whose ObjectCreated notifications for `.txt` go to a queue with a DLQ
 * behind it (redrive after maxReceiveCount), and long polling.
 */
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { join } from "node:path";
import { Postgres, REPO_ROOT } from "./services";

export const LOCAL_REGION = "us-east-1";
/**
 * The emulator's test key (stacks/app/local-target.ts): any key works while IAM is not enforced; with
 * it enforced (--enforce-iam), this is the named admin's. They never leave this machine.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: "nexus-local", secretAccessKey: "nexus-local" };

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
  readonly options: Required<PipelineOptions>;
}

/** Clients for the local server; `caFile` when it serves TLS (its CA, trusted explicitly). */
export function awsClients(endpoint: string, caFile?: string) {
  const requestHandler = caFile
    ? new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(caFile), keepAlive: true }) })
    : undefined;
  const config = { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, requestHandler };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
  };
}

export async function provisionPipeline(
  endpoint: string,
  opts: PipelineOptions = {},
  caFile?: string,
): Promise<Pipeline> {
  const options = { name: "nexus-local", suffix: ".txt", maxReceiveCount: 5, visibilityTimeoutSeconds: 30, ...opts };
  const { s3, sqs } = awsClients(endpoint, caFile);
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
  return { endpoint, bucket, queueUrl, dlqUrl, s3, sqs, options };
}

/** The application role the migration creates; the worker logs in as it, never as the master user. */
export const LOCAL_APP_USER = "nexus_worker";
/** Its password, locally only: a local PostgreSQL cannot verify IAM tokens, so DB_AUTH=password here. */
export const LOCAL_APP_PASSWORD = "nexus-local-only";

/** Where the local PostgreSQL is, as the stacks inject it (TLS off: it has no certificate; RDS runs verify-full). */
function dbEnv(pg: Postgres): Record<string, string> {
  return {
    DB_HOST: "127.0.0.1",
    DB_PORT: String(pg.port),
    DB_NAME: pg.database,
    DB_SSL: "disable",
    DB_AUTH: "password",
  };
}

/** The migration container's environment: the master user, and the application role to create. */
export function migrationEnv(pg: Postgres, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...dbEnv(pg),
    DB_USER: pg.user,
    DB_PASSWORD: pg.password,
    DB_APP_USER: LOCAL_APP_USER,
    DB_APP_PASSWORD: LOCAL_APP_PASSWORD,
    ...extra,
  };
}

/** The worker's database variables: the application role, with its local password. */
export function workerDbEnv(pg: Postgres): Record<string, string> {
  return { ...dbEnv(pg), DB_USER: LOCAL_APP_USER, DB_PASSWORD: LOCAL_APP_PASSWORD };
}

/** The environment the stacks inject into the worker container, pointed at the local services. */
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
    ...workerDbEnv(pg),
    VISIBILITY_TIMEOUT_SECONDS: String(pipeline.options.visibilityTimeoutSeconds),
    ...extra,
  };
}

/**
 * Runs the migration as ECS does, as its own process before the worker (worker/dist, built by
 * `npm run build:worker`); resolves with its JSON lines, rejects with them when it exits non-zero.
 */
export function runMigration(
  env: Record<string, string>,
  script = join(REPO_ROOT, "worker", "dist", "migrate.js"),
): Promise<string> {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`migration exited ${code}: ${output.trim()}`)),
    ),
  );
}
