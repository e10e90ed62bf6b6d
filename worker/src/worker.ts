/** Wires a worker from a config: clients, pool, the first connection. Shared by the entry point, tests and benchmarks. */
import { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { TokenSource, passwordSource } from "./auth";
import { WorkerConfig } from "./config";
import { Consumer, isPermanentReceiveError } from "./consumer";
import { Database } from "./db";
import { stampHealth } from "./health";
import { ObjectReader } from "./objects";
import { QueueClient } from "./queue";
import { whenDatabaseReady } from "./startup";
import { describeValue, log } from "./log";

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

/** Connections the worker keeps to S3: one receive's 10 GetObjects at once. */
export const S3_CONNECTIONS = 10;

/**
 * What the worker's S3 and SQS clients change from the SDK's defaults, for CPU per file
 * (docs/performance.md measures each):
 * - `cacheMiddleware`: the middleware stack is built once per command class, not on every `send`.
 *   Per-call options (the receive's `abortSignal`) bypass the cache for that call.
 * - a logger without `info`: the SDK's logger middleware calls `logger.info?.(...)` with a
 *   redacted copy of every input and output; without `info` that copy is never built. The SDK
 *   logs nothing else at info; warnings and errors still reach our JSON log.
 */
export const CLIENT_SETTINGS = {
  cacheMiddleware: true,
  logger: {
    debug: () => undefined,
    warn: (message: unknown) => log.warn("AWS SDK warning", { detail: describeValue(message) }),
    error: (message: unknown) =>
      isAbort(message)
        ? log.info("long poll cancelled by the stop", { detail: describeValue(message) })
        : isRefusedReceive(message)
          ? log.warn("AWS SDK error; the worker stops on it", { detail: describeValue(message) })
          : log.error("AWS SDK error", { detail: describeValue(message) }),
  } as unknown as NonNullable<S3ClientConfig["logger"]>,
};

/**
 * The SDK's AbortError, alone or in its logger middleware's `{ error }` entry. The only abort signal
 * the worker hands the SDK is its own stop (the receives' `abortSignal`): a long poll cancelled on
 * purpose, not a failure.
 */
function isAbort(message: unknown): boolean {
  const error = message instanceof Error ? message : (message as { error?: unknown } | null)?.error;
  return error instanceof Error && error.name === "AbortError";
}

/**
 * A receive refused for good (consumer.ts, PERMANENT_RECEIVE_ERRORS): the worker stops and reports it
 * in its one error line, "worker failed"; each loop's refused call is a warning beside it.
 */
function isRefusedReceive(message: unknown): boolean {
  const entry = message as { commandName?: unknown; error?: unknown } | null;
  return entry?.commandName === "ReceiveMessageCommand" && isPermanentReceiveError(entry.error);
}

/**
 * Clients honour AWS_ENDPOINT_URL (the SDK's standard variable) to reach a local server. The
 * schema is the migration's job (dist/migrate.js, run before the worker starts); the worker only
 * waits until it can log in, keeping its health stamp fresh while it waits.
 */
export async function createWorker(config: WorkerConfig, options: WorkerOptions = {}): Promise<Worker> {
  const clientConfig = { region: config.region, ...CLIENT_SETTINGS };
  const s3 = new S3Client({
    ...clientConfig,
    forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === "true",
    // One receive's worth of connections (keep-alive, as the SDK's default agent): the loops share
    // them instead of opening up to 10 per loop, each a TLS handshake and a SecureContext.
    requestHandler: { httpsAgent: { maxSockets: S3_CONNECTIONS } },
  });
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
