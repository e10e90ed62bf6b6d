/**
 * The migration's SQL, run as the master user: versioned schema migrations, then the application
 * role and its grants. Both converge: run twice, or by two tasks at once, the result is the same.
 */
import { ClientBase } from "pg";
import { AuthMode } from "./config";
import { log } from "./log";
import { MIGRATIONS, MIGRATION_LOCK_ID } from "./migrations";

export interface AppRole {
  readonly user: string;
  readonly auth: AuthMode;
  /** Only with auth = password. */
  readonly password?: string;
}

/** The tables the worker writes, and the columns of their ON CONFLICT arbiter (the object identity). */
const WRITTEN_TABLES = ["documents", "rejected_objects"] as const;
const IDENTITY_COLUMNS = ["bucket", "object_key", "object_version"] as const;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

/**
 * Applies pending migrations and the application role's grants under an advisory lock (several
 * tasks starting at once apply each migration exactly once); returns how many migrations it applied.
 */
export async function migrate(client: ClientBase, app: AppRole): Promise<number> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
  try {
    const applied = await applyMigrations(client);
    await ensureAppRole(client, app);
    await grantAppRole(client, app);
    return applied;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => undefined);
  }
}

async function applyMigrations(client: ClientBase): Promise<number> {
  await client.query(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
  );
  const done = new Set(
    (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version),
  );
  let applied = 0;
  for (const migration of MIGRATIONS.filter((m) => !done.has(m.version))) {
    await inTransaction(client, async () => {
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
    });
    applied++;
    log.info("migration applied", { version: migration.version, name: migration.name });
  }
  return applied;
}

/**
 * Creates the role if it does not exist and sets how it logs in. Roles are cluster-wide while the
 * advisory lock is per database: two databases of one cluster migrating at once (tests, a shared
 * local server) race on the role's catalog row. The loser of CREATE ROLE sees a duplicate, of
 * ALTER ROLE "tuple concurrently updated"; both are retried, and the statements converge.
 */
async function ensureAppRole(client: ClientBase, app: AppRole): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await setUpAppRole(client, app);
    } catch (err) {
      if (attempt >= 5 || !isCatalogRace(err)) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt * Math.random()));
    }
  }
}

function isCatalogRace(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return code === "23505" || code === "42710" || (code === "XX000" && /concurrently/.test(message ?? ""));
}

/** Defaults of CREATE ROLE: no superuser, CREATEDB, CREATEROLE, replication or BYPASSRLS. */
async function setUpAppRole(client: ClientBase, app: AppRole): Promise<void> {
  const role = client.escapeIdentifier(app.user);
  const exists = async (name: string) =>
    (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rowCount === 1;
  if (!(await exists(app.user))) await client.query(`CREATE ROLE ${role} LOGIN`);
  const rdsIam = await exists("rds_iam");
  if (app.auth === "iam") {
    // RDS creates rds_iam; membership makes RDS accept only IAM tokens for the role.
    if (!rdsIam) {
      throw new MigrationError(
        "DB_AUTH=iam needs the rds_iam role, which Amazon RDS provides; use DB_AUTH=password elsewhere",
      );
    }
    await client.query(`GRANT rds_iam TO ${role}`);
    await client.query(`ALTER ROLE ${role} PASSWORD NULL`);
  } else {
    if (rdsIam) await client.query(`REVOKE rds_iam FROM ${role}`);
    // Local mode only (RDS runs iam): log_statement = ddl would log this statement, password included.
    await client.query(`ALTER ROLE ${role} PASSWORD ${client.escapeLiteral(app.password!)}`);
  }
}

/**
 * The least rights that work, set in one transaction so a worker already running never sees them
 * missing: INSERT on the two tables, USAGE on their id sequences, and SELECT on the three identity
 * columns only, because PostgreSQL requires SELECT on the columns of an ON CONFLICT arbiter
 * constraint. No SELECT of contents, no UPDATE, DELETE, TRUNCATE, no DDL (the master owns the
 * tables), and CONNECT to this database only.
 */
async function grantAppRole(client: ClientBase, app: AppRole): Promise<void> {
  const role = client.escapeIdentifier(app.user);
  const database = client.escapeIdentifier(
    (await client.query<{ name: string }>("SELECT current_database() AS name")).rows[0].name,
  );
  const tables = WRITTEN_TABLES.join(", ");
  const sequences = WRITTEN_TABLES.map((t) => `${t}_id_seq`).join(", ");
  await inTransaction(client, async () => {
    for (const sql of [
      `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE ${database} TO ${role}`,
      `GRANT USAGE ON SCHEMA public TO ${role}`,
      // Start from nothing, so a grant added by hand does not survive the next deployment.
      `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`,
      `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role}`,
      `GRANT INSERT ON ${tables} TO ${role}`,
      `GRANT SELECT (${IDENTITY_COLUMNS.join(", ")}) ON ${tables} TO ${role}`,
      `GRANT USAGE ON SEQUENCE ${sequences} TO ${role}`,
    ])
      await client.query(sql);
  });
}

async function inTransaction(client: ClientBase, work: () => Promise<void>): Promise<void> {
  await client.query("BEGIN");
  try {
    await work();
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
