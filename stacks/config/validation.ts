/**
 * Checks that span settings, run after merging defaults, preset and overrides (each setting alone
 * is checked by the schema). Every error names the key, the value given and what is allowed.
 */
import type { NexusConfig } from "./schema";
import { invalid } from "./errors";
import { parseEcrImage } from "../registry/image-uri";
import { MAX_CONNECTIONS } from "../database/limits";

/** Fargate's CPU -> allowed memory (MiB) table for Linux tasks. */
const FARGATE_MEMORY: Record<number, readonly number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export function checkCombinations(config: NexusConfig): NexusConfig {
  const key = (path: string) => `nexus.${config.environment}.${path}`;
  for (const az of config.network.availabilityZones) {
    if (!az.startsWith(config.region)) {
      throw invalid(key("network.availabilityZones"), az, `a zone of region ${config.region} (e.g. ${config.region}a)`);
    }
  }
  const w = config.worker;
  const memories = FARGATE_MEMORY[w.cpu];
  if (!memories.includes(w.memoryMiB)) {
    throw invalid(
      key("worker.memoryMiB"),
      w.memoryMiB,
      `a memory Fargate accepts with cpu ${w.cpu} (${memories.join(", ")})`,
    );
  }
  if (w.maxCount < w.minCount) throw invalid(key("worker.maxCount"), w.maxCount, `at least minCount (${w.minCount})`);
  if (w.desiredCount < w.minCount || w.desiredCount > w.maxCount) {
    throw invalid(key("worker.desiredCount"), w.desiredCount, `an integer from ${w.minCount} to ${w.maxCount}`);
  }
  const image = w.imageUri === undefined ? undefined : parseEcrImage(w.imageUri);
  if (image && image.region !== config.region) {
    throw invalid(
      key("worker.imageUri"),
      w.imageUri,
      `an ECR image in ${config.region}: tasks pull only through this region's VPC endpoints`,
    );
  }
  const d = config.database;
  if (d.maxAllocatedStorageGb < d.allocatedStorageGb) {
    throw invalid(
      key("database.maxAllocatedStorageGb"),
      d.maxAllocatedStorageGb,
      `at least allocatedStorageGb (${d.allocatedStorageGb})`,
    );
  }
  checkAlarms(config, key);
  return config;
}

/** Connections the worker service opens at full scale: each task's pool (concurrency + 1) and one migration. */
export function workerConnectionsAtScale(worker: NexusConfig["worker"]): number {
  return worker.maxCount * (worker.concurrency + 1) + 1;
}

function checkAlarms(config: NexusConfig, key: (path: string) => string): void {
  const a = config.alarms;
  if (a.topicArn !== undefined && a.emails.length > 0) {
    throw invalid(key("alarms.emails"), a.emails, "[] when alarms.topicArn is set (subscribe them to that topic)");
  }
  if (a.databaseFreeStorageGb >= config.database.allocatedStorageGb) {
    throw invalid(
      key("alarms.databaseFreeStorageGb"),
      a.databaseFreeStorageGb,
      `less than database.allocatedStorageGb (${config.database.allocatedStorageGb})`,
    );
  }
  const threshold = Math.floor((MAX_CONNECTIONS * a.databaseConnectionsPercent) / 100);
  const atScale = workerConnectionsAtScale(config.worker);
  if (atScale > threshold) {
    throw invalid(
      key("worker.maxCount"),
      config.worker.maxCount,
      `a count whose connections, maxCount x (concurrency + 1) + 1 = ${atScale}, stay within the connections ` +
        `alarm (${threshold} of max_connections ${MAX_CONNECTIONS})`,
    );
  }
}
