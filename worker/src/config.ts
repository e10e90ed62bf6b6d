/**
 * The worker's configuration, read once from the environment the stacks inject. Defaults are
 * applied here; a missing or invalid variable stops the worker at start with one line naming it.
 */

export type SslMode = "verify-full" | "require" | "disable";

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
  /** Dimension of the EMF metrics. @default "local" */
  readonly environment: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") throw new ConfigError(name, "is required and not set");
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const SSL_MODES: readonly SslMode[] = ["verify-full", "require", "disable"];

export function loadConfig(env: Env): WorkerConfig {
  const ssl = (env.DB_SSL ?? "verify-full") as SslMode;
  if (!SSL_MODES.includes(ssl))
    throw new ConfigError("DB_SSL", `must be one of ${SSL_MODES.join(", ")}, got ${JSON.stringify(env.DB_SSL)}`);
  const queueUrl = required(env, "QUEUE_URL");
  if (!/^https?:\/\/\S+$/.test(queueUrl))
    throw new ConfigError("QUEUE_URL", `must be an SQS queue URL, got ${JSON.stringify(queueUrl)}`);
  const visibilityTimeoutSeconds = integer(env, "VISIBILITY_TIMEOUT_SECONDS", 120, 2, 43200);
  return {
    queueUrl,
    region: required(env, "AWS_REGION"),
    db: {
      host: required(env, "DB_HOST"),
      port: integer(env, "DB_PORT", 5432, 1, 65535),
      database: required(env, "DB_NAME"),
      user: required(env, "DB_USER"),
      password: required(env, "DB_PASSWORD"),
      secretArn: env.DB_SECRET_ARN || undefined,
      ssl,
      caFile: env.DB_CA_FILE || "/app/certs/rds-global-bundle.pem",
    },
    concurrency: integer(env, "WORKER_CONCURRENCY", 4, 1, 50),
    maxObjectBytes: integer(env, "MAX_OBJECT_BYTES", 10 * 1024 * 1024, 1, 256 * 1024 * 1024),
    visibilityTimeoutSeconds,
    waitTimeSeconds: integer(env, "WAIT_TIME_SECONDS", 20, 0, 20),
    healthFile: env.HEALTH_FILE || "/tmp/nexus-worker.health",
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 25000, 1000, 120000),
    environment: env.NEXUS_ENVIRONMENT || "local",
  };
}
