/**
 * `npm run bench:worker [-- --files 1000 --reps 3]` (builds the app and the worker first): CPU per file of our worker against
 * sqs-consumer and a naive loop, in one run, interleaved, over TLS to the emulator.
 *
 * Per contender and repetition: a fresh bucket, queue and migrated database; N small files
 * uploaded first, so the backlog is preloaded through real S3 notifications; then the contender
 * (its own process, scripts/bench/contender.ts) drains it. With `--warmup W`, W + N files, and
 * both phases are reported: the first W (cold) and the N after them (warm). Measured:
 *   CPU ms/file  utime+stime of the contender's process from its first receive to the last delete
 *   helper threads  the share of that CPU on threads other than the JavaScript one (V8's
 *                compilers and GC helpers, libuv's pool)
 *   peak RSS     the contender process's VmHWM (its own peak)
 *   SQS/S3 calls counted by the emulator (nexus_moto.py --count-calls), outside the process
 *   PG round trips  statements the contender's pg client sent
 *   rows exact   the database holds exactly the uploaded files (key and sha256); duplicates are
 *                deliveries the emulator made twice (the unique index hides them from the rows)
 * Files/s on the emulator are context only, next to the emulator's own ceiling measured in the
 * same run (receive 10 + delete batch, no work). docs/performance.md has the table and the model.
 */
import { ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  Pipeline,
  migrationEnv,
  provisionPipeline,
  runMigration,
  workerDbEnv,
} from "../local/pipeline";
import { Postgres, REPO_ROOT, startMoto, startPostgres } from "../local/services";
import { CONTENDERS, ContenderName, Report } from "./contender";
import { startTlsProxy } from "./tls-proxy";

/** Where the contenders send their AWS calls: the keep-alive TLS front of the emulator. */
export interface Emulator {
  readonly endpoint: string;
  readonly ca: string;
  readonly caBundle: string;
  stop(): Promise<void>;
}

/** moto over loopback HTTP, counting calls, behind a TLS proxy that keeps connections alive (tls-proxy.ts). */
export async function startEmulator(): Promise<Emulator> {
  const moto = await startMoto({ plainHttp: true, countCalls: true });
  const proxy = await startTlsProxy(moto.endpoint);
  return { ...proxy, stop: async () => (await proxy.close(), await moto.stop()) };
}

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
export const FILES = arg("files", 1000);
/** `--contenders worker,sqs-consumer`: a subset, for iterating; the docs' table runs all. */
const ONLY = process.argv.includes("--contenders")
  ? process.argv[process.argv.indexOf("--contenders") + 1].split(",")
  : undefined;
const REPS = arg("reps", 3);
/**
 * `--warmup W`: the contender first drains W files (the "cold" phase, a fresh process), then the N
 * measured ones ("warm"): a long-running task's cost per file, once the JIT has compiled the hot
 * paths. Both phases come from one drain of W + N files.
 */
export const WARMUP = arg("warmup", 0);
/** AWS list prices per request, us-east-1: SQS standard $0.40 per million, S3 GET $0.0004 per 1,000. */
const SQS_PRICE = 0.4 / 1e6;
const S3_GET_PRICE = 0.0004 / 1000;

interface Calls {
  calls: Record<string, number>;
  deliveries: number;
  duplicates: number;
  deleted: number;
}

type Phase = "cold" | "warm";

interface Run extends Report {
  readonly contender: ContenderName | "emulator ceiling";
  readonly phase: Phase;
  /** Files drained in the phase. */
  readonly files: number;
  readonly seconds: number;
  readonly sqsCalls: number;
  readonly s3Calls: number;
  readonly duplicates: number;
  readonly rowsExact: boolean;
}

