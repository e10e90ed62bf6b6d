/**
 * Container health check (Dockerfile HEALTHCHECK and the ECS task definition): healthy while
 * the poll loop has stamped the health file recently. A receive waits at most 20 s, so a stamp
 * older than HEALTH_MAX_AGE_SECONDS (default 90) means the loop is stuck.
 */
import { readFileSync } from "node:fs";

const file = process.env.HEALTH_FILE || "/tmp/nexus-worker.health";
const maxAgeMs = Number(process.env.HEALTH_MAX_AGE_SECONDS || 90) * 1000;

try {
  const age = Date.now() - Number(readFileSync(file, "utf8"));
  if (!(age <= maxAgeMs)) {
    console.error(`unhealthy: poll loop last seen ${Math.round(age / 1000)} s ago (limit ${maxAgeMs / 1000} s)`);
    process.exit(1);
  }
} catch (err) {
  console.error(`unhealthy: cannot read ${file}: ${(err as Error).message}`);
  process.exit(1);
}
