/**
 * Start-up against a database that may not be there yet (a deployment during a maintenance window,
 * a restart): run the first step, or wait with backoff and jitter until the database answers, up
 * to a deadline. Used by the worker (its first connection) and by the migration.
 */
import { sleep } from "./consumer";
import { isTransient } from "./db";
import { log } from "./log";

export class StartupError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

export interface WaitOptions {
  /** How long to wait, and the variable that sets it (named in the error). */
  readonly seconds: number;
  readonly variable: string;
  /** Called before each attempt: the worker keeps its health stamp fresh so it is not killed as unhealthy. */
  readonly beforeAttempt?: () => void;
  /** Errors that waiting cannot fix, although they look transient (the migration's fixed password). */
  readonly fatal?: (err: unknown) => boolean;
  readonly signal?: AbortSignal;
}

/** Backoff with full jitter: a fleet restarting together does not retry in step. */
const backoff = (attempt: number) => Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);

export async function whenDatabaseReady<T>(what: string, step: () => Promise<T>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.seconds * 1000;
  for (let attempt = 1; ; attempt++) {
    options.beforeAttempt?.();
    try {
      const result = await step();
      if (attempt > 1) log.info(`database reachable; ${what} done`, { attempt });
      return result;
    } catch (err) {
      if (!isTransient(err) || options.fatal?.(err)) throw err;
      if (options.signal?.aborted) throw new StartupError("stopped while waiting for the database", { cause: err });
      if (Date.now() >= deadline) {
        throw new StartupError(`database unavailable for ${options.seconds} s (${options.variable})`, { cause: err });
      }
      log.warn("database unavailable at start; waiting", { attempt, deadlineSeconds: options.seconds, err });
      await sleep(Math.min(backoff(attempt), Math.max(0, deadline - Date.now())), options.signal);
    }
  }
}
