/**
 * The worker's side of PostgreSQL: the pool and the one statement it runs. Parameters are always
 * `$n`; query parameters are never logged (they hold document contents). Schema and grants are
 * the migration's (schema.ts), which runs as another user in another process.
 */
import { readFileSync } from "node:fs";
import { ClientConfig, Pool } from "pg";
import { DbLocation, WorkerConfig } from "./config";
import { log } from "./log";
import { ObjectOutcome } from "./objects";

/** A row to store: a document or a rejection, with the id of the message it came from. */
export type StoredOutcome = {
  readonly messageId: string;
  readonly outcome: Extract<ObjectOutcome, { kind: "document" | "rejected" }>;
};

export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = "DatabaseError";
  }
}

// Connection-level failures: the database is down, restarting or unreachable. Retry later.
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);
const AUTH_CODES = new Set(["28P01", "28000"]);

/** Wrong user, password or token: transient for the worker (a new connection gets a new token), not for the migration. */
export function isAuthFailure(error: unknown): boolean {
  return AUTH_CODES.has(codeOf(error instanceof DatabaseError ? error.cause : error) ?? "");
}

export function codeOf(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

export function isTransient(error: unknown): boolean {
  if (error instanceof DatabaseError) return error.transient;
  const code = codeOf(error);
  if (code && (TRANSIENT_CODES.has(code) || code.startsWith("08") || AUTH_CODES.has(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    String((error as Error)?.message),
  );
}

/** TLS for a connection to `db`; shared by the worker's pool and the migration's client. */
export function sslOptions(db: DbLocation): ClientConfig["ssl"] {
  if (db.ssl === "disable") return false;
  const ca = readFileSync(db.caFile, "utf8");
  // require: encrypted and the chain verified, but not the host name (tunnels, IP addresses).
  if (db.ssl === "require") return { ca, checkServerIdentity: () => undefined };
  return { ca }; // verify-full: chain and host name
}

/**
 * The password of each new connection: a string, or a function pg calls for every connection it
 * opens (an IAM token is valid for 15 minutes, so each connection gets a fresh one and the pool is
 * never rebuilt).
 */
export type PasswordSource = string | (() => Promise<string>);

/** The worker's pool, logged in as the application role: INSERT and nothing it does not need. */
export class Database {
  private readonly pool: Pool;

  constructor(config: WorkerConfig["db"], poolSize: number, password: PasswordSource) {
    this.pool = new Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password,
      ssl: sslOptions(config),
      max: poolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
      application_name: "nexus-worker",
    });
    // An idle client losing its connection (database restart) must not crash the process.
    this.pool.on("error", (err) => log.warn("idle database connection lost", { err }));
  }

  /** One round trip: the database answers and the role may log in. */
  async ping(): Promise<void> {
    await this.query("SELECT 1", []);
  }

  /**
   * Stores documents and rejections of a batch in ONE statement, hence one transaction and one
   * round trip. Rows whose object identity is already stored are skipped (ON CONFLICT DO NOTHING).
   */
  async commit(rows: readonly StoredOutcome[]): Promise<{ documents: number; rejected: number }> {
    const docs = rows.filter((r) => r.outcome.kind === "document") as {
      messageId: string;
      outcome: Extract<ObjectOutcome, { kind: "document" }>;
    }[];
    const rejects = rows.filter((r) => r.outcome.kind === "rejected") as {
      messageId: string;
      outcome: Extract<ObjectOutcome, { kind: "rejected" }>;
    }[];
    const common = (list: StoredOutcome[]) => {
      const versions = list.map((r) => ({
        id: r.outcome.versionId ?? r.outcome.ref.versionId ?? null,
        etag: r.outcome.etag ?? r.outcome.ref.etag ?? null,
      }));
      return [
        list.map((r) => r.outcome.ref.bucket),
        list.map((r) => r.outcome.ref.key),
        versions.map((v) => v.id),
        versions.map((v) => v.etag),
        versions.map((v) => v.id ?? `etag:${v.etag ?? "unknown"}`), // object_version: the identity
        list.map((r) => r.outcome.ref.eventTime ?? null),
        list.map((r) => r.messageId),
      ];
    };
    const params = [
      ...common(docs),
      docs.map((r) => r.outcome.sizeBytes),
      docs.map((r) => r.outcome.contentType ?? null),
      docs.map((r) => r.outcome.sha256),
      docs.map((r) => r.outcome.content),
      ...common(rejects),
      rejects.map((r) => r.outcome.sizeBytes ?? null),
      rejects.map((r) => r.outcome.contentType ?? null),
      rejects.map((r) => r.outcome.reason),
      rejects.map((r) => r.outcome.detail),
    ];
    const result = await this.query<{ documents: number; rejected: number }>(COMMIT_SQL, params);
    return result.rows[0];
  }

  /**
   * Runs one statement. An authentication failure counts as transient (a token not yet valid, a
   * grant still propagating): the batch is retried later on a new connection with a new token.
   */
  private async query<R extends object>(sql: string, params: unknown[]) {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw this.wrap(error);
    }
  }

  private wrap(error: unknown): DatabaseError {
    return new DatabaseError(`database statement failed: ${(error as Error)?.message}`, isTransient(error), {
      cause: error,
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const COMMON_COLUMNS = "bucket, object_key, version_id, etag, object_version, event_time, message_id";
const COMMIT_SQL = `
WITH ins_docs AS (
  INSERT INTO documents (${COMMON_COLUMNS}, size_bytes, content_type, sha256, content)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
                       $8::bigint[], $9::text[], $10::text[], $11::text[])
  ON CONFLICT ON CONSTRAINT documents_object_identity DO NOTHING
  RETURNING 1
), ins_rejects AS (
  INSERT INTO rejected_objects (${COMMON_COLUMNS}, size_bytes, content_type, reason, detail)
  SELECT * FROM unnest($12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::timestamptz[], $18::text[],
                       $19::bigint[], $20::text[], $21::text[], $22::text[])
  ON CONFLICT ON CONSTRAINT rejected_objects_object_identity DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins_docs)::int AS documents, (SELECT count(*) FROM ins_rejects)::int AS rejected`;
