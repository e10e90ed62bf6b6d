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

/**
 * An error as loggable fields: name, message, code, the AWS SDK's HTTP status, request id and
 * attempts (`$metadata`, `$fault`), and its cause chain. A thrown non-Error object is described by its
 * own fields, anything else as a message.
 */
export function describeError(err: unknown): Fields {
  if (!(err instanceof Error)) {
    // A thrown or wrapped non-Error object (a `cause` such as `{ name, message, code }`) keeps its own
    // fields at this level, never nested under `message`.
    const value = describeValue(err);
    return typeof value === "string" ? { message: value } : value;
  }
  const out: Fields = { name: err.name, message: err.message };
  const { code, Code, $fault, $metadata } = err as {
    code?: unknown;
    Code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string; attempts?: number };
  };
  if (code !== undefined) out.code = code;
  else if (Code !== undefined) out.code = Code;
  if ($fault !== undefined) out.fault = $fault;
  if ($metadata?.httpStatusCode !== undefined) out.httpStatusCode = $metadata.httpStatusCode;
  if ($metadata?.requestId !== undefined) out.requestId = $metadata.requestId;
  if ($metadata?.extendedRequestId !== undefined) out.extendedRequestId = $metadata.extendedRequestId;
  if ($metadata?.attempts !== undefined) out.attempts = $metadata.attempts;
  if (err.cause !== undefined) out.cause = describeError(err.cause);
  return out;
}

/** Input fields worth a log line: where the call went. Bodies, receipt handles and tokens are not. */
const CALL_FIELDS = ["QueueUrl", "Bucket", "Key", "VersionId"] as const;

/**
 * What the AWS SDK hands its logger, as fields: a string stays a string; an Error is described;
 * the logger middleware's `{ clientName, commandName, input, error, metadata }` keeps the client,
 * command, the input's location fields and the error; any other object its own scalar fields.
 */
export function describeValue(value: unknown): string | Fields {
  if (typeof value === "string") return value;
  if (value instanceof Error) return describeError(value);
  if (value === null || typeof value !== "object") return String(value);
  const record = value as Record<string, unknown>;
  const out: Fields = {};
  for (const [key, field] of Object.entries(record)) {
    if (key === "input" && field && typeof field === "object") {
      const input = field as Record<string, unknown>;
      for (const name of CALL_FIELDS) if (typeof input[name] === "string") out[name] = input[name];
    } else if (key === "output" || key === "input") {
      continue; // never contents
    } else if (field instanceof Error) {
      out[key] = describeError(field);
    } else if (field === null || ["string", "number", "boolean"].includes(typeof field)) {
      out[key] = field;
    } else if (key === "metadata" || key === "$metadata") {
      out[key] = field; // httpStatusCode, requestId, attempts: numbers and strings only
    }
  }
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
