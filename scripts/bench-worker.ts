/**
 * Worker benchmark (prints figures; not a timed test), against the local pipeline (moto +
 * PostgreSQL 17.6). Usage: npm run bench:worker [-- N]   (default 2000).
 *
 * 1. Throughput: N small .txt files in waves of WAVE: each wave is uploaded first, then the timer
 *    runs while the worker drains it; the same for a naive one-message-at-a-time loop (receive
 *    1, get, insert, delete). Uploading first keeps moto's PUT rate out of both figures; waves
 *    keep the backlog small, because moto's ReceiveMessage costs O(backlog) per message
 *    returned (it recomputes every queue attribute for each), which would swamp both loops.
 * 2. Latency: N more files uploaded while the worker runs; upload-to-row p50/p99.
 * 3. Emulator ceiling: N bare GetObject calls, 40 at a time: the most files/s any consumer of
 *    this moto server could reach, since every file needs one read.
 * Worker and load generator share this process, so the peak RSS printed is an upper bound.
 */
process.env.LOG_LEVEL = "silent"; // before the worker's log module reads it (imports below are lazy)

import type { Pipeline } from "./local/pipeline";
import type { Postgres } from "./local/services";

const N = Number(process.argv[2] ?? 2000);
const WAVE = Math.min(N, 200);
/** The worker's drain pipeline; the emulator ceiling re-reads its files (`w/<i>.txt`). */
const DRAIN = "drain";
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const since = (t: number) => (Date.now() - t) / 1000;

/** Uploads files `from` to `to` - 1 under `prefix`, 20 at a time; returns when each was sent. */
async function upload(pipeline: Pipeline, prefix: string, from = 0, to = N): Promise<Map<string, number>> {
  const { PutObjectCommand } = await import("@aws-sdk/client-s3");
  const sent = new Map<string, number>();
  for (let i = from; i < to; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, to - i) }, async (_, j) => {
        const key = `${prefix}/${i + j}.txt`;
        sent.set(key, Date.now());
        await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucket, Key: key, Body: `file ${i + j}\n` }));
      }),
    );
  }
  return sent;
}

type Row = { object_key: string; ingested_at: Date };

