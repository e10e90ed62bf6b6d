/**
 * One benchmark contender in its own process, compiled JavaScript run by plain node (no loader in
 * the measured process), spawned by worker-bench.ts with an IPC channel:
 *   ready  -> (parent: go)   CPU and round trips counted from here
 *   report <- (parent: mark) the phase so far (the first W files of a fresh process); the next starts
 *   report <- (parent: stop) CPU ms, peak RSS, PostgreSQL round trips; then the parent kills it
 * The contender's AWS calls are counted outside this process, by the emulator.
 * Usage (npm run build first): node build/scripts/bench/contender.js <worker|sqs-consumer|sqs-consumer-tuned|naive>
 */
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, SQSClientConfig } from "@aws-sdk/client-sqs";
import * as pg from "pg";
import { Consumer as SqsConsumer } from "sqs-consumer";
import { insertFiles, readFiles } from "./file-work";

export const CONTENDERS = ["worker", "sqs-consumer", "sqs-consumer-tuned", "naive"] as const;
export type ContenderName = (typeof CONTENDERS)[number];

export interface Report {
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly pgRoundTrips: number;
  /** CPU ms of the process's other threads (V8's compilers and GC helpers, libuv's pool): part of cpuMs. */
  readonly helperThreadsMs: number;
}

/** Run time in ms of every thread of this process but the main (JavaScript) thread, from schedstat. */
function helperThreadsMs(): number {
  let ms = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    if (tid === String(process.pid)) continue;
    try {
      ms += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ms;
}

/**
 * The process's own peak RSS: VmHWM of /proc/self/status. Not getrusage's maxRSS, which on Linux
 * carries the forking parent's peak across exec.
 */
function peakRssMb(): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return hwm ? Number(hwm[1]) / 1024 : process.memoryUsage.rss() / 2 ** 20;
}

let roundTrips = 0;
/** Counts every statement sent, in the pg copy each contender loads (the worker has its own). */
function countQueries(pgModule: { Client: { prototype: { query: (...args: unknown[]) => unknown } } }): void {
  const query = pgModule.Client.prototype.query;
  pgModule.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    roundTrips++;
    return query.apply(this, args);
  };
}

const env = process.env as Record<string, string>;
const pool = () =>
  new pg.Pool({
    host: env.DB_HOST,
    port: Number(env.DB_PORT),
    database: env.DB_NAME,
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    max: 2,
  });

/** The worker as built (worker/dist), from the directory the parent names. */
const requireWorker = (id: string) =>
  createRequire(join(process.env.NEXUS_WORKER_DIR ?? join(process.cwd(), "worker"), "package.json"))(id);

type Start = () => { stop: () => void };

async function contender(name: ContenderName): Promise<Start> {
  const region = env.AWS_REGION;
  if (name === "worker") {
    countQueries(requireWorker("pg"));
    const { loadConfig } = requireWorker("./dist/config.js");
    const { createWorker } = requireWorker("./dist/worker.js");
    const worker = await createWorker(loadConfig(env));
    return () => {
      void worker.consumer.run();
      return { stop: () => worker.consumer.stop() };
    };
  }
  countQueries(pg);
  const db = pool();
  await db.query("SELECT 1");
  if (name === "naive") {
    // Receive 1, get, insert, delete: what a first version looks like.
    const sqs = new SQSClient({ region });
    const s3 = new S3Client({ region, forcePathStyle: true });
    return () => {
      let running = true;
      void (async () => {
        while (running) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: env.QUEUE_URL, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 }),
          );
          for (const message of Messages) {
            await insertFiles(db, await readFiles(s3, message));
            await sqs.send(new DeleteMessageCommand({ QueueUrl: env.QUEUE_URL, ReceiptHandle: message.ReceiptHandle }));
          }
        }
      })();
      return { stop: () => (running = false) };
    };
  }
  // sqs-consumer's recommended batch mode, as its README shows it; "tuned" adds exactly the client
  // settings our worker uses (worker/src/worker.ts CLIENT_SETTINGS).
  const tuned: Partial<SQSClientConfig> =
    name === "sqs-consumer-tuned" ? requireWorker("./dist/worker.js").CLIENT_SETTINGS : {};
  const s3 = new S3Client({ region, forcePathStyle: true, ...(tuned as object) });
  const consumer = SqsConsumer.create({
    queueUrl: env.QUEUE_URL,
    sqs: new SQSClient({ region, ...tuned }),
    batchSize: 10,
    waitTimeSeconds: 20,
    handleMessageBatch: async (messages) => {
      const rows = (await Promise.all(messages.map((m) => readFiles(s3, m)))).flat();
      await insertFiles(db, rows);
      return messages;
    },
  });
  consumer.on("error", (err) => console.error(`sqs-consumer: ${err.message}`));
  consumer.on("processing_error", (err) => console.error(`sqs-consumer: ${err.message}`));
  return () => {
    consumer.start();
    return { stop: () => consumer.stop() };
  };
}

async function main(): Promise<void> {
  const name = process.argv[2] as ContenderName;
  if (!CONTENDERS.includes(name)) throw new Error(`unknown contender ${name}; one of ${CONTENDERS.join(", ")}`);
  const start = await contender(name);
  let running: { stop: () => void } | undefined;
  // The phase measured since "go" or the last "mark": a "mark" reports the first phase (cold) and starts the next.
  let cpu0 = process.cpuUsage();
  let helpers0 = 0;
  const begin = () => {
    roundTrips = 0;
    cpu0 = process.cpuUsage();
    helpers0 = helperThreadsMs();
  };
  const report = (): Report => {
    const cpu = process.cpuUsage(cpu0);
    return {
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMb: peakRssMb(),
      pgRoundTrips: roundTrips,
      helperThreadsMs: helperThreadsMs() - helpers0,
    };
  };
  process.on("message", (msg: string) => {
    if (msg === "go") {
      begin();
      running = start();
    } else if (msg === "mark") {
      const phase = report();
      begin();
      process.send!(phase);
    } else if (msg === "stop") {
      const phase = report();
      running?.stop();
      // Under --cpu-prof the profile is written at exit.
      process.send!(phase, () => process.env.NEXUS_EXIT_AFTER_REPORT && process.exit(0));
    }
  });
  process.send!("ready");
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`contender failed: ${err.stack ?? err}`);
    process.exit(1);
  });
}
