/**
 * Migration entry point: `node dist/migrate.js`, the same image as the worker. In ECS it is the
 * task's non-essential init container, the only one the master secret is injected into; the
 * worker container starts when it exits 0 (dependsOn SUCCESS). It waits for the database like the
 * worker, applies the migrations, creates and grants the application role, and exits 0. Anything
 * else exits non-zero, so the worker never starts on a schema it does not know. A config error
 * exits 2 with one JSON line; everything it prints is a JSON line.
 */
import { Client } from "pg";
import { MigrationConfig, configOrExit, loadMigrationConfig } from "./config";
import { isAuthFailure, sslOptions } from "./db";
import { log, routeProcessWarnings } from "./log";
import { migrate } from "./schema";
import { whenDatabaseReady } from "./startup";

/** One attempt: connect as the master user, migrate, disconnect. */
export async function migrateOnce(config: MigrationConfig): Promise<number> {
  const client = new Client({
    ...config.db,
    ssl: sslOptions(config.db),
    connectionTimeoutMillis: 5000,
    application_name: "nexus-migrate",
  });
  client.on("error", (err) => log.warn("migration connection lost", { err }));
  try {
    await client.connect();
    return await migrate(client, config.app);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  routeProcessWarnings();
  const config = configOrExit(() => loadMigrationConfig(process.env));
  const stopping = new AbortController();
  process.once("SIGTERM", () => stopping.abort()).once("SIGINT", () => stopping.abort());
  const applied = await whenDatabaseReady("migrations", () => migrateOnce(config), {
    seconds: config.dbWaitSeconds,
    variable: "DB_WAIT_SECONDS",
    // The master password is fixed for the life of this process: waiting cannot fix a wrong one.
    fatal: isAuthFailure,
    signal: stopping.signal,
  });
  log.info("migrations done", { applied, appUser: config.app.user, auth: config.app.auth });
}

if (require.main === module) {
  main().catch((err) => {
    log.error("migration failed", { err });
    process.exit(1);
  });
}
