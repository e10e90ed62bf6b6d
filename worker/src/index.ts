/**
 * Entry point: `node dist/index.js`. Reads the config, waits for the database (the migration,
 * `node dist/migrate.js`, has run before as its own process), polls until SIGTERM/SIGINT,
 * then drains: stops receiving, lets batches in hand finish (or, past the deadline, makes them
 * visible again for another worker), closes the pool and exits 0. A config error exits 2 with
 * one JSON line naming the variable. Everything it prints is a JSON line, warnings included.
 */
import { configOrExit, loadConfig } from "./config";
import { log, routeProcessWarnings } from "./log";
import { createWorker } from "./worker";

async function main(): Promise<void> {
  routeProcessWarnings();
  const config = configOrExit(() => loadConfig(process.env));
  // A stop while start-up still waits for the database ends the wait: nothing is in hand yet.
  const starting = new AbortController();
  const stopStarting = () => starting.abort();
  process.once("SIGTERM", stopStarting).once("SIGINT", stopStarting);
  const worker = await createWorker(config, { starting: starting.signal }).catch((err) => {
    if (starting.signal.aborted) {
      log.info("stopped before start-up finished", { reason: (err as Error).message });
      process.exit(0);
    }
    throw err;
  });
  process.off("SIGTERM", stopStarting).off("SIGINT", stopStarting);
  const { consumer } = worker;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping: no new receives; finishing batches in hand", { signal, deadlineMs: config.shutdownTimeoutMs });
    consumer.stop();
    // ECS sends SIGKILL 30 s after SIGTERM: past our deadline, hand the messages back and leave.
    setTimeout(async () => {
      const released = await consumer.releaseInFlight().catch(() => 0);
      log.warn("shutdown deadline reached; released messages in hand", { released });
      process.exit(0);
    }, config.shutdownTimeoutMs).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  log.info("worker started", {
    queueUrl: config.queueUrl,
    concurrency: config.concurrency,
    dbHost: config.db.host,
    ssl: config.db.ssl,
  });

  await consumer.run(); // returns once stop() was called and every loop finished its batch
  await worker.db.close();
  log.info("worker stopped", consumer.stats);
}

main().catch((err) => {
  log.error("worker failed", { err });
  process.exit(1);
});
