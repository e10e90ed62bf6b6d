/**
 * The worker's configuration, read once from the environment the stacks inject. One schema says
 * what every variable allows and its default; a missing or invalid variable stops the worker at
 * start with one line naming it, the value given and what is allowed (our words, not zod's).
 */
import { z } from "zod";
import { log } from "./log";

export type SslMode = "verify-full" | "require" | "disable";
const SSL_MODES = ["verify-full", "require", "disable"] as const;
/** How the application role logs in: IAM tokens on RDS, a password where IAM cannot verify tokens (local). */
export type AuthMode = "iam" | "password";
const AUTH_MODES = ["iam", "password"] as const;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = "ConfigError";
  }
}

interface Variable {
  readonly schema: z.ZodType;
  /** What the variable allows, in words: "must be <allowed>, got <value>". */
  readonly allowed: string;
  readonly fallback?: string;
}

const required = (schema: z.ZodType, allowed: string): Variable => ({ schema, allowed });
const optional = (schema: z.ZodType, allowed: string, fallback: string): Variable => ({ schema, allowed, fallback });
const integer = (min: number, max: number, fallback: number): Variable =>
  optional(z.coerce.number().int().min(min).max(max), `an integer from ${min} to ${max}`, String(fallback));
const text = z.string().trim().min(1);
/** A PostgreSQL role name we create and grant: lower case, no quoting needed. */
const roleName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/);

/** Every variable the worker reads, with what it allows and its default. */
const VARIABLES = {
  QUEUE_URL: required(z.string().regex(/^https?:\/\/\S+$/), "an SQS queue URL"),
  AWS_REGION: required(text, "an AWS region"),
  DB_HOST: required(text, "a host name"),
  DB_PORT: integer(1, 65535, 5432),
  DB_NAME: required(text, "a database name"),
  DB_USER: required(text, "a user name"),
  DB_AUTH: optional(z.enum(AUTH_MODES), `one of ${AUTH_MODES.join(", ")}`, "iam"),
  DB_PASSWORD: optional(text, "a password", ""),
  DB_APP_USER: optional(roleName, "a role name of lower-case letters, digits and _", "nexus_worker"),
  DB_APP_PASSWORD: optional(text, "a password", ""),
  DB_SSL: optional(z.enum(SSL_MODES), `one of ${SSL_MODES.join(", ")}`, "verify-full"),
  DB_CA_FILE: optional(z.string(), "a file path", "/app/certs/rds-global-bundle.pem"),
  WORKER_CONCURRENCY: integer(1, 50, 4),
  MAX_OBJECT_BYTES: integer(1, 256 * 1024 * 1024, 10 * 1024 * 1024),
  VISIBILITY_TIMEOUT_SECONDS: integer(2, 43200, 120),
  WAIT_TIME_SECONDS: integer(0, 20, 20),
  HEALTH_FILE: optional(z.string(), "a file path", "/tmp/nexus-worker.health"),
  SHUTDOWN_TIMEOUT_MS: integer(1000, 120000, 25000),
  DB_WAIT_SECONDS: integer(0, 3600, 300),
  NEXUS_ENVIRONMENT: optional(z.string(), "an environment name", "local"),
} satisfies Record<string, Variable>;

type Name = keyof typeof VARIABLES;

/** Where PostgreSQL is and how to reach it; shared by the worker and the migration. */
export interface DbLocation {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly ssl: SslMode;
  /** CA bundle for verify-full. @default the Amazon RDS bundle baked into the image */
  readonly caFile: string;
}

export interface WorkerConfig {
  readonly queueUrl: string;
  readonly region: string;
  readonly db: DbLocation & {
    /** The application role (nexus_worker), never the master user. */
    readonly user: string;
    /** iam: a fresh RDS auth token per connection; password: DB_PASSWORD. @default iam */
    readonly auth: AuthMode;
    /** Only with auth = password. */
    readonly password?: string;
  };
  /** Receives in flight at once; each holds at most one pool client. @default 4 */
  readonly concurrency: number;
  /** Objects larger than this are recorded as rejected. @default 10 MiB */
  readonly maxObjectBytes: number;
  /** The queue's visibility timeout; the heartbeat extends messages at half of it. @default 120 */
  readonly visibilityTimeoutSeconds: number;
  /** Long-poll wait per receive. @default 20 (the SQS maximum) */
  readonly waitTimeSeconds: number;
  /** Where the poll loop stamps its liveness for the container health check. */
  readonly healthFile: string;
  /** Graceful-stop deadline after SIGTERM; ECS kills at 30 s. @default 25000 */
  readonly shutdownTimeoutMs: number;
  /** How long start-up waits for an unreachable database before exiting non-zero. @default 300 */
  readonly dbWaitSeconds: number;
  /** Dimension of the EMF metrics. @default "local" */
  readonly environment: string;
}

