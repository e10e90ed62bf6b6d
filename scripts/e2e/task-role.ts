/**
 * Least privilege exercised (issue 28): the worker runs under the task role of the applied task
 * definition, with IAM enforced by the emulator (scripts/emulator/access.py), and ingests as on ECS:
 * uploads become rows, a non-UTF-8 file a rejection, a redelivered notification nothing new, a
 * malformed message is released until the dead-letter queue takes it. Then a session of the same role
 * is refused, each by its own error code, everything the role does not grant.
 *
 * Its credentials come as ECS gives them: from the container credentials endpoint
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN), which the emulator's ECS
 * stand-in serves for a registered task definition's role only if that role trusts ecs-tasks.amazonaws.com.
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { IncomingMessage, get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { workerDbEnv } from "../local/pipeline";
import { Moto, Postgres, REPO_ROOT, stopProcess } from "../local/services";
import { assert } from "./assert";
import { REGION, emulatorClientConfig } from "./aws";
import { StateResource, single } from "./image-build";
import { proveIngest } from "./ingest";

export interface TaskRoleRun {
  moto: Moto;
  pg: Postgres;
  /** The deployer's S3 client (the e2e's admin identity), for uploads. */
  s3: S3Client;
  resources: StateResource[];
  outputs: Record<string, string>;
  /** A bucket the role has no grant on, and an object in it. */
  otherObject: { bucket: string; key: string };
  work: string;
  log: (message: string) => void;
}

type Session = { accessKeyId: string; secretAccessKey: string; sessionToken: string };

/** The error names each refusal must carry: AWS's codes, as the SDK reports them. */
export const REFUSALS = {
  "s3:PutObject on the ingest bucket": "AccessDenied",
  "s3:DeleteObject on the ingest bucket": "AccessDenied",
  "s3:GetObject on another bucket": "AccessDenied",
  "sqs:SendMessage to the ingest queue": "AccessDenied", // SQS is query-compatible: the SDK names its query code
  "sqs:ReceiveMessage on the dead-letter queue": "AccessDenied",
  "secretsmanager:GetSecretValue on the master secret": "AccessDeniedException",
  "kms:Encrypt with the data key": "AccessDeniedException",
} as const;

async function ingestUnderRole(run: TaskRoleRun, signal: AbortSignal): Promise<void> {
  const rows = await proveIngest(run.s3, run.pg, run.outputs.ingest_bucket_name);
  run.log(`${rows} rows in PostgreSQL, exactly the uploaded .txt files, read and deleted under the task role`);
  run.log(await proveRejectedAndRedelivered(run, signal));
}

/**
 * Where the applied task definition's containers get their credentials, as ECS tells them: the
 * container credentials endpoint of the emulator's ECS stand-in, for the task role it names.
 */
export function taskRoleCredentials(moto: Moto, resources: StateResource[]) {
  const taskDefinition = single(resources, "aws_ecs_task_definition");
  const uri = `${moto.endpoint}/_nexus/ecs/credentials/${taskDefinition.arn}/task`;
  return {
    taskRole: taskDefinition.task_role_arn as string,
    taskDefinition: taskDefinition.arn as string,
    env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: uri, AWS_CONTAINER_AUTHORIZATION_TOKEN: moto.ecsCredentialsToken! },
  };
}

/** The worker as a process, under the task role: ingests, rejects, skips a redelivery, dead-letters. */
export async function proveTaskRole(run: TaskRoleRun): Promise<string[]> {
  const credentials = taskRoleCredentials(run.moto, run.resources);
  run.log(`task role: ${credentials.taskRole} (from the applied task definition ${credentials.taskDefinition})`);
  const worker = startWorker(run, credentials.env);
  const logFile = join(run.work, "worker-task-role.log");
  // A worker that exits on its own (a refused call ends it) fails the phase at once, with its error.
  const done = new AbortController();
  const exited = new Promise<never>((_, reject) =>
    worker.once("exit", (code) => {
      const errors = readFileSync(logFile, "utf8")
        .split("\n")
        .filter((l) => l.includes('"level":"error"'));
      reject(new Error(`the worker under the task role exited with ${code}: ${errors.join(" ") || "no error line"}`));
    }),
  );
  try {
    await Promise.race([exited, ingestUnderRole(run, done.signal)]);
  } finally {
    done.abort(); // a check still waiting when the worker exited stops polling
    worker.removeAllListeners("exit");
    await stopProcess(worker);
  }
  const lines = readFileSync(logFile, "utf8");
  assert(!/AccessDenied|ExpiredToken|CredentialsProviderError/.test(lines), "the worker was refused nothing");
  return [`worker log: no refusal in ${lines.split("\n").length - 1} lines`];
}

