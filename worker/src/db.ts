/**
 * The one module that owns the PostgreSQL pool and all SQL. Parameters are always `$n`;
 * query parameters are never logged (they hold document contents).
 */
import { readFileSync } from "node:fs";
import { Pool, PoolConfig } from "pg";
import { WorkerConfig } from "./config";
import { log } from "./log";
import { MIGRATIONS, MIGRATION_LOCK_ID } from "./migrations";
import { ObjectOutcome } from "./objects";

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

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

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

export function isTransient(error: unknown): boolean {
  const code = codeOf(error);
  if (code && (TRANSIENT_CODES.has(code) || code.startsWith("08") || AUTH_CODES.has(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    String((error as Error)?.message),
  );
}

function sslOptions(db: WorkerConfig["db"]): PoolConfig["ssl"] {
  if (db.ssl === "disable") return false;
  const ca = readFileSync(db.caFile, "utf8");
  // require: encrypted and the chain verified, but not the host name (tunnels, IP addresses).
  if (db.ssl === "require") return { ca, checkServerIdentity: () => undefined };
  return { ca }; // verify-full: chain and host name
}

export class Database {
  private pool: Pool;
  private credentials: Credentials;

  constructor(
    private readonly config: WorkerConfig["db"],
    private readonly poolSize: number,
    /** Re-reads the credentials (from the RDS-managed secret) after an authentication failure. */
    private readonly refreshCredentials?: () => Promise<Credentials>,
  ) {
    this.credentials = { user: config.user, password: config.password };
    this.pool = this.createPool();
  }

  private createPool(): Pool {
    const pool = new Pool({
      host: this.config.host,
      port: this.config.port,
      database: this.config.database,
      user: this.credentials.user,
      password: this.credentials.password,
      ssl: sslOptions(this.config),
      max: this.poolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
      application_name: "nexus-worker",
    });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on("error", (err) => log.warn("idle database connection lost", { err }));
    return pool;
  }

  /** Applies pending migrations under an advisory lock; returns how many it applied. */
  async migrate(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = new Set(
        (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version),
      );
      let applied = 0;
      for (const migration of MIGRATIONS.filter((m) => !done.has(m.version))) {
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
            migration.version,
            migration.name,
          ]);
          await client.query("COMMIT");
          applied++;
          log.info("migration applied", { version: migration.version, name: migration.name });
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        }
      }
      return applied;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => undefined);
      client.release();
    }
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

  /** Runs one statement; after an authentication failure, re-reads the secret and retries once. */
  private async query<R extends object>(sql: string, params: unknown[]) {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      if (!AUTH_CODES.has(codeOf(error) ?? "") || !this.refreshCredentials) throw this.wrap(error);
      log.warn("database authentication failed; re-reading the secret", { code: codeOf(error) });
      await this.reconnectWith(await this.refreshCredentials());
      try {
        return await this.pool.query<R>(sql, params);
      } catch (retryError) {
        throw this.wrap(retryError);
      }
    }
  }

  private async reconnectWith(credentials: Credentials): Promise<void> {
    const old = this.pool;
    this.credentials = credentials;
    this.pool = this.createPool();
    await old.end().catch(() => undefined);
    log.info("database pool recreated with refreshed credentials");
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