type Env = Record<string, string | undefined>;

function read<N extends Name>(env: Env, name: N): string {
  const variable: Variable = VARIABLES[name];
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") {
    if (variable.fallback === undefined) throw new ConfigError(name, "is required and not set");
    return variable.fallback;
  }
  if (!variable.schema.safeParse(raw).success)
    throw new ConfigError(name, `must be ${variable.allowed}, got ${JSON.stringify(raw)}`);
  return raw;
}

const int = (env: Env, name: Name) => Number(read(env, name));

/** A password that must be set in password mode and must not be in iam mode (it would be unused, or leaked). */
function passwordFor(env: Env, auth: AuthMode, name: "DB_PASSWORD" | "DB_APP_PASSWORD"): string | undefined {
  const value = read(env, name);
  if (auth === "password" && !value) throw new ConfigError(name, "is required when DB_AUTH is password");
  if (auth === "iam" && value) throw new ConfigError(name, "must not be set when DB_AUTH is iam (tokens replace it)");
  return value || undefined;
}

function dbLocation(env: Env): DbLocation {
  return {
    host: read(env, "DB_HOST"),
    port: int(env, "DB_PORT"),
    database: read(env, "DB_NAME"),
    ssl: read(env, "DB_SSL") as SslMode,
    caFile: read(env, "DB_CA_FILE"),
  };
}

export function loadConfig(env: Env): WorkerConfig {
  const queueUrl = read(env, "QUEUE_URL");
  const region = read(env, "AWS_REGION");
  const auth = read(env, "DB_AUTH") as AuthMode;
  return {
    queueUrl,
    region,
    db: { ...dbLocation(env), user: read(env, "DB_USER"), auth, password: passwordFor(env, auth, "DB_PASSWORD") },
    concurrency: int(env, "WORKER_CONCURRENCY"),
    maxObjectBytes: int(env, "MAX_OBJECT_BYTES"),
    visibilityTimeoutSeconds: int(env, "VISIBILITY_TIMEOUT_SECONDS"),
    waitTimeSeconds: int(env, "WAIT_TIME_SECONDS"),
    healthFile: read(env, "HEALTH_FILE"),
    shutdownTimeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS"),
    dbWaitSeconds: int(env, "DB_WAIT_SECONDS"),
    environment: read(env, "NEXUS_ENVIRONMENT"),
  };
}

/**
 * The migration's configuration (`node dist/migrate.js`): the master user from the RDS secret
 * (DB_USER, DB_PASSWORD), and the application role it creates and grants (DB_APP_USER) with the
 * same DB_AUTH the worker uses.
 */
export interface MigrationConfig {
  readonly db: DbLocation & { readonly user: string; readonly password: string };
  readonly app: { readonly user: string; readonly auth: AuthMode; readonly password?: string };
  /** How long the migration waits for an unreachable database (DB_WAIT_SECONDS). The stacks size it inside Fargate's 120 s start timeout. */
  readonly dbWaitSeconds: number;
}

export function loadMigrationConfig(env: Env): MigrationConfig {
  const db = { ...dbLocation(env), user: read(env, "DB_USER"), password: read(env, "DB_PASSWORD") };
  if (!db.password) throw new ConfigError("DB_PASSWORD", "is required (the master password) and not set");
  const auth = read(env, "DB_AUTH") as AuthMode;
  const app = { user: read(env, "DB_APP_USER"), auth, password: passwordFor(env, auth, "DB_APP_PASSWORD") };
  if (app.user === db.user) throw new ConfigError("DB_APP_USER", `must differ from the master user ${db.user}`);
  return { db, app, dbWaitSeconds: int(env, "DB_WAIT_SECONDS") };
}

/** Loads a configuration, or ends the process with one JSON line naming the variable and exit code 2. */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error("configuration error", { variable: err.variable, error: err.message });
    process.exit(2);
  }
}