async function waitRows(pg: Postgres, table: string, count: number, database = pg.database): Promise<Row[]> {
  for (;;) {
    const rows = await pg
      .query<Row>(`SELECT object_key, ingested_at FROM ${table}`, [], database)
      .catch(() => [] as Row[]);
    if (rows.length >= count) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A worker in this process with its SQS, S3 and PostgreSQL calls counted. `start()` runs a
 * consumer (as the entry point does), `stop()` stops it after its batches in hand.
 */
async function instrumentedWorker(pipeline: Pipeline, pg: Postgres, database = pg.database) {
  const { migrationEnv, runMigration, workerEnv } = await import("./local/pipeline");
  const { loadConfig } = await import("../worker/src/config");
  const { createWorker } = await import("../worker/src/worker");
  const { Consumer } = await import("../worker/src/consumer");
  const { ObjectReader } = await import("../worker/src/objects");
  const env = {
    ...workerEnv(pipeline, pg),
    DB_NAME: database,
    WAIT_TIME_SECONDS: "1",
    HEALTH_FILE: `/tmp/nexus-bench-${pipeline.options.name}.health`,
  };
  Object.assign(process.env, env);
  await runMigration(migrationEnv(pg, { DB_NAME: database }));
  const config = loadConfig(env);
  const worker = await createWorker(config);
  const counts = { s3: 0, pg: 0, sqsBefore: worker.queue.calls };
  worker.s3.middlewareStack.add((next) => async (args) => (counts.s3++, next(args)), { step: "initialize" });
  const commit = worker.db.commit.bind(worker.db);
  worker.db.commit = async (rows) => (counts.pg++, commit(rows));
  let consumer = worker.consumer;
  let running: Promise<void> | undefined;
  return {
    start: () => {
      // A stopped consumer cannot run again: every start after the first gets a fresh one.
      consumer = running
        ? new Consumer({
            queue: worker.queue,
            reader: new ObjectReader(worker.s3, config.maxObjectBytes),
            db: worker.db,
            config,
          })
        : consumer;
      running = consumer.run();
    },
    stop: async () => (consumer.stop(), await running),
    calls: () => ({ sqs: worker.queue.calls - counts.sqsBefore, s3: counts.s3, pg: counts.pg }),
    close: () => worker.db.close(),
  };
}

/**
 * Uploads N files wave by wave; `drain(end)` must consume the wave; returns the seconds spent
 * draining. `settle` runs after each wave, untimed.
 */
async function inWaves(
  pipeline: Pipeline,
  prefix: string,
  drain: (end: number) => Promise<void>,
  settle = async () => {},
): Promise<number> {
  let seconds = 0;
  for (let from = 0; from < N; from += WAVE) {
    const end = Math.min(N, from + WAVE);
    await upload(pipeline, prefix, from, end);
    const started = Date.now();
    await drain(end);
    seconds += since(started);
    await settle();
  }
  return seconds;
}

function reportDrain(name: string, seconds: number): number {
  console.log(`${name}: ${N} files drained in ${seconds.toFixed(1)} s = ${(N / seconds).toFixed(1)} files/s`);
  return N / seconds;
}

async function workerDrain(endpoint: string, pg: Postgres): Promise<number> {
  const { provisionPipeline } = await import("./local/pipeline");
  const pipeline = await provisionPipeline(endpoint, { name: DRAIN });
  const worker = await instrumentedWorker(pipeline, pg);
  const seconds = await inWaves(
    pipeline,
    "w",
    async (end) => {
      worker.start();
      await waitRows(pg, "documents", end);
    },
    // A receive aborted by stop() still waits its long poll out in moto (as in SQS) and would
    // take messages of the next wave; let it expire before uploading.
    async () => (await worker.stop(), await new Promise((r) => setTimeout(r, 1500))),
  );
  const calls = worker.calls();
  await worker.close();
  const rate = reportDrain("worker", seconds);
  const per = (n: number) => (n / N).toFixed(3);
  console.log(
    `  per file: SQS calls ${per(calls.sqs)}, S3 calls ${per(calls.s3)}, PostgreSQL round trips ${per(calls.pg)} (empty receives included)`,
  );
  return rate;
}

async function naiveDrain(endpoint: string, pg: Postgres): Promise<number> {
  const { provisionPipeline } = await import("./local/pipeline");
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const { DeleteMessageCommand, ReceiveMessageCommand } = await import("@aws-sdk/client-sqs");
  const { parseMessageBody } = await import("../worker/src/events");
  const { Client } = await import("pg");
  const naive = await provisionPipeline(endpoint, { name: "naive" });
  await pg.query("CREATE TABLE naive (object_key text, content text, ingested_at timestamptz DEFAULT now())");
  const client = new Client({
    host: "127.0.0.1",
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database: pg.database,
  });
  await client.connect();
  let done = 0;
  const seconds = await inWaves(naive, "n", async (end) => {
    while (done < end) {
      const { Messages } = await naive.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: naive.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
      );
      const message = Messages?.[0];
      if (!message) continue;
      const parsed = parseMessageBody(message.Body);
      for (const ref of parsed.kind === "objects" ? parsed.objects : []) {
        const object = await naive.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
        await client.query("INSERT INTO naive (object_key, content) VALUES ($1, $2)", [
          ref.key,
          await object.Body!.transformToString(),
        ]);
        done++;
      }
      await naive.sqs.send(
        new DeleteMessageCommand({ QueueUrl: naive.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  });
  await client.end();
  return reportDrain("naive loop", seconds);
}

async function liveLatency(endpoint: string, pg: Postgres): Promise<void> {
  const { provisionPipeline } = await import("./local/pipeline");
  const pipeline = await provisionPipeline(endpoint, { name: "live" });
  await pg.query("CREATE DATABASE live");
  const worker = await instrumentedWorker(pipeline, pg, "live");
  worker.start();
  const started = Date.now();
  const sent = await upload(pipeline, "l");
  const uploadSeconds = since(started);
  const rows = await waitRows(pg, "documents", N, "live");
  await worker.stop();
  await worker.close();
  const latencies = rows.map((r) => r.ingested_at.getTime() - sent.get(r.object_key)!);
  console.log(
    `worker, live uploads: ${N} files uploaded in ${uploadSeconds.toFixed(1)} s (${(N / uploadSeconds).toFixed(1)}/s, moto's PUT rate), all stored ${since(started).toFixed(1)} s after the first; upload-to-row p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`,
  );
}

/**
 * What moto allows any consumer: bare GetObject calls 40 at a time, and the SQS cost per message
 * of draining a backlog of WAVE with ReceiveMessage(10) + DeleteMessageBatch, one client and
 * nothing else running. Every file needs one read, one receive and one delete, and moto serves
 * them on one Python thread, so 1 / (read + SQS) is the most files/s it can feed.
 */
async function emulatorCeiling(endpoint: string): Promise<void> {
  const { awsClients } = await import("./local/pipeline");
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } =
    await import("@aws-sdk/client-sqs");
  const { s3, sqs } = awsClients(endpoint);
  let started = Date.now();
  for (let i = 0; i < N; i += 40) {
    await Promise.all(
      Array.from({ length: Math.min(40, N - i) }, async (_, j) =>
        (
          await s3.send(new GetObjectCommand({ Bucket: `${DRAIN}-ingest`, Key: `w/${i + j}.txt` }))
        ).Body!.transformToString(),
      ),
    );
  }
  const readMs = (Date.now() - started) / N;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "ceiling" }));
  for (let i = 0; i < WAVE; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, j) => ({ Id: String(j), MessageBody: `m${i + j}` })),
      }),
    );
  }
  started = Date.now();
  for (let received = 0; received < WAVE; ) {
    const messages =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))).Messages ??
      [];
    if (messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    received += messages.length;
  }
  const sqsMs = (Date.now() - started) / WAVE;
  console.log(
    `emulator: GetObject ${readMs.toFixed(1)} ms per read (40 at a time); receive + delete in batches of 10 ${sqsMs.toFixed(1)} ms per message (backlog ${WAVE} down to 0): at most ${(1000 / (readMs + sqsMs)).toFixed(0)} files/s for any consumer`,
  );
}

async function main() {
  const { startMoto, startPostgres } = await import("./local/services");
  const [moto, pg] = await Promise.all([startMoto({ plainHttp: true }), startPostgres()]);
  try {
    const workerRate = await workerDrain(moto.endpoint, pg);
    const naiveRate = await naiveDrain(moto.endpoint, pg);
    console.log(`throughput worker / naive: ${(workerRate / naiveRate).toFixed(1)}x`);
    await emulatorCeiling(moto.endpoint);
    await liveLatency(moto.endpoint, pg);
    console.log(
      `peak RSS of this process (worker + load generator): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );
  } finally {
    await Promise.all([moto.stop(), pg.destroy()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
