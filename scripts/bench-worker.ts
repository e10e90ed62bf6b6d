/**
 * Worker benchmark (prints figures; not a timed test). Uploads N small .txt files through the
 * local pipeline (moto + PostgreSQL 17.6) and measures the worker, then the same load through
 * a naive one-message-at-a-time loop (receive 1, get, insert, delete) for comparison.
 * Usage: npm run bench:worker [-- N]   (default 2000). Worker and benchmark share one process,
 * so the peak RSS printed is an upper bound for the worker.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { Client } from "pg";
import { provisionPipeline, workerEnv, Pipeline } from "./local/pipeline";
import { startMoto, startPostgres, Postgres } from "./local/services";
import { loadConfig } from "../worker/src/config";
import { createWorker } from "../worker/src/worker";
import { parseMessageBody } from "../worker/src/events";

const N = Number(process.argv[2] ?? 2000);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function uploadAll(pipeline: Pipeline, prefix: string): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  for (let i = 0; i < N; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, N - i) }, async (_, j) => {
        const key = `${prefix}/${i + j}.txt`;
        sent.set(key, Date.now());
        await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucket, Key: key, Body: `file ${i + j}\n` }));
      }),
    );
  }
  return sent;
}

async function waitRows(pg: Postgres, db: string, table: string, count: number): Promise<{ object_key: string; ingested_at: Date }[]> {
  for (;;) {
    const rows = await pg.query<{ object_key: string; ingested_at: Date }>(`SELECT object_key, ingested_at FROM ${table}`, [], db).catch(() => []);
    if (rows.length >= count) return rows;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function report(name: string, sent: Map<string, number>, rows: { object_key: string; ingested_at: Date }[], started: number, finished: number) {
  const latencies = rows.map((r) => r.ingested_at.getTime() - sent.get(r.object_key)!);
  const seconds = (finished - started) / 1000;
  console.log(`${name}: ${N} files in ${seconds.toFixed(1)} s = ${(N / seconds).toFixed(0)} files/s; upload-to-row p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`);
  return N / seconds;
}

async function main() {
  const [moto, pg] = await Promise.all([startMoto(), startPostgres()]);
  try {
    // The worker.
    const pipeline = await provisionPipeline(moto.endpoint, { name: "bench" });
    const env = { ...workerEnv(pipeline, pg), WAIT_TIME_SECONDS: "1", LOG_LEVEL: "silent", HEALTH_FILE: "/tmp/nexus-bench.health" };
    Object.assign(process.env, env);
    const worker = await createWorker(loadConfig(env));
    let s3Calls = 0;
    worker.s3.middlewareStack.add((next) => async (args) => (s3Calls++, next(args)), { step: "initialize" });
    let pgRoundTrips = 0;
    const commit = worker.db.commit.bind(worker.db);
    worker.db.commit = async (rows) => (pgRoundTrips++, commit(rows));
    const sqsBefore = worker.queue.calls;
    const started = Date.now();
    const running = worker.consumer.run();
    const sent = await uploadAll(pipeline, "w");
    const rows = await waitRows(pg, pg.database, "documents", N);
    const workerRate = report("worker", sent, rows, started, Date.now());
    const sqsCalls = worker.queue.calls - sqsBefore;
    worker.consumer.stop();
    await running;
    await worker.db.close();
    console.log(`  per file: SQS calls ${(sqsCalls / N).toFixed(3)}, S3 calls ${(s3Calls / N).toFixed(3)}, PostgreSQL round trips ${(pgRoundTrips / N).toFixed(3)} (receives that returned empty included)`);

    // The naive loop: receive 1, get, insert, delete.
    const naive = await provisionPipeline(moto.endpoint, { name: "naive" });
    await pg.query("CREATE TABLE naive (object_key text, content text, ingested_at timestamptz DEFAULT now())");
    const client = new Client({ host: "127.0.0.1", port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    await client.connect();
    const naiveStarted = Date.now();
    const uploads = uploadAll(naive, "n");
    let done = 0;
    while (done < N) {
      const { Messages } = await naive.sqs.send(new ReceiveMessageCommand({ QueueUrl: naive.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
      const message = Messages?.[0];
      if (!message) continue;
      const parsed = parseMessageBody(message.Body);
      if (parsed.kind === "objects") {
        for (const ref of parsed.objects) {
          const object = await naive.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
          await client.query("INSERT INTO naive (object_key, content) VALUES ($1, $2)", [ref.key, await object.Body!.transformToString()]);
          done++;
        }
      }
      await naive.sqs.send(new DeleteMessageCommand({ QueueUrl: naive.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    const naiveSent = await uploads;
    const naiveRows = await waitRows(pg, pg.database, "naive", N);
    const naiveRate = report("naive loop", naiveSent, naiveRows, naiveStarted, Date.now());
    await client.end();
    console.log(`throughput worker / naive: ${(workerRate / naiveRate).toFixed(1)}x; peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    await Promise.all([moto.stop(), pg.destroy()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
