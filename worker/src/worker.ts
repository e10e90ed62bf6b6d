/** Wires a worker from a config: clients, pool, migrations. Shared by the entry point, tests and benchmarks. */
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { WorkerConfig } from "./config";
import { Consumer } from "./consumer";
import { Database } from "./db";
import { ObjectReader } from "./objects";
import { QueueClient } from "./queue";
import { secretCredentials } from "./secrets";
import { migrateWhenReady } from "./startup";

export interface Worker {
  readonly consumer: Consumer;
  readonly queue: QueueClient;
  readonly db: Database;
  readonly s3: S3Client;
}

/** Clients honour AWS_ENDPOINT_URL (the SDK's standard variable) to reach a local server. */
export async function createWorker(config: WorkerConfig, starting?: AbortSignal): Promise<Worker> {
  const clientConfig = { region: config.region };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === "true" });
  const sqs = new SQSClient(clientConfig);
  const refresh = config.db.secretArn
    ? secretCredentials(new SecretsManagerClient(clientConfig), config.db.secretArn)
    : undefined;
  // Backpressure: every poll loop holds at most one connection, so the pool never queues work.
  const db = new Database(config.db, config.concurrency + 1, refresh);
  await migrateWhenReady(db, config, starting).catch(async (err) => {
    await db.close().catch(() => undefined);
    throw err;
  });
  const queue = new QueueClient(sqs, config.queueUrl);
  const consumer = new Consumer({ queue, reader: new ObjectReader(s3, config.maxObjectBytes), db, config });
  return { consumer, queue, db, s3 };
}
