/**
 * The worker end to end through real services: S3 API -> notification -> SQS -> worker ->
 * PostgreSQL 17.6. Nothing is mocked.
 */
import { createHash } from "node:crypto";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { eventually, freshPipeline, queueDepth, startWorker, upload, useServices } from "./harness";

jest.setTimeout(90000);
const ctx = useServices();

test("an uploaded .txt file becomes one row with its content, hash, version and metadata; the message is deleted", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  ctx.running = await startWorker(env);
  const version = await upload(pipeline, "reports/hello world+ü.txt", "Hello from Nexus!\n");
  await eventually("the row", async () => (await rows()).length === 1);
  const [row] = await rows();
  expect(row).toMatchObject({
    bucket: pipeline.bucket,
    object_key: "reports/hello world+ü.txt",
    version_id: version,
    object_version: version,
    size_bytes: "18",
    content: "Hello from Nexus!\n",
    sha256: createHash("sha256").update("Hello from Nexus!\n").digest("hex"),
  });
  expect(row.event_time).toBeInstanceOf(Date);
  await eventually("the queue to drain (the TestEvent too)", async () => (await queueDepth(pipeline)) === 0);
});

test("a file that is not .txt raises no notification and no row", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  ctx.running = await startWorker(env);
  await upload(pipeline, "image.png", "png");
  await upload(pipeline, "note.txt", "text");
  await eventually("the .txt row", async () => (await rows()).length === 1);
  expect((await rows()).map((r) => r.object_key)).toEqual(["note.txt"]);
});

test("the same notification delivered twice makes one row, and both messages are deleted", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  await upload(pipeline, "twice.txt", "once");
  // Take the notification off the queue and put two copies back: a redelivery, as SQS may do.
  let body: string | undefined;
  await eventually("the notification", async () => {
    const received = await pipeline.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    body = received.Messages?.map((m) => m.Body!).find((b) => b.includes("twice.txt")) ?? body;
    return body !== undefined;
  });
  for (let i = 0; i < 2; i++)
    await pipeline.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl, MessageBody: body! }));
  ctx.running = await startWorker(env);
  await eventually(
    "both copies consumed",
    async () => (await queueDepth(pipeline)) === 0 && (await rows()).length === 1,
    40000,
  );
  expect((await rows()).length).toBe(1);
});

test("a poison message goes to the DLQ after maxReceiveCount while other files still land", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services, { maxReceiveCount: 3 });
  await pipeline.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl, MessageBody: "not an S3 event" }));
  ctx.running = await startWorker(env);
  await upload(pipeline, "good.txt", "good");
  await eventually("the good row", async () => (await rows()).length === 1);
  await eventually(
    "the poison message in the DLQ",
    async () => (await queueDepth(pipeline, pipeline.dlqUrl)) === 1,
    40000,
  );
  expect(await queueDepth(pipeline)).toBe(0);
});

test("over the size cap and invalid UTF-8 are recorded as rejected; an empty file is stored; all acknowledged", async () => {
  const { pipeline, env, rows, sql } = await freshPipeline(ctx.services);
  ctx.running = await startWorker({ ...env, MAX_OBJECT_BYTES: "64" });
  await upload(pipeline, "big.txt", "x".repeat(65));
  await upload(pipeline, "latin1.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
  await upload(pipeline, "nul.txt", "a\u0000b");
  await upload(pipeline, "empty.txt", "");
  await eventually(
    "three rejections and one document",
    async () =>
      (await rows()).length === 1 && (await sql("SELECT 1 FROM rejected_objects").catch(() => [])).length === 3,
  );
  expect((await rows()).map((r) => [r.object_key, r.content, r.size_bytes])).toEqual([["empty.txt", "", "0"]]);
  const rejected = await sql("SELECT object_key, reason FROM rejected_objects ORDER BY object_key");
  expect(rejected).toEqual([
    { object_key: "big.txt", reason: "too_large" },
    { object_key: "latin1.txt", reason: "not_utf8" },
    { object_key: "nul.txt", reason: "nul_byte" },
  ]);
  await eventually("the queue to drain", async () => (await queueDepth(pipeline)) === 0);
});

test("an object deleted after upload is logged and acknowledged, with no row", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  const version = await upload(pipeline, "gone.txt", "short-lived");
  await pipeline.s3.send(new DeleteObjectCommand({ Bucket: pipeline.bucket, Key: "gone.txt", VersionId: version }));
  await upload(pipeline, "kept.txt", "kept");
  ctx.running = await startWorker(env);
  await eventually(
    "the kept row and an empty queue",
    async () => (await rows()).length === 1 && (await queueDepth(pipeline)) === 0,
  );
  expect((await rows()).map((r) => r.object_key)).toEqual(["kept.txt"]);
});

test("an idle worker polls with one loop; messages widen it to the concurrency limit", async () => {
  const { pipeline, env, rows } = await freshPipeline(ctx.services);
  ctx.running = await startWorker({ ...env, WORKER_CONCURRENCY: "4", WAIT_TIME_SECONDS: "1" });
  const { stats } = ctx.running.worker.consumer;
  // GIVEN an empty queue (the bucket's test event handled) for six long polls of 1 s
  await eventually("an empty queue", async () => stats.receives >= 4 && (await queueDepth(pipeline)) === 0);
  await new Promise((r) => setTimeout(r, 1500)); // the loops that started together park
  const before = stats.receives;
  stats.peakPolling = 0;
  await new Promise((r) => setTimeout(r, 6000));
  // THEN one loop polled: about one receive a second, not four, and never two at once
  const idleReceives = stats.receives - before;
  expect(idleReceives).toBeGreaterThanOrEqual(4);
  expect(idleReceives).toBeLessThanOrEqual(8);
  expect(stats.peakPolling).toBe(1);

  // WHEN a burst arrives, the parked loops join in
  for (let i = 0; i < 60; i++) await upload(pipeline, `burst-${String(i).padStart(2, "0")}.txt`, `file ${i}`);
  await eventually("all sixty rows", async () => (await rows()).length === 60, 60000);
  expect(stats.peakPolling).toBeGreaterThan(1);
});
