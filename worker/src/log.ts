/** Structured JSON logs, one object per line. Never pass secrets or object contents here. */

type Fields = Record<string, unknown>;

const LEVELS = ["info", "warn", "error", "silent"];
/** LOG_LEVEL: info (default), warn, error or silent. Metrics lines are written regardless. */
const threshold = Math.max(0, LEVELS.indexOf(process.env.LOG_LEVEL ?? "info"));

function write(level: string, msg: string, fields: Fields): void {
  if (LEVELS.indexOf(level) < threshold) return;
  const line: Fields = { time: new Date().toISOString(), level, msg, ...fields };
  if (fields.err instanceof Error) line.err = describeError(fields.err);
  process.stdout.write(JSON.stringify(line) + "\n");
}

/** An error as loggable fields: name, message, code, and its cause chain. */
export function describeError(err: unknown): Fields {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Fields = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err.cause !== undefined) out.cause = describeError(err.cause);
  return out;
}

export const log = {
  info: (msg: string, fields: Fields = {}) => write("info", msg, fields),
  warn: (msg: string, fields: Fields = {}) => write("warn", msg, fields),
  error: (msg: string, fields: Fields = {}) => write("error", msg, fields),
};

/**
 * Process warnings (the AWS SDK's Node-version notice, deprecations) become structured lines too:
 * the output stays JSON lines only. Node prints warnings from its own default 'warning' listener,
 * so adding ours is not enough: the default one is removed.
 */
export function routeProcessWarnings(): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning) =>
    write("warn", "process warning", { name: warning.name, warning: warning.message.replace(/\s+/g, " ").trim() }),
  );
}

export interface BatchMetrics {
  readonly processed: number;
  readonly rejected: number;
  readonly failed: number;
  readonly bytes: number;
  readonly latencyMs: number;
}

/** One CloudWatch Embedded Metric Format line per batch: metrics without a PutMetricData call. */
export function emitBatchMetrics(environment: string, metrics: BatchMetrics): void {
  if (process.env.LOG_LEVEL === "silent") return;
  const units: Record<keyof BatchMetrics, string> = {
    processed: "Count",
    rejected: "Count",
    failed: "Count",
    bytes: "Bytes",
    latencyMs: "Milliseconds",
  };
  const names = (Object.keys(units) as (keyof BatchMetrics)[]).map((key) => ({ Name: key, Unit: units[key] }));
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: "Nexus/Worker", Dimensions: [["Environment"]], Metrics: names }],
    },
    Environment: environment,
    ...metrics,
  };
  process.stdout.write(JSON.stringify(line) + "\n");
}