/** The emulator's call counts (over TLS, trusting its CA); `reset` zeroes them first. */
function counter(aws: Emulator, reset = false): Promise<Calls> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${aws.endpoint}/_nexus/calls${reset ? "/reset" : ""}`);
    const request = httpsRequest(url, { method: reset ? "POST" : "GET", ca: readFileSync(aws.ca) }, (response) => {
      let body = "";
      response.on("data", (d) => (body += d));
      response.on("end", () => resolve(JSON.parse(body) as Calls));
    });
    request.on("error", reject);
    request.end();
  });
}

const sum = (calls: Record<string, number>, service: string) =>
  Object.entries(calls)
    .filter(([name]) => name.startsWith(`${service}:`))
    .reduce((n, [, count]) => n + count, 0);

/**
 * N small files, each a distinct line of text; returns the expected (key, sha256) list and how
 * many messages the queue holds (N, plus the s3:TestEvent S3 sent when notifications were set).
 */
async function preload(
  pipeline: Pipeline,
  prefix: string,
  files: number,
): Promise<{ expected: string; messages: number }> {
  const expected: string[] = [];
  const keys = Array.from({ length: files }, (_, i) => `${prefix}/file-${String(i).padStart(5, "0")}.txt`);
  for (let i = 0; i < keys.length; i += 16) {
    await Promise.all(
      keys.slice(i, i + 16).map(async (key) => {
        const body = `document ${key}: ${"lorem ipsum ".repeat(8)}\n`;
        await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucket, Key: key, Body: body }));
        expected.push(`${key} ${createHash("sha256").update(body).digest("hex")}`);
      }),
    );
  }
  const depth = async () => {
    const { Attributes } = await pipeline.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: pipeline.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages);
  };
  while ((await depth()) < files) await new Promise((r) => setTimeout(r, 100));
  return { expected: expected.sort().join("\n"), messages: await depth() };
}

async function rowsOf(pg: Postgres, database: string): Promise<string> {
  const rows = await pg.query<{ line: string }>(
    "SELECT object_key || ' ' || sha256 AS line FROM documents ORDER BY 1",
    [],
    database,
  );
  return rows.map((r) => r.line).join("\n");
}

async function fresh(aws: Emulator, pg: Postgres, name: string) {
  const provisioned = await provisionPipeline(aws.endpoint, { name, visibilityTimeoutSeconds: 120 }, aws.caBundle);
  // moto builds queue URLs from what it sees, plain HTTP; the clients reach it through the TLS front.
  const pipeline = { ...provisioned, queueUrl: provisioned.queueUrl.replace(/^http:/, "https:") };
  await pg.query(`CREATE DATABASE "${name}"`);
  await runMigration(migrationEnv(pg, { DB_NAME: name }));
  return pipeline;
}

function message(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`contender exited ${code}`)));
  });
}

/**
 * Drains a preloaded backlog of WARMUP + FILES with one contender process; returns one run per
 * phase (cold: the first WARMUP files; warm: the FILES after them; without --warmup, one cold run
 * of FILES). Under `profileDir`, the contender runs with --cpu-prof and exits after its report,
 * writing the profile.
 */
export async function drain(
  aws: Emulator,
  pg: Postgres,
  contender: ContenderName,
  rep: number,
  profileDir?: string,
): Promise<Run[]> {
  const name = `bench-${rep}-${contender}`;
  const pipeline = await fresh(aws, pg, name);
  const { expected, messages } = await preload(pipeline, name, WARMUP + FILES);
  const events = messages - WARMUP - FILES; // s3:TestEvent, drained in the first phase
  const child = fork(join(REPO_ROOT, "build", "scripts", "bench", "contender.js"), [contender], {
    execArgv: ["--no-warnings", ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [])],
    env: {
      ...process.env,
      ...(profileDir ? { NEXUS_EXIT_AFTER_REPORT: "1" } : {}),
      NEXUS_WORKER_DIR: join(REPO_ROOT, "worker"),
      ...workerDbEnv(pg),
      DB_NAME: name,
      QUEUE_URL: pipeline.queueUrl,
      AWS_REGION: LOCAL_REGION,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_S3_FORCE_PATH_STYLE: "true",
      NODE_EXTRA_CA_CERTS: aws.caBundle,
      VISIBILITY_TIMEOUT_SECONDS: "120",
      HEALTH_FILE: `/tmp/${name}.health`,
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  try {
    if ((await message(child)) !== "ready") throw new Error(`${contender} did not start`);
    let calls = await counter(aws, true);
    const phases: { phase: Phase; report: Report; calls: Calls; seconds: number }[] = [];
    let before = calls;
    let started = process.hrtime.bigint();
    /** Waits until `deleted` messages are gone, then ends the phase with `signal` (mark or stop). */
    const phase = async (phase: Phase, deleted: number, signal: "mark" | "stop") => {
      while (calls.deleted < deleted) {
        await new Promise((r) => setTimeout(r, 50));
        calls = await counter(aws);
      }
      const reported = message(child);
      child.send(signal);
      const report = (await reported) as Report;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      calls = await counter(aws);
      phases.push({ phase, report, seconds, calls: since(calls, before) });
      [before, started] = [calls, process.hrtime.bigint()];
    };
    child.send("go");
    if (WARMUP > 0) await phase("cold", events + WARMUP, "mark");
    await phase(WARMUP > 0 ? "warm" : "cold", messages, "stop");
    const rowsExact = (await rowsOf(pg, name)) === expected;
    return phases.map(({ phase, report, seconds, calls }) => ({
      contender,
      phase,
      // What the phase deleted, less the test event; the last phase ends at the whole backlog.
      files: Math.max(0, calls.deleted - (phase === "cold" ? events : 0)),
      seconds,
      ...report,
      sqsCalls: sum(calls.calls, "sqs"),
      s3Calls: sum(calls.calls, "s3"),
      duplicates: calls.duplicates,
      rowsExact,
    }));
  } finally {
    if (profileDir) await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
    child.kill("SIGKILL");
  }
}

/** The emulator's counts between two readings. */
function since(now: Calls, then: Calls): Calls {
  return {
    calls: Object.fromEntries(Object.entries(now.calls).map(([k, n]) => [k, n - (then.calls[k] ?? 0)])),
    deliveries: now.deliveries - then.deliveries,
    duplicates: now.duplicates - then.duplicates,
    deleted: now.deleted - then.deleted,
  };
}

/** The emulator alone: receive 10 + delete batch with no work, from this process, on the same backlog. */
async function ceiling(aws: Emulator, pg: Postgres, rep: number): Promise<Run> {
  const name = `bench-${rep}-ceiling`;
  const pipeline = await fresh(aws, pg, name);
  const { messages } = await preload(pipeline, name, WARMUP + FILES);
  const started = process.hrtime.bigint();
  let deleted = 0;
  const loop = async () => {
    while (deleted < messages) {
      const { Messages = [] } = await pipeline.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      await pipeline.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: pipeline.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      deleted += Messages.length;
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    contender: "emulator ceiling",
    phase: WARMUP > 0 ? "warm" : "cold",
    files: messages,
    seconds,
    cpuMs: NaN,
    peakRssMb: NaN,
    pgRoundTrips: NaN,
    helperThreadsMs: NaN,
    sqsCalls: NaN,
    s3Calls: NaN,
    duplicates: NaN,
    rowsExact: true,
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** The median of `xs`, with the range in brackets when there is more than one. */
export const fmt = (xs: number[], digits: number) => {
  if (xs.some(Number.isNaN)) return "";
  const m = median(xs).toFixed(digits);
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return xs.length > 1 ? `${m} (${lo}-${hi})` : m;
};

function table(runs: Run[]): string {
  const perFile = (r: Run, x: number) => x / r.files;
  const header = [
    "contender",
    "CPU ms/file",
    "helper threads",
    "files/s per 0.25 vCPU",
    "peak RSS MB",
    "SQS calls/file",
    "S3 calls/file",
    "PG round trips/file",
    "rows exact",
    "duplicate deliveries",
    "AWS requests $/M files",
    "drain files/s (emulator)",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const contender of [...CONTENDERS, "emulator ceiling"] as const) {
    const rs = runs.filter((r) => r.contender === contender);
    if (rs.length === 0) continue; // not run (--contenders)
    const per = (f: (r: Run) => number) => rs.map(f);
    const cpu = per((r) => perFile(r, r.cpuMs));
    lines.push(
      `| ${[
        contender,
        fmt(cpu, 2),
        Number.isNaN(rs[0].helperThreadsMs)
          ? ""
          : `${fmt(
              per((r) => (100 * r.helperThreadsMs) / r.cpuMs),
              0,
            )} %`,
        fmt(
          cpu.map((c) => 250 / c),
          0,
        ),
        fmt(
          per((r) => r.peakRssMb),
          0,
        ),
        fmt(
          per((r) => perFile(r, r.sqsCalls)),
          3,
        ),
        fmt(
          per((r) => perFile(r, r.s3Calls)),
          2,
        ),
        fmt(
          per((r) => perFile(r, r.pgRoundTrips)),
          3,
        ),
        contender === "emulator ceiling" ? "" : rs.every((r) => r.rowsExact) ? "yes" : "**no**",
        fmt(
          per((r) => r.duplicates),
          0,
        ),
        fmt(
          per((r) => perFile(r, r.sqsCalls * SQS_PRICE + r.s3Calls * S3_GET_PRICE) * 1e6),
          2,
        ),
        fmt(
          per((r) => r.files / r.seconds),
          1,
        ),
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  process.removeAllListeners("warning"); // the SDK's Node-version notice, once per process
  const [aws, pg] = await Promise.all([startEmulator(), startPostgres()]);
  const runs: Run[] = [];
  try {
    for (let rep = 1; rep <= REPS; rep++) {
      // Interleaved: each repetition starts with a different contender.
      const order = CONTENDERS.map((_, i) => CONTENDERS[(i + rep - 1) % CONTENDERS.length]).filter(
        (c) => !ONLY || ONLY.includes(c),
      );
      for (const contender of order) {
        for (const run of await drain(aws, pg, contender, rep)) {
          runs.push(run);
          console.error(
            `rep ${rep} ${contender} ${run.phase}: ${(run.cpuMs / run.files).toFixed(2)} CPU ms/file over ${run.files} files, ${(run.files / run.seconds).toFixed(1)} files/s, rows exact ${run.rowsExact}`,
          );
        }
      }
      if (!ONLY) runs.push(await ceiling(aws, pg, rep));
    }
  } finally {
    await Promise.all([aws.stop(), pg.destroy()]);
  }
  console.log(
    `\n${WARMUP > 0 ? `W=${WARMUP} then ` : ""}N=${FILES} files per drain, ${REPS} repetitions, medians (ranges); Node ${process.versions.node}`,
  );
  for (const phase of ["cold", "warm"] as const) {
    const those = runs.filter((r) => r.phase === phase);
    if (those.length === 0) continue;
    console.log(
      phase === "cold"
        ? `\ncold: the first ${WARMUP || FILES} files of a fresh process\n`
        : `\nwarm: the ${FILES} files after them, same process\n`,
    );
    console.log(table(those));
    const cpu = (c: ContenderName) => median(those.filter((r) => r.contender === c).map((r) => r.cpuMs / r.files));
    for (const other of ["sqs-consumer", "sqs-consumer-tuned"] as const) {
      const ratio = cpu("worker") / cpu(other);
      if (!Number.isNaN(ratio))
        console.log(
          `worker / ${other} CPU per file (${phase}): ${ratio.toFixed(2)}x (target <= 0.75x against sqs-consumer)`,
        );
    }
  }
  if (runs.some((r) => !r.rowsExact)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`bench:worker failed: ${err.stack ?? err}`);
    process.exit(1);
  });
}
