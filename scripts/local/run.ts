/**
 * The local pipeline, no AWS account: moto (S3, SQS, Secrets Manager) + PostgreSQL 17.6 +
 * the migration and the worker (worker/dist, built by `npm run build:worker`), provisioned as the stacks do.
 *   npm run local            run until Ctrl-C; prints how to upload with the AWS CLI
 *   npm run local -- --demo  upload sample files (incl. a rejected and a renamed one), show the rows, stop
 */
import { ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { migrationEnv, provisionPipeline, runMigration, workerEnv } from "./pipeline";
import { REPO_ROOT, startMoto, startPostgres } from "./services";

const SAMPLES: Record<string, string | Buffer> = {
  "hello.txt": "Hello from Nexus!\n",
  "reports/q3 summary+final.txt": "Revenue up, incidents down.\n",
  "notes/ünïcödé.txt": "Grüße aus der Pipeline ✓\n",
  "empty.txt": "",
  "legacy-latin1.txt": Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), // not UTF-8: recorded as rejected
  "photo.png": "not a .txt: no notification",
};

async function main(): Promise<void> {
  const demo = process.argv.includes("--demo");
  const [moto, pg] = await Promise.all([startMoto({ plainHttp: true }), startPostgres()]);
  const pipeline = await provisionPipeline(moto.endpoint);
  // As in ECS: the migration (master user) first, then the worker as the application role.
  await runMigration(migrationEnv(pg));
  const env = workerEnv(pipeline, pg, { WAIT_TIME_SECONDS: demo ? "1" : "20", HEALTH_FILE: "/tmp/nexus-local.health" });
  const worker: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, "worker", "dist", "index.js")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", demo ? "ignore" : "inherit", "inherit"],
  });
  const shutdown = async () => {
    worker.kill("SIGTERM");
    await new Promise((r) => worker.once("exit", r));
    await Promise.all([moto.stop(), pg.destroy()]);
  };
  console.log(
    `local pipeline: bucket ${pipeline.bucket}, queue ${pipeline.queueUrl}, PostgreSQL 17.6 on 127.0.0.1:${pg.port}`,
  );

  if (!demo) {
    console.log(
      `upload with: AWS_ACCESS_KEY_ID=nexus-local AWS_SECRET_ACCESS_KEY=nexus-local aws --endpoint-url ${moto.endpoint} s3 cp file.txt s3://${pipeline.bucket}/`,
    );
    process.once("SIGINT", () => void shutdown().then(() => process.exit(0)));
    return;
  }
  for (const [key, body] of Object.entries(SAMPLES)) {
    // Bytes with their length: the SDK cannot size an empty string and warns of a stream of unknown length.
    const bytes = Buffer.from(body);
    await pipeline.s3.send(
      new PutObjectCommand({ Bucket: pipeline.bucket, Key: key, Body: bytes, ContentLength: bytes.length }),
    );
    console.log(`uploaded s3://${pipeline.bucket}/${key}`);
  }
  const sql = "SELECT object_key, size_bytes, left(sha256, 12) AS sha256, content FROM documents ORDER BY object_key";
  const deadline = Date.now() + 30000;
  let rows: Record<string, unknown>[] = [];
  while (Date.now() < deadline) {
    rows = await pg.query(sql).catch(() => []);
    const rejected = await pg.query("SELECT object_key, reason FROM rejected_objects").catch(() => []);
    if (rows.length === 4 && rejected.length === 1) {
      console.log("\ndocuments:");
      console.table(rows);
      console.log("rejected_objects:");
      console.table(rejected);
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await shutdown();
  if (rows.length !== 4) throw new Error(`expected 4 documents within 30 s, found ${rows.length}`);
}

main().catch((err) => {
  console.error(`local pipeline failed: ${err.message}`);
  process.exit(1);
});
