/**
 * The one schema of Nexus' settings: every key, its type, what it allows and why it exists. The
 * config types, the one-line errors, the README's config table and cdktf.schema.json (editor
 * completion for cdktf.json) are all derived from it. Every object is strict: an unknown key is a
 * mistake, reported with the nearest valid key.
 */
import { z } from "zod";
import { parseCidr } from "../shared/cidr";
import { parseEcrImage } from "../registry/image-uri";

/** What each setting allows, in words: the second half of "<key> must be <allowed>, got <value>". */
const ALLOWED = new WeakMap<z.ZodType, string>();

function setting<T extends z.ZodType>(schema: T, allowed: string, description: string): T {
  const described = schema.describe(description) as T;
  ALLOWED.set(described, allowed);
  return described;
}

export function allowedOf(schema: z.ZodType): string | undefined {
  return ALLOWED.get(schema);
}

const integer = (min: number, max: number, description: string) =>
  setting(z.number().int().min(min).max(max), `an integer from ${min} to ${max}`, description);
const flag = (description: string) => setting(z.boolean(), "true or false", description);
const oneOf = <T extends number>(values: readonly T[], allowed: string, description: string) =>
  setting(
    z.number().refine((v) => (values as readonly number[]).includes(v)),
    `${allowed} (${values.join(", ")})`,
    description,
  );

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const retention = (description: string) => oneOf(LOG_RETENTION_DAYS, "a CloudWatch Logs retention", description);

/** Fargate's CPU units (Linux). Which memory goes with which CPU is checked after merging. */
export const FARGATE_CPU = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;
const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;

export const region = setting(
  z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/),
  "an AWS region name such as us-east-1",
  "AWS region of the stack",
);

export const network = z.strictObject({
  vpcCidr: setting(
    z.string().refine((text) => {
      const cidr = parseCidr(text);
      return cidr !== undefined && cidr.prefix >= 16 && cidr.prefix <= 22;
    }),
    "an IPv4 CIDR with a prefix from /16 to /22",
    "VPC CIDR; one isolated /+4 subnet per availability zone is carved from it",
  ),
  availabilityZones: setting(
    z
      .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/))
      .min(2)
      .max(4)
      .refine((zones) => new Set(zones).size === zones.length),
    "2 to 4 distinct availability zones of the region",
    "Zones of the isolated subnets (and the endpoints in them); default: the region's a and b",
  ),
  flowLogRetentionDays: retention("Days the VPC flow-log group keeps records"),
});

export const ingest = z.strictObject({
  objectSuffix: setting(
    z.string().regex(/^(\.[A-Za-z0-9]+)?$/),
    'a file extension such as .txt, or "" for every object',
    "Only keys ending with this raise a notification",
  ),
  maxReceiveCount: integer(1, 1000, "Receives of a message before it moves to the dead-letter queue"),
  noncurrentVersionDays: integer(1, 3650, "Days a replaced or deleted object version is kept"),
  forceDestroy: flag("Let destroy delete a bucket that still holds objects"),
});

export const database = z.strictObject({
  multiAz: flag("A standby in a second availability zone (the one-line upgrade the seeds promise)"),
  deletionProtection: flag("RDS refuses to delete the instance"),
  backupRetentionDays: integer(1, 35, "Days of automated backups (0, no backups, is not allowed)"),
  finalSnapshot: flag("Take a final snapshot when the instance is destroyed"),
  allocatedStorageGb: integer(20, 65536, "Initial gp3 storage in GiB"),
  maxAllocatedStorageGb: integer(20, 65536, "Storage autoscaling ceiling in GiB (at least allocatedStorageGb)"),
  monitoringIntervalSeconds: oneOf(
    MONITORING_INTERVALS,
    "an Enhanced Monitoring interval",
    "Enhanced Monitoring interval; 0 is off",
  ),
  databaseName: setting(
    z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
    "a PostgreSQL identifier: lowercase letter, then up to 62 of [a-z0-9_]",
    "Database the worker writes to",
  ),
  logRetentionDays: retention("Days the exported PostgreSQL log groups keep records"),
});

export const worker = z.strictObject({
  cpu: oneOf(FARGATE_CPU, "a Fargate CPU value", "Fargate CPU units of a task (256 = 0.25 vCPU)"),
  memoryMiB: integer(512, 122880, "Fargate memory of a task in MiB; must be a pair Fargate accepts with cpu"),
  desiredCount: integer(1, 100, "Tasks at the first deploy; autoscaling owns the count afterwards"),
  minCount: integer(1, 100, "Fewest tasks autoscaling keeps"),
  maxCount: integer(1, 100, "Most tasks autoscaling starts"),
  messagesPerTask: integer(1, 100000, "Autoscaling target: queue backlog per running task"),
  processingBudgetSeconds: integer(
    10,
    21600,
    "Seconds one batch may take; the queue's visibility timeout is twice this",
  ),
  concurrency: integer(1, 50, "Receives in flight per task, each with one database connection"),
  maxObjectBytes: integer(1, 256 * 1024 * 1024, "Objects larger than this are recorded as rejected, not loaded"),
  logRetentionDays: retention("Days the worker's log group keeps records"),
  imageUri: setting(
    z.string().refine((uri) => parseEcrImage(uri) !== undefined),
    "an ECR image with a tag or digest (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)",
    "A prebuilt worker image in this account's ECR (also NEXUS_WORKER_IMAGE); unset: build the Dockerfile",
  ).optional(),
});

