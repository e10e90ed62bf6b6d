/**
 * The worker refused by IAM, against the emulator with IAM enforced (its own server: enforcement is
 * process-wide): credentials it cannot get or that AWS does not know end the worker with one error
 * line and a non-zero exit, never an endless backoff.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Moto, Postgres, startMoto, startPostgres } from "../../scripts/local/services";
import { migrationEnv, provisionPipeline, runMigration, workerEnv } from "../../scripts/local/pipeline";

// Starting the emulator and PostgreSQL takes longer than jest's 5 s under load, as in the sibling files.
jest.setTimeout(120000);

let moto: Moto;
let pg: Postgres;
let env: Record<string, string>;

beforeAll(async () => {
  [moto, pg] = await Promise.all([startMoto({ plainHttp: true, enforceIam: true }), startPostgres()]);
  const pipeline = await provisionPipeline(moto.endpoint, { name: "identity", visibilityTimeoutSeconds: 4 });
  await runMigration(migrationEnv(pg));
  env = { ...workerEnv(pipeline, pg), WAIT_TIME_SECONDS: "1", HEALTH_FILE: "/tmp/identity.health", LOG_LEVEL: "info" };
});

afterAll(async () => {
  await Promise.all([moto?.stop(), pg?.destroy()]);
});

/** Runs the worker to its exit (30 s at most); its exit code and its JSON lines. */
async function runToExit(overrides: Record<string, string | undefined>) {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env, ...overrides };
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete merged[name];
  const child = spawn(process.execPath, [join(__dirname, "..", "dist", "index.js")], {
    env: merged,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  const lines = output
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { level: string; msg: string; err?: Record<string, unknown> });
  return { code, lines, errors: lines.filter((l) => l.level === "error") };
}

test("credentials AWS does not know: one error line naming the refusal, exit 1", async () => {
  const { code, errors } = await runToExit({ AWS_ACCESS_KEY_ID: "AKIAUNKNOWN000000000", AWS_SECRET_ACCESS_KEY: "x" });
  expect(code).toBe(1);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({
    msg: "worker failed",
    err: {
      name: "ReceiveRefused",
      message: expect.stringContaining("receive refused (InvalidClientTokenId)"),
      cause: { name: "InvalidClientTokenId" },
    },
  });
});

test("no role to be had from the container credentials endpoint: one error line, exit 1", async () => {
  // As on ECS, no key in the environment: the SDK asks the endpoint, which has no such task definition.
  const unregistered = "arn:aws:ecs:us-east-1:123456789012:task-definition/never-registered:1";
  const { code, errors } = await runToExit({
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${moto.endpoint}/_nexus/ecs/credentials/${unregistered}/task`,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: moto.ecsCredentialsToken,
  });
  expect(code).toBe(1);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({
    msg: "worker failed",
    err: { name: "ReceiveRefused", cause: { name: "CredentialsProviderError" } },
  });
});

test("a QUEUE_URL naming no queue: one error line, exit 1", async () => {
  const { code, errors } = await runToExit({ QUEUE_URL: `${moto.endpoint}/123456789012/no-such-queue` });
  expect(code).toBe(1);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ msg: "worker failed", err: { name: "ReceiveRefused" } });
  expect(String(errors[0].err!.message)).toMatch(/^receive refused \(QueueDoesNotExist\)/);
});
