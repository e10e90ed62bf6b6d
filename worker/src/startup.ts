/**
 * Start-up against a database that may not be there yet (a deployment during a maintenance window,
 * a restart): migrate, or wait with backoff and jitter until the database answers, up to
 * DB_WAIT_SECONDS, keeping the health stamp fresh so a waiting task is not killed as unhealthy.
 */
import { WorkerConfig } from "./config";
import { sleep } from "./consumer";
import { Database, isTransient } from "./db";
import { stampHealth } from "./health";
import { log } from "./log";

export class StartupError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

/** Backoff with full jitter: a fleet restarting together does not retry in step. */
const backoff = (attempt: number) => Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);

export async function migrateWhenReady(db: Database, config: WorkerConfig, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + config.dbWaitSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    stampHealth(config.healthFile);
    try {
      await db.migrate();
      if (attempt > 1) log.info("database reachable; migrations done", { attempt });
      return;
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (signal?.aborted) throw new StartupError("stopped while waiting for the database", { cause: err });
      if (Date.now() >= deadline) {
        throw new StartupError(`database unavailable for ${config.dbWaitSeconds} s (DB_WAIT_SECONDS)`, { cause: err });
      }
      log.warn("database unavailable at start; waiting", { attempt, deadlineSeconds: config.dbWaitSeconds, err });
      await sleep(Math.min(backoff(attempt), Math.max(0, deadline - Date.now())), signal);
    }
  }
}
