/** Real services for the worker's integration tests: one moto server and one PostgreSQL 17.6 per test file. */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { Moto, Postgres, startMoto, startPostgres } from "../../scripts/local/services";
import {
  Pipeline,
  PipelineOptions,
  migrationEnv,
  provisionPipeline,
  runMigration,
  workerEnv,
} from "../../scripts/local/pipeline";
import { loadConfig } from "../src/config";
import { Worker, WorkerOptions, createWorker } from "../src/worker";

/** A row as the tests read it: columns by name, values as pg returns them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read columns by name and compare them
export type Row = Record<string, any>;

export interface Services {
  moto: Moto;
  pg: Postgres;
}

let counter = 0;

export async function startServices(): Promise<Services> {
  const [moto, pg] = await Promise.all([startMoto({ plainHttp: true }), startPostgres()]);
  return { moto, pg };
}

export async function stopServices(s: Services | undefined): Promise<void> {
  await Promise.all([s?.moto.stop(), s?.pg.destroy()]);
}

/**
 * A fresh bucket/queue/DLQ and a fresh database, migrated as ECS does it (dist/migrate.js as the
 * master user, before the worker), so tests do not see each other's rows.
 */
export async function freshPipeline(s: Services, options: PipelineOptions = {}) {
  const name = `t${process.pid}-${++counter}`;
  const pipeline = await provisionPipeline(s.moto.endpoint, { name, visibilityTimeoutSeconds: 4, ...options });
  await s.pg.query(`CREATE DATABASE "${name}"`);
  const migration = migrationEnv(s.pg, { DB_NAME: name });
  await runMigration(migration);
  // LOG_LEVEL=error keeps the expected warnings of failure tests out of the test output.
  const env = {
    ...workerEnv(pipeline, s.pg),
    DB_NAME: name,
    WAIT_TIME_SECONDS: "1",
    HEALTH_FILE: `/tmp/${name}.health`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
  };
  /** Rows of this pipeline's database ([] until the worker has migrated it). */
  const sql = <R extends object = Row>(text: string, params: unknown[] = []) => s.pg.query<R>(text, params, name);
  const rows = () => sql<Row>("SELECT * FROM documents ORDER BY object_key, id").catch(() => [] as Row[]);
  return { pipeline, env, migration, name, rows, sql };
}

/** Starts a worker in this process with `env` (the SDK reads AWS_ENDPOINT_URL from process.env). */
export async function startWorker(env: Record<string, string>, options?: WorkerOptions): Promise<RunningWorker> {
  Object.assign(process.env, env);
  const worker = await createWorker(loadConfig(env), options);
  return { worker, done: worker.consumer.run() };
}

export type RunningWorker = { worker: Worker; done: Promise<void> };

/**
 * Registers the hooks of an integration test file: services started once for the file, and
 * the worker a test started (`ctx.running`) stopped after each test.
 */
export function useServices(): { services: Services; running?: RunningWorker } {
  const ctx = {} as { services: Services; running?: RunningWorker };
  beforeAll(async () => {
    ctx.services = await startServices();
  });
  afterEach(async () => {
    await stopWorker(ctx.running);
    ctx.running = undefined;
  });
  afterAll(async () => stopServices(ctx.services));
  return ctx;
}

export async function stopWorker(w: RunningWorker | undefined): Promise<void> {
  if (!w) return;
  w.worker.consumer.stop();
  await w.done;
  await w.worker.db.close();
}

export async function upload(pipeline: Pipeline, key: string, body: string | Uint8Array): Promise<string | undefined> {
  return (await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucket, Key: key, Body: body }))).VersionId;
}

export async function queueDepth(pipeline: Pipeline, url = pipeline.queueUrl): Promise<number> {
  const attrs = (
    await pipeline.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    )
  ).Attributes!;
  return Number(attrs.ApproximateNumberOfMessages) + Number(attrs.ApproximateNumberOfMessagesNotVisible);
}

/** Polls `check` until it returns true or `timeoutMs` passes; fails the test with `what`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}
