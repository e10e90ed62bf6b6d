/**
 * Checks that span settings, run after merging defaults, preset and overrides (each setting alone
 * is checked by the schema). Every error names the key, the value given and what is allowed.
 */
import type { NexusConfig } from "./schema";
import { invalid } from "./errors";
import { parseEcrImage } from "../registry/image-uri";

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
  return config;
}
