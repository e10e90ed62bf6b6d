/** Wires a worker from a config: clients, pool, the first connection. Shared by the entry point, tests and benchmarks. */
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { TokenSource, passwordSource } from "./auth";
import { WorkerConfig } from "./config";
import { Consumer } from "./consumer";
import { Database } from "./db";
import { stampHealth } from "./health";
import { ObjectReader } from "./objects";
import { QueueClient } from "./queue";
import { whenDatabaseReady } from "./startup";

export interface Worker {
  readonly consumer: Consumer;
  readonly queue: QueueClient;
  readonly db: Database;
  readonly s3: S3Client;
}

export interface WorkerOptions {
  /** Ends the wait for the database (a stop during start-up). */
  readonly starting?: AbortSignal;
  /** Stands in for the RDS signer with DB_AUTH=iam (tests: a local PostgreSQL cannot verify IAM tokens). */
  readonly tokens?: TokenSource;
}

/**
 * Clients honour AWS_ENDPOINT_URL (the SDK's standard variable) to reach a local server. The
 * schema is the migration's job (dist/migrate.js, run before the worker starts); the worker only
 * waits until it can log in, keeping its health stamp fresh while it waits.
 */
export async function createWorker(config: WorkerConfig, options: WorkerOptions = {}): Promise<Worker> {
  const clientConfig = { region: config.region };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === "true" });
  const sqs = new SQSClient(clientConfig);
  // Backpressure: every poll loop holds at most one connection, so the pool never queues work.
  const db = new Database(config.db, config.concurrency + 1, passwordSource(config, options.tokens));
  await whenDatabaseReady("first connection", () => db.ping(), {
    seconds: config.dbWaitSeconds,
    variable: "DB_WAIT_SECONDS",
    beforeAttempt: () => stampHealth(config.healthFile),
    signal: options.starting,
  }).catch(async (err) => {
    await db.close().catch(() => undefined);
    throw err;
  });
  const queue = new QueueClient(sqs, config.queueUrl);
  const consumer = new Consumer({ queue, reader: new ObjectReader(s3, config.maxObjectBytes), db, config });
  return { consumer, queue, db, s3 };
}
