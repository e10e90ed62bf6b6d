/**
 * The one typed configuration of Nexus. The settings, their types and what they allow are in
 * schema.ts; defaults and the dev/prod presets live here and are applied once, by
 * `resolveConfig`; every construct receives a complete, validated `NexusConfig`.
 */
import { ConfigError, invalid, parseSettings } from "./errors";
import {
  AlarmsConfig,
  DatabaseConfig,
  NexusConfig,
  NexusOverrides,
  WorkerConfig,
  nexusConfig,
  overrides as overridesSchema,
} from "./schema";
import { checkCombinations } from "./validation";

export { ConfigError };

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export type {
  NexusConfig,
  NetworkConfig,
  IngestConfig,
  DatabaseConfig,
  WorkerConfig,
  RegistryConfig,
  AlarmsConfig,
  NexusOverrides,
} from "./schema";

export const DEFAULT_REGION = "us-east-1";

export function baseConfig(environment: EnvironmentName, region: string): NexusConfig {
  const database: DatabaseConfig = {
    multiAz: false,
    deletionProtection: true,
    backupRetentionDays: 7,
    finalSnapshot: true,
    allocatedStorageGb: 20,
    maxAllocatedStorageGb: 100,
    monitoringIntervalSeconds: 60,
    databaseName: "nexus",
    logRetentionDays: 365,
  };
  const worker: WorkerConfig = {
    cpu: 256,
    memoryMiB: 512,
    desiredCount: 1,
    minCount: 1,
    maxCount: 4,
    messagesPerTask: 100,
    processingBudgetSeconds: 60,
    concurrency: 4,
    maxObjectBytes: 10 * 1024 * 1024,
    logRetentionDays: 365,
  };
  return {
    project: "nexus",
    environment,
    region,
    network: {
      vpcCidr: "10.40.0.0/16",
      availabilityZones: [`${region}a`, `${region}b`],
      flowLogRetentionDays: 365,
    },
    ingest: { objectSuffix: ".txt", maxReceiveCount: 5, noncurrentVersionDays: 30, forceDestroy: false },
    database,
    worker,
    registry: { keepImages: 10, forceDelete: false },
    alarms: {
      emails: [],
      periodSeconds: 60,
      evaluationPeriods: 5,
      workerCpuPercent: 80,
      workerMemoryPercent: 80,
      databaseCpuPercent: 80,
      databaseCpuCredits: 20,
      databaseConnectionsPercent: 80,
      databaseFreeableMemoryMiB: 64,
      ...derivedAlarmThresholds(worker, database),
    },
  };
}

/**
 * Thresholds that follow other settings unless set: the queue-age alarm waits ten processing budgets
 * (a healthy worker finishes a batch in one); the storage alarm fires at half of what makes RDS storage
 * autoscaling act at the initial size (free space below 10 % of the allocation), so it pages only when
 * autoscaling did not act: at maxAllocatedStorageGb, or in the 6 hours after a previous scaling.
 */
export function derivedAlarmThresholds(
  worker: Pick<WorkerConfig, "processingBudgetSeconds">,
  database: Pick<DatabaseConfig, "allocatedStorageGb">,
): Pick<AlarmsConfig, "queueAgeSeconds" | "databaseFreeStorageGb"> {
  return {
    queueAgeSeconds: 10 * worker.processingBudgetSeconds,
    databaseFreeStorageGb: Math.max(1, Math.floor(database.allocatedStorageGb * 0.05)),
  };
}

/** Where dev and prod differ, and why a platform team expects them to. */
const PRESETS: Record<EnvironmentName, NexusOverrides> = {
  // dev is disposable and cheap: it can be destroyed without snapshots or manual emptying.
  // It keeps a year of logs like prod (the base default): an audit trail is not a cost saving.
  dev: {
    network: { vpcCidr: "10.40.0.0/16" },
    ingest: { forceDestroy: true, noncurrentVersionDays: 7 },
    database: { deletionProtection: false, backupRetentionDays: 1, finalSnapshot: false },
    worker: { desiredCount: 1, minCount: 1, maxCount: 2 },
    registry: { forceDelete: true },
  },
  // prod survives an AZ loss and an accidental destroy.
  prod: {
    network: { vpcCidr: "10.41.0.0/16" },
    database: { multiAz: true, deletionProtection: true, backupRetentionDays: 14, finalSnapshot: true },
    worker: { desiredCount: 2, minCount: 2, maxCount: 8 },
  },
};

export function isEnvironmentName(name: string): name is EnvironmentName {
  return (ENVIRONMENTS as readonly string[]).includes(name);
}

/**
 * Builds the complete config of one environment: base defaults, then the environment
 * preset, then `overrides` (from cdktf.json context or a test), then validation.
 */
export function resolveConfig(environment: string, given: unknown = {}): NexusConfig {
  if (!isEnvironmentName(environment)) {
    throw invalid("environment", environment, `one of ${ENVIRONMENTS.join(", ")}`);
  }
  const overrides: NexusOverrides = parseSettings(overridesSchema, given, ["nexus", environment]);
  const preset = PRESETS[environment];
  const region = overrides.region ?? preset.region ?? DEFAULT_REGION;
  const base = baseConfig(environment, region);
  const merged: NexusConfig = {
    ...base,
    region,
    network: { ...base.network, ...preset.network, ...overrides.network },
    ingest: { ...base.ingest, ...preset.ingest, ...overrides.ingest },
    database: { ...base.database, ...preset.database, ...overrides.database },
    worker: { ...base.worker, ...preset.worker, ...overrides.worker },
    registry: { ...base.registry, ...preset.registry, ...overrides.registry },
  };
  merged.alarms = {
    ...base.alarms,
    ...derivedAlarmThresholds(merged.worker, merged.database),
    ...preset.alarms,
    ...overrides.alarms,
  };
  return checkCombinations(parseSettings(nexusConfig, merged, ["nexus", environment]));
}

/** The queue's visibility timeout, derived from the worker's processing budget (see WorkerConfig). */
export function visibilityTimeoutSeconds(worker: WorkerConfig): number {
  return worker.processingBudgetSeconds * 2;
}

/** Name prefix of every resource of one environment, e.g. `nexus-dev`. */
export function namePrefix(config: NexusConfig): string {
  return `${config.project}-${config.environment}`;
}
