/**
 * Failure modes with real services: the database stopping mid-run or down at start (for the worker
 * and for the migration), SIGTERM during a batch. In each, every file lands exactly once.
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { runMigration } from "../../scripts/local/pipeline";
import { log } from "../src/log";
import { eventually, freshPipeline, queueDepth, startWorker, upload, useServices } from "./harness";

jest.setTimeout(120000);
const ctx = useServices();

const keys = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}.txt`);

test("PostgreSQL stopped mid-run and restarted: every file lands exactly once", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  ctx.running = await startWorker(env);
  for (const key of keys("before", 5)) await upload(pipeline, key, key);
  await eventually("the first five rows", async () => (await rows()).length === 5);

  await ctx.services.pg.stop();
  for (const key of keys("during", 5)) await upload(pipeline, key, key);
  await new Promise((r) => setTimeout(r, 3000)); // the worker receives them and cannot commit
  await ctx.services.pg.start();

  await eventually("all ten rows", async () => (await rows()).length === 10, 60000);
  await eventually("the queue to drain", async () => (await queueDepth(pipeline)) === 0);
  const stored = (await rows()).map((r) => r.object_key);
  expect(stored).toEqual([...keys("before", 5), ...keys("during", 5)].sort());
});

test("SIGTERM during a batch: the process exits 0 in time, and nothing is lost or duplicated", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  const all = keys("drain", 40);
  for (const key of all) await upload(pipeline, key, key);
  const child = spawn(process.execPath, [join(__dirname, "..", "dist", "index.js")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    let signalledAt = 0;
    child.once("spawn", () => undefined);
    child.once("exit", (code) => resolve({ code, ms: Date.now() - signalledAt }));
    // Signal as soon as the first rows appear: batches are in hand.
    void eventually("first rows", async () => (await rows()).length > 0, 30000).then(() => {
      signalledAt = Date.now();
      child.kill("SIGTERM");
    });
  });
  const { code, ms } = await exited;
  expect(code).toBe(0);
  expect(ms).toBeLessThan(25000);

  // A fresh worker picks up whatever the first one left or released.
  ctx.running = await startWorker(env);
  await eventually("all forty rows", async () => (await rows()).length === all.length, 60000);
  expect((await rows()).map((r) => r.object_key)).toEqual(all);
});

test("a stop during a long poll: the cancelled receive is an info line, never an error", async () => {
  const { env } = await freshPipeline(ctx.services);
  ctx.running = await startWorker(env);
  // GIVEN a ReceiveMessage on its way to the server (the queue is empty: a 1 s long poll)
  let sending!: () => void;
  const receiving = new Promise<void>((resolve) => (sending = resolve));
  ctx.running.worker.queue.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "ReceiveMessageCommand") sending();
      return next(args);
    },
    { step: "finalizeRequest", name: "receiveSent" },
  );
  const info = jest.spyOn(log, "info");
  const error = jest.spyOn(log, "error");
  try {
    await receiving;
    // WHEN the worker stops (what SIGTERM does)
    const running = ctx.running;
    ctx.running = undefined;
    running.worker.consumer.stop();
    await running.done;
    await running.worker.db.close();
    // THEN the SDK's AbortError is logged at info, and nothing at error
    expect(info.mock.calls.map(([msg]) => msg)).toContain("long poll cancelled by the stop");
    expect(error.mock.calls).toEqual([]);
  } finally {
    info.mockRestore();
    error.mockRestore();
  }
});

test("a message in work past half the visibility timeout is extended, not delivered again", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services); // visibility timeout 4 s
  ctx.running = await startWorker(env);
  // GIVEN an S3 read that takes three visibility timeouts (a real server cannot be slowed on demand)
  const delayMs = 12000;
  let reads = 0;
  const slowRead = async () => (reads++, await new Promise((r) => setTimeout(r, delayMs)));
  ctx.running.worker.s3.middlewareStack.add((next) => async (args) => (await slowRead(), next(args)), {
    step: "initialize",
    name: "slowRead",
  });
  await upload(pipeline, "slow.txt", "slow");

  // WHEN another consumer polls the queue while the worker holds the message
  let stolen = 0;
  const until = Date.now() + delayMs - 1000;
  while (Date.now() < until) {
    const { Messages } = await pipeline.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    stolen += (Messages ?? []).filter((m) => m.Body?.includes("slow.txt")).length; // the bucket's TestEvent may be anyone's
  }

  // THEN neither it nor the worker's other poll loops receive the message again, and the file lands once
  expect(stolen).toBe(0);
  expect(reads).toBe(1);
  await eventually("the row", async () => (await rows()).length === 1, 30000);
  await eventually("the queue to drain", async () => (await queueDepth(pipeline)) === 0);
  expect((await rows()).map((r) => r.object_key)).toEqual(["slow.txt"]);
});

test("a missing variable stops the worker at start with one JSON line naming it", async () => {
  const child = spawn(process.execPath, [join(__dirname, "..", "dist", "index.js")], {
    env: { PATH: process.env.PATH },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const code = await new Promise((resolve) => child.once("exit", resolve));
  expect(code).toBe(2);
  const lines = output.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({
    level: "error",
    msg: "configuration error",
    variable: "QUEUE_URL",
    error: "QUEUE_URL is required and not set",
  });
});

test("a missing variable stops the migration with one JSON line naming it and exit 2", async () => {
  await expect(runMigration({ DB_HOST: "127.0.0.1", DB_NAME: "n", DB_USER: "nexus_admin" })).rejects.toThrow(
    /^migration exited 2: \{[^\n]*"msg":"configuration error","variable":"DB_PASSWORD"[^\n]*\}$/,
  );
});

test("everything the worker prints is a JSON line, the SDK's Node-version warning included", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  const child = spawn(process.execPath, [join(__dirname, "..", "dist", "index.js")], {
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  await upload(pipeline, "json-only.txt", "lines");
  await eventually("the row", async () => (await rows()).length === 1);
  child.kill("SIGTERM");
  expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(0);
  expect(stderr).toBe("");
  const lines = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["worker started", "worker stopped"]));
  // The SDK warns on Node < 22 only; on Node 22 there is simply no such line.
  const nodeMajor = Number(process.versions.node.split(".")[0]);
  if (nodeMajor < 22)
    expect(
      lines.some((l) => l.msg === "process warning" && String(l.warning).includes("NodeVersionSupportWarning")),
    ).toBe(true);
});

describe("started while PostgreSQL is down", () => {
  test("the migration waits, then migrates when the database returns", async () => {
    const { migration, sql } = await freshPipeline(ctx.services);
    await sql("DROP TABLE documents; DROP TABLE rejected_objects; DELETE FROM schema_migrations");
    await ctx.services.pg.stop();
    const migrating = runMigration({ ...migration, LOG_LEVEL: "info" });
    try {
      await new Promise((r) => setTimeout(r, 3000)); // a few attempts while the database is down
    } finally {
      await ctx.services.pg.start();
    }
    const output = await migrating;
    const lines = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: "warn", msg: "database unavailable at start; waiting", attempt: 1 });
    expect(lines.at(-1)).toMatchObject({ level: "info", msg: "migrations done", applied: 1, appUser: "nexus_worker" });
    expect(await sql("SELECT count(*)::int AS n FROM documents")).toEqual([{ n: 0 }]);
  });

  test("past DB_WAIT_SECONDS the migration gives up with a JSON line and a non-zero exit", async () => {
    const { migration } = await freshPipeline(ctx.services);
    await ctx.services.pg.stop();
    try {
      await expect(runMigration({ ...migration, DB_WAIT_SECONDS: "2" })).rejects.toThrow(
        /exited 1: .*"msg":"migration failed".*"message":"database unavailable for 2 s \(DB_WAIT_SECONDS\)"/s,
      );
    } finally {
      await ctx.services.pg.start();
    }
  });

  const workerDir = join(__dirname, "..");
  const start = (env: Record<string, string>) => {
    const child = spawn(process.execPath, ["dist/index.js"], {
      cwd: workerDir,
      env: { ...process.env, ...env, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { text: "" };
    child.stdout!.on("data", (d) => (output.text += d));
    child.stderr!.on("data", (d) => (output.text += d));
    return { child, output, exited: new Promise<number | null>((resolve) => child.once("exit", resolve)) };
  };

  test("the worker waits, stays healthy, then connects and ingests when the database returns", async () => {
    const { pipeline, env, rows, name } = await freshPipeline(ctx.services);
    await ctx.services.pg.stop();
    const worker = start(env);
    try {
      await eventually(
        "the worker to say it waits",
        async () => worker.output.text.includes("database unavailable at start; waiting"),
        30000,
      );
      const health = () =>
        execFileSync(process.execPath, ["dist/healthcheck.js"], {
          cwd: workerDir,
          env: { ...process.env, HEALTH_FILE: `/tmp/${name}.health` },
          stdio: "pipe",
        });
      expect(health).not.toThrow();
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await ctx.services.pg.start();
    }
    await upload(pipeline, "after-the-wait.txt", "waited for the database");
    await eventually("the row", async () => (await rows()).length === 1, 60000);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });

  test("past DB_WAIT_SECONDS the worker gives up with a JSON line and a non-zero exit", async () => {
    const { env } = await freshPipeline(ctx.services);
    await ctx.services.pg.stop();
    try {
      const worker = start({ ...env, DB_WAIT_SECONDS: "2" });
      expect(await worker.exited).toBe(1);
      const last = JSON.parse(worker.output.text.trim().split("\n").pop()!);
      expect(last).toMatchObject({
        level: "error",
        msg: "worker failed",
        err: { name: "StartupError", message: "database unavailable for 2 s (DB_WAIT_SECONDS)" },
      });
    } finally {
      await ctx.services.pg.start();
    }
  });
});
