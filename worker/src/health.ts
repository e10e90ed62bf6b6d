/** The liveness stamp the container health check reads (dist/healthcheck.js). */
import { writeFileSync } from "node:fs";
import { log } from "./log";

/** Stamps `file` with the current time; a failure is logged, never fatal. */
export function stampHealth(file: string): void {
  try {
    writeFileSync(file, String(Date.now()));
  } catch (err) {
    log.warn("cannot write the health file", { err, file });
  }
}