export const registry = z.strictObject({
  keepImages: integer(1, 1000, "Images the ECR lifecycle policy keeps"),
  forceDelete: flag("Let destroy delete a repository that still holds images"),
});

/** CloudWatch alarm periods: 10 and 30 s are high-resolution (extra cost); ours are whole minutes. */
export const ALARM_PERIODS = [60, 120, 300, 600, 900, 1800, 3600] as const;
const percent = (description: string) => integer(1, 100, description);

export const alarms = z.strictObject({
  emails: setting(
    z.array(z.string().regex(/^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$/)).max(20),
    "up to 20 email addresses",
    "Addresses subscribed to this environment's alarm topic (each must confirm the subscription AWS mails)",
  ),
  topicArn: setting(
    z.string().regex(/^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/),
    "a standard SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
    "Send alarms to this existing (central) topic instead of creating one; emails must then be empty",
  ).optional(),
  periodSeconds: oneOf(
    ALARM_PERIODS,
    "a CloudWatch alarm period in seconds",
    "Period of the alarms on a sustained condition",
  ),
  evaluationPeriods: integer(1, 60, "Periods a sustained condition must last before its alarm fires"),
  queueAgeSeconds: integer(
    60,
    1209600,
    "Oldest ingest message older than this pages; default 10 x worker.processingBudgetSeconds",
  ),
  workerCpuPercent: percent("Worker service CPU (average of its tasks) above this pages"),
  workerMemoryPercent: percent("Worker service memory (average of its tasks) above this pages"),
  databaseCpuPercent: percent("RDS CPU above this pages"),
  databaseCpuCredits: integer(0, 10000, "RDS CPU credit balance below this pages (burstable classes)"),
  databaseConnectionsPercent: percent("RDS connections above this share of the pinned max_connections page"),
  databaseFreeStorageGb: integer(
    1,
    65536,
    "RDS free storage below this (GiB) pages; default half of autoscaling's trigger (10 %) at allocatedStorageGb",
  ),
  databaseFreeableMemoryMiB: integer(16, 1048576, "RDS freeable memory below this (MiB) pages"),
});

/** A complete environment, as every construct receives it. */
export const nexusConfig = z.strictObject({
  project: z.string(),
  environment: z.enum(["dev", "prod"]),
  region,
  network,
  ingest,
  database,
  worker,
  registry,
  alarms,
});

/** What cdktf.json may override for one environment: any subset of any section. */
export const overrides = z.strictObject({
  region: region.optional(),
  network: network.partial().optional(),
  ingest: ingest.partial().optional(),
  database: database.partial().optional(),
  worker: worker.partial().optional(),
  registry: registry.partial().optional(),
  alarms: alarms.partial().optional(),
});

/** The `nexus` context of cdktf.json: overrides per environment, and the bootstrap stack's region. */
export const nexusContext = z.strictObject({
  dev: overrides.optional(),
  prod: overrides.optional(),
  bootstrap: z.strictObject({ region: region.optional() }).optional(),
});

/**
 * How Terraform serialises runs on one state object: `dynamodb` (a lock item in the bootstrap's
 * table; our design card), `lockfile` (S3-native `use_lockfile`, Terraform >= 1.10; 1.11 deprecates
 * `dynamodb_table`) or `both` (the migration path from one to the other).
 */
export const LOCKING_MODES = ["dynamodb", "lockfile", "both"] as const;
export type Locking = (typeof LOCKING_MODES)[number];

/**
 * Client-side state encryption, an OpenTofu feature Terraform refuses: `none`, `kms` (every state
 * and plan written and read through OpenTofu's aws_kms key provider with the state key; unencrypted
 * state is refused) or `kms-migrate` (reads an unencrypted state once and writes it encrypted).
 */
export const STATE_ENCRYPTION_MODES = ["none", "kms", "kms-migrate"] as const;
export type StateEncryption = (typeof STATE_ENCRYPTION_MODES)[number];

/** The `nexusState` context of cdktf.json (the NEXUS_STATE_* variables win over it). */
export const nexusStateContext = z.strictObject({
  bucket: setting(z.string().min(3), "an S3 bucket name", "State bucket: the bootstrap's state_bucket_name").optional(),
  lockTable: setting(
    z.string().min(3),
    "a DynamoDB table name",
    "Lock table: the bootstrap's lock_table_name",
  ).optional(),
  region: region.optional(),
  kmsKeyArn: setting(
    z.string().startsWith("arn:"),
    "a KMS key ARN",
    "State key: the bootstrap's state_kms_key_arn",
  ).optional(),
  locking: setting(
    z.enum(LOCKING_MODES),
    `one of ${LOCKING_MODES.join(", ")}`,
    "State locking: DynamoDB table, S3 lock file (use_lockfile), or both while migrating",
  ).optional(),
  encryption: setting(
    z.enum(STATE_ENCRYPTION_MODES),
    `one of ${STATE_ENCRYPTION_MODES.join(", ")}`,
    "Client-side state encryption with the state key, OpenTofu only (NEXUS_ENGINE=opentofu); kms-migrate encrypts an existing state",
  ).optional(),
});

export type NexusConfig = z.infer<typeof nexusConfig>;
export type NetworkConfig = NexusConfig["network"];
export type IngestConfig = NexusConfig["ingest"];
export type DatabaseConfig = NexusConfig["database"];
export type WorkerConfig = NexusConfig["worker"];
export type RegistryConfig = NexusConfig["registry"];
export type AlarmsConfig = NexusConfig["alarms"];
export type NexusOverrides = z.infer<typeof overrides>;
export type NexusContext = z.infer<typeof nexusContext>;
