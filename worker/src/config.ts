/**
 * The worker's configuration, read once from the environment the stacks inject. One schema says
 * what every variable allows and its default; a missing or invalid variable stops the worker at
 * start with one line naming it, the value given and what is allowed (our words, not zod's).
 */
import { z } from "zod";

export type SslMode = "verify-full" | "require" | "disable";
const SSL_MODES = ["verify-full", "require", "disable"] as const;

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

/** Every variable the worker reads, with what it allows and its default. */
const VARIABLES = {
  QUEUE_URL: required(z.string().regex(/^https?:\/\/\S+$/), "an SQS queue URL"),
  AWS_REGION: required(text, "an AWS region"),
  DB_HOST: required(text, "a host name"),
  DB_PORT: integer(1, 65535, 5432),
  DB_NAME: required(text, "a database name"),
  DB_USER: required(text, "a user name"),
  DB_PASSWORD: required(text, "a password"),
  DB_SECRET_ARN: optional(z.string(), "a Secrets Manager ARN", ""),
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

export interface WorkerConfig {
  readonly queueUrl: string;
  readonly region: string;
  readonly db: {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    readonly password: string;
    /** The RDS-managed secret, re-read when the password stops working (rotation). */
    readonly secretArn?: string;
    readonly ssl: SslMode;
    /** CA bundle for verify-full. @default the Amazon RDS bundle baked into the image */
    readonly caFile: string;
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

export function loadConfig(env: Env): WorkerConfig {
  const ssl = read(env, "DB_SSL") as SslMode;
  const queueUrl = read(env, "QUEUE_URL");
  return {
    queueUrl,
    region: read(env, "AWS_REGION"),
    db: {
      host: read(env, "DB_HOST"),
      port: int(env, "DB_PORT"),
      database: read(env, "DB_NAME"),
      user: read(env, "DB_USER"),
      password: read(env, "DB_PASSWORD"),
      secretArn: read(env, "DB_SECRET_ARN") || undefined,
      ssl,
      caFile: read(env, "DB_CA_FILE"),
    },
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
