/**
 * The one typed configuration of Nexus. Defaults live here and are applied once, by
 * `resolveConfig`; every construct receives a complete, validated `NexusConfig`.
 */
import { ConfigError, validateConfig } from "./validation";

export { ConfigError };

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export interface NetworkConfig {
  /** VPC CIDR; isolated subnets are carved from it, one per AZ. @default 10.40.0.0/16 */
  readonly vpcCidr: string;
  /** At least two AZs of `region`. @default `${region}a`, `${region}b` */
  readonly availabilityZones: readonly string[];
  /** Retention of the VPC flow-log group, a value CloudWatch Logs accepts. */
  readonly flowLogRetentionDays: number;
}

export interface IngestConfig {
  /** Only objects whose key ends with this raise a notification. @default ".txt" */
  readonly objectSuffix: string;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount: number;
  /** Days a replaced object version is kept before expiry. */
  readonly noncurrentVersionDays: number;
  /** Let `destroy` delete a non-empty bucket. @default false (true only in dev) */
  readonly forceDestroy: boolean;
}

export interface DatabaseConfig {
  /** The one-line upgrade the seeds promise: a standby in a second AZ. @default false (cost) */
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  /** Days of automated backups, 1 to 35 (0 would disable backups; not allowed). */
  readonly backupRetentionDays: number;
  /** Take a final snapshot on destroy. */
  readonly finalSnapshot: boolean;
  /** @default 20 (GiB, the gp3 minimum) */
  readonly allocatedStorageGb: number;
  /** Storage autoscaling ceiling. @default 100 */
  readonly maxAllocatedStorageGb: number;
  /** Enhanced Monitoring interval: 0 (off), 1, 5, 10, 15, 30 or 60 seconds. @default 60 */
  readonly monitoringIntervalSeconds: number;
  /** @default "nexus" */
  readonly databaseName: string;
  /** Retention of the exported PostgreSQL logs, a value CloudWatch Logs accepts. */
  readonly logRetentionDays: number;
}

export interface WorkerConfig {
  /** Fargate CPU units. @default 256 (0.25 vCPU, as the seeds) */
  readonly cpu: number;
  /** Fargate memory in MiB; must be a pair Fargate accepts with `cpu`. @default 512 */
  readonly memoryMiB: number;
  /** Tasks at deploy; autoscaling moves between `minCount` and `maxCount` afterwards. */
  readonly desiredCount: number;
  readonly minCount: number;
  readonly maxCount: number;
  /** Queue backlog one task is expected to absorb; the autoscaling target. @default 100 */
  readonly messagesPerTask: number;
  /**
   * Seconds one batch may take (download + insert). The queue's visibility timeout is
   * twice this: the worker heartbeats at half the timeout, so a full budget of headroom
   * remains before a message can reappear. @default 60
   */
  readonly processingBudgetSeconds: number;
  /** Receives in flight at once. @default 4 */
  readonly concurrency: number;
  /** Objects larger than this are recorded as rejected, not loaded. @default 10 MiB */
  readonly maxObjectBytes: number;
  /** Retention of `/ecs/nexus-<env>`, a value CloudWatch Logs accepts. */
  readonly logRetentionDays: number;
  /**
   * A prebuilt image URI. When set, no image is built at deploy (no Docker engine needed).
   * @default undefined: build `Dockerfile` and push it to the stack's ECR repository
   */
  readonly imageUri?: string;
}

export interface RegistryConfig {
  /** Images kept by the ECR lifecycle policy. @default 10 */
  readonly keepImages: number;
  /** Let `destroy` delete a repository that still holds images. */
  readonly forceDelete: boolean;
}

export interface NexusConfig {
  readonly project: string;
  readonly environment: EnvironmentName;
  readonly region: string;
  readonly network: NetworkConfig;
  readonly ingest: IngestConfig;
  readonly database: DatabaseConfig;
  readonly worker: WorkerConfig;
  readonly registry: RegistryConfig;
}

/** Per-environment overrides: any subset of any section. */
export type NexusOverrides = {
  readonly region?: string;
  readonly network?: Partial<NetworkConfig>;
  readonly ingest?: Partial<IngestConfig>;
  readonly database?: Partial<DatabaseConfig>;
  readonly worker?: Partial<WorkerConfig>;
  readonly registry?: Partial<RegistryConfig>;
};

export const DEFAULT_REGION = "us-east-1";

function baseConfig(environment: EnvironmentName, region: string): NexusConfig {
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
    database: {
      multiAz: false,
      deletionProtection: true,
      backupRetentionDays: 7,
      finalSnapshot: true,
      allocatedStorageGb: 20,
      maxAllocatedStorageGb: 100,
      monitoringIntervalSeconds: 60,
      databaseName: "nexus",
      logRetentionDays: 365,
    },
    worker: {
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
    },
    registry: { keepImages: 10, forceDelete: false },
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
export function resolveConfig(environment: string, overrides: NexusOverrides = {}): NexusConfig {
  if (!isEnvironmentName(environment)) {
    throw new ConfigError("environment", environment, `one of ${ENVIRONMENTS.join(", ")}`);
  }
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
  return validateConfig(merged);
}

/** The queue's visibility timeout, derived from the worker's processing budget (see WorkerConfig). */
export function visibilityTimeoutSeconds(worker: WorkerConfig): number {
  return worker.processingBudgetSeconds * 2;
}

/** Name prefix of every resource of one environment, e.g. `nexus-dev`. */
export function namePrefix(config: NexusConfig): string {
  return `${config.project}-${config.environment}`;
}