/** The credentials the endpoint gives, and that they are a session of the applied task role. */
async function taskCredentials(moto: Moto, uri: string, taskRole: string): Promise<Session> {
  const headers = { Authorization: moto.ecsCredentialsToken! };
  const body = await new Promise<string>((resolve, reject) => {
    const answer = (res: IncomingMessage) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}: ${text}`))));
    };
    const request = moto.ca
      ? httpsGet(uri, { ca: readFileSync(moto.ca), headers, agent: false }, answer)
      : httpGet(uri, { headers, agent: false }, answer);
    request.on("error", reject);
  });
  const answer = JSON.parse(body) as Record<string, string>;
  assert(answer.RoleArn === taskRole, `the endpoint's credentials are the task role's (got ${answer.RoleArn})`);
  return { accessKeyId: answer.AccessKeyId, secretAccessKey: answer.SecretAccessKey, sessionToken: answer.Token };
}

function startWorker(run: TaskRoleRun, credentials: Record<string, string>): ChildProcess {
  const logFile = join(run.work, "worker-task-role.log");
  writeFileSync(logFile, "");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QUEUE_URL: run.outputs.ingest_queue_url,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: run.moto.endpoint,
    // As on ECS: no keys in the environment; the SDK's chain reaches the container credentials endpoint.
    ...credentials,
    AWS_S3_FORCE_PATH_STYLE: "true",
    // One file: the system bundle plus the emulator's CA (none when it serves plain HTTP).
    ...(run.moto.caBundle ? { NODE_EXTRA_CA_CERTS: run.moto.caBundle } : {}),
    ...workerDbEnv(run.pg), // the local PostgreSQL stands in for RDS: no TLS, a password for nexus_worker
    WAIT_TIME_SECONDS: "1",
    HEALTH_FILE: join(run.work, "worker.health"),
  };
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"])
    delete env[name];
  const child = spawn(process.execPath, [join(REPO_ROOT, "worker", "dist", "index.js")], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => writeFileSync(logFile, d, { flag: "a" }));
  child.stderr!.on("data", (d) => writeFileSync(logFile, d, { flag: "a" }));
  return child;
}

/**
 * A non-UTF-8 upload becomes a `not_utf8` rejection; the notification of an object already stored,
 * sent again, adds no row and is deleted; a malformed message is released (ChangeMessageVisibility)
 * until maxReceiveCount moves it to the dead-letter queue.
 */
async function proveRejectedAndRedelivered(run: TaskRoleRun, signal: AbortSignal): Promise<string> {
  const { s3, pg, outputs, moto } = run;
  const sqs = new SQSClient(emulatorClientConfig(moto.endpoint, moto.ca));
  try {
    const bucket = outputs.ingest_bucket_name;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "e2e/latin1.txt",
        Body: Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]),
      }),
    );
    await until(signal, "the non-UTF-8 file is rejected as not_utf8", async () => {
      const rows = await pg.query<{ reason: string }>(
        "SELECT reason FROM rejected_objects WHERE object_key = 'e2e/latin1.txt'",
      );
      return rows.length === 1 && rows[0].reason === "not_utf8";
    });
    const stored = await pg.query<{ object_key: string; version_id: string | null }>(
      "SELECT object_key, version_id FROM documents WHERE object_key = 'e2e/hello.txt'",
    );
    const record = {
      eventVersion: "2.1",
      eventSource: "aws:s3",
      eventName: "ObjectCreated:Put",
      eventTime: new Date().toISOString(),
      s3: { bucket: { name: bucket }, object: { key: "e2e/hello.txt", versionId: stored[0].version_id ?? undefined } },
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: outputs.ingest_queue_url,
        MessageBody: JSON.stringify({ Records: [record] }),
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: outputs.ingest_queue_url, MessageBody: "not an S3 event" }));
    const dead = await until(signal, "the malformed message reaches the dead-letter queue", async () => {
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: outputs.dead_letter_queue_url, WaitTimeSeconds: 1 }),
      );
      return got.Messages?.find((m) => m.Body === "not an S3 event");
    });
    const [{ count }] = await pg.query<{ count: string }>(
      "SELECT count(*) FROM documents WHERE object_key = 'e2e/hello.txt'",
    );
    assert(count === "1", `the redelivered notification added no row (got ${count})`);
    await until(signal, "the ingest queue drains", async () => {
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: outputs.ingest_queue_url, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
      );
      return (got.Messages ?? []).length === 0;
    });
    return `not_utf8 rejection stored; redelivery: still 1 row, message deleted; malformed message in the DLQ (${dead.MessageId})`;
  } finally {
    sqs.destroy();
  }
}

/** Each call outside the role, with a session of the role, refused with exactly its AWS error code. */
export async function proveRefusals(run: Omit<TaskRoleRun, "pg" | "s3" | "work">): Promise<string[]> {
  const { moto, outputs, resources } = run;
  const credentials = taskRoleCredentials(moto, resources);
  const session = await taskCredentials(moto, credentials.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, credentials.taskRole);
  const config = { ...emulatorClientConfig(moto.endpoint, moto.ca), credentials: session, maxAttempts: 1 };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const sqs = new SQSClient(config);
  const secrets = new SecretsManagerClient(config);
  const kms = new KMSClient(config);
  const bucket = outputs.ingest_bucket_name;
  const dataKey = single(resources, "aws_kms_key").arn as string; // the environment's data key
  const calls: Record<keyof typeof REFUSALS, () => Promise<unknown>> = {
    "s3:PutObject on the ingest bucket": () =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: "e2e/forged.txt", Body: "x" })),
    "s3:DeleteObject on the ingest bucket": () =>
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "e2e/hello.txt" })),
    "s3:GetObject on another bucket": () =>
      s3.send(new GetObjectCommand({ Bucket: run.otherObject.bucket, Key: run.otherObject.key })),
    "sqs:SendMessage to the ingest queue": () =>
      sqs.send(new SendMessageCommand({ QueueUrl: outputs.ingest_queue_url, MessageBody: "forged" })),
    "sqs:ReceiveMessage on the dead-letter queue": () =>
      sqs.send(new ReceiveMessageCommand({ QueueUrl: outputs.dead_letter_queue_url, WaitTimeSeconds: 0 })),
    "secretsmanager:GetSecretValue on the master secret": () =>
      secrets.send(new GetSecretValueCommand({ SecretId: outputs.database_secret_arn })),
    "kms:Encrypt with the data key": () =>
      kms.send(new EncryptCommand({ KeyId: dataKey, Plaintext: Buffer.from("x") })),
  };
  const lines: string[] = [];
  try {
    for (const [what, call] of Object.entries(calls) as [keyof typeof REFUSALS, () => Promise<unknown>][]) {
      const error = await call().then(
        () => undefined,
        (err: unknown) => err as { name?: string; $metadata?: { httpStatusCode?: number } },
      );
      assert(error, `${what} was allowed under the task role`);
      assert(error.name === REFUSALS[what], `${what}: refused with ${REFUSALS[what]} (got ${error.name})`);
      lines.push(`refused: ${what}: ${error.name} (${error.$metadata?.httpStatusCode})`);
    }
  } finally {
    for (const client of [s3, sqs, secrets, kms]) client.destroy();
  }
  return lines;
}

async function until<T>(
  signal: AbortSignal,
  what: string,
  probe: () => Promise<T | undefined | false>,
  seconds = 60,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline && !signal.aborted) {
    const result = await probe().catch(() => undefined);
    if (result) return result;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`assertion failed: ${what} within ${seconds} s`);
}
