/** The liveness stamp the container health check reads (dist/healthcheck.js). */
import { writeFileSync } from "node:fs";
import { log } from "./log";

/**
 * At most one write per file in this interval: the check allows 90 s, and a synchronous write on
 * every receive cost 3-4 % of the worker's CPU in a profile of a drain.
 */
export const STAMP_INTERVAL_MS = 5000;
const lastStamp = new Map<string, number>();

/** Stamps `file` with the current time, unless it was stamped less than 5 s ago; a failure is logged, never fatal. */
export function stampHealth(file: string): void {
  const now = Date.now();
  if (now - (lastStamp.get(file) ?? 0) < STAMP_INTERVAL_MS) return;
  lastStamp.set(file, now);
  try {
    writeFileSync(file, String(now));
  } catch (err) {
    log.warn("cannot write the health file", { err, file });
  }
}
