/**
 * Validation of a resolved NexusConfig. Every error names the key, the value given and
 * what is allowed, so a bad override fails synth with a message a person can act on.
 */
import type { NexusConfig } from "./config";
import { parseCidr } from "../shared/cidr";
import { parseEcrImage } from "../registry/image-uri";

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`nexus config: ${key} must be ${allowed}, got ${JSON.stringify(value)}`);
    this.name = "ConfigError";
  }
}

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

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

const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function requireInt(key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, value, `an integer from ${min} to ${max}`);
  }
}

function requireRetention(key: string, value: number): void {
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(value)) {
    throw new ConfigError(key, value, `a CloudWatch Logs retention (${LOG_RETENTION_DAYS.join(", ")})`);
  }
}

function validateNetwork(config: NexusConfig): void {
  const { vpcCidr, availabilityZones } = config.network;
  const cidr = parseCidr(vpcCidr);
  if (!cidr || cidr.prefix < 16 || cidr.prefix > 22) {
    throw new ConfigError("network.vpcCidr", vpcCidr, "an IPv4 CIDR with a prefix from /16 to /22");
  }
  if (availabilityZones.length < 2) {
    throw new ConfigError("network.availabilityZones", availabilityZones, "at least 2 availability zones");
  }
  if (availabilityZones.length > 4) {
    throw new ConfigError("network.availabilityZones", availabilityZones, "at most 4 availability zones");
  }
  if (new Set(availabilityZones).size !== availabilityZones.length) {
    throw new ConfigError("network.availabilityZones", availabilityZones, "distinct availability zones");
  }
  for (const az of availabilityZones) {
    if (!new RegExp(`^${config.region}[a-z]$`).test(az)) {
      throw new ConfigError(
        "network.availabilityZones",
        az,
        `a zone of region ${config.region} (e.g. ${config.region}a)`,
      );
    }
  }
  requireRetention("network.flowLogRetentionDays", config.network.flowLogRetentionDays);
}

function validateWorker(config: NexusConfig): void {
  const w = config.worker;
  const memories = FARGATE_MEMORY[w.cpu];
  if (!memories) {
    throw new ConfigError("worker.cpu", w.cpu, `a Fargate CPU value (${Object.keys(FARGATE_MEMORY).join(", ")})`);
  }
  if (!memories.includes(w.memoryMiB)) {
    throw new ConfigError(
      "worker.memoryMiB",
      w.memoryMiB,
      `a memory Fargate accepts with cpu ${w.cpu} (${memories.join(", ")})`,
    );
  }
  requireInt("worker.minCount", w.minCount, 1, 100);
  requireInt("worker.maxCount", w.maxCount, w.minCount, 100);
  requireInt("worker.desiredCount", w.desiredCount, w.minCount, w.maxCount);
  requireInt("worker.messagesPerTask", w.messagesPerTask, 1, 100000);
  // The visibility timeout is twice the budget and SQS caps it at 12 hours.
  requireInt("worker.processingBudgetSeconds", w.processingBudgetSeconds, 10, 21600);
  requireInt("worker.concurrency", w.concurrency, 1, 50);
  requireInt("worker.maxObjectBytes", w.maxObjectBytes, 1, 256 * 1024 * 1024);
  requireRetention("worker.logRetentionDays", w.logRetentionDays);
  if (w.imageUri !== undefined) {
    const image = parseEcrImage(w.imageUri);
    if (!image) {
      throw new ConfigError(
        "worker.imageUri",
        w.imageUri,
        "an ECR image with a tag or digest (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)",
      );
    }
    if (image.region !== config.region) {
      throw new ConfigError(
        "worker.imageUri",
        w.imageUri,
        `an ECR image in ${config.region}: tasks pull only through this region's VPC endpoints`,
      );
    }
  }
}

function validateDatabase(config: NexusConfig): void {
  const d = config.database;
  requireInt("database.backupRetentionDays", d.backupRetentionDays, 1, 35);
  requireInt("database.allocatedStorageGb", d.allocatedStorageGb, 20, 65536);
  requireInt("database.maxAllocatedStorageGb", d.maxAllocatedStorageGb, d.allocatedStorageGb, 65536);
  requireRetention("database.logRetentionDays", d.logRetentionDays);
  if (!MONITORING_INTERVALS.includes(d.monitoringIntervalSeconds)) {
    throw new ConfigError(
      "database.monitoringIntervalSeconds",
      d.monitoringIntervalSeconds,
      `one of ${MONITORING_INTERVALS.join(", ")}`,
    );
  }
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(d.databaseName)) {
    throw new ConfigError(
      "database.databaseName",
      d.databaseName,
      "a PostgreSQL identifier: lowercase letter, then up to 62 of [a-z0-9_]",
    );
  }
}

export function validateConfig(config: NexusConfig): NexusConfig {
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(config.region)) {
    throw new ConfigError("region", config.region, "an AWS region name such as us-east-1");
  }
  validateNetwork(config);
  if (!/^\.[A-Za-z0-9]+$/.test(config.ingest.objectSuffix) && config.ingest.objectSuffix !== "") {
    throw new ConfigError(
      "ingest.objectSuffix",
      config.ingest.objectSuffix,
      'a file extension such as .txt, or "" for every object',
    );
  }
  requireInt("ingest.maxReceiveCount", config.ingest.maxReceiveCount, 1, 1000);
  requireInt("ingest.noncurrentVersionDays", config.ingest.noncurrentVersionDays, 1, 3650);
  validateDatabase(config);
  validateWorker(config);
  requireInt("registry.keepImages", config.registry.keepImages, 1, 1000);
  return config;
}
