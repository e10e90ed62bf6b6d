/**
 * docs/cost.md, generated from the synthesized stacks: what dev and prod cost per month before a
 * single file arrives, and what a million files add. Every count is read from the Terraform JSON
 * (a resource added or resized changes the document); every price is a us-east-1 on-demand list
 * price in PRICES. `npm run docs:cost` writes the file; test/cost.test.ts fails when it is stale.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { buildApp, repoRoot } from "../../stacks/app/app";
import { PLACEHOLDER_IMAGE } from "../terraform/run";
import { cell, markdownTable } from "./markdown";

export const COST_FILE = join(repoRoot(), "docs", "cost.md");
const HOURS_PER_MONTH = 730;

/** us-east-1 on-demand list prices (USD), as AWS's pricing pages give them. Read: 2026-12-03. */
export const PRICES = {
  interfaceEndpointHour: { usd: 0.01, per: "endpoint per AZ-hour", source: "aws.amazon.com/privatelink/pricing" },
  rdsT4gMicroHour: {
    usd: 0.016,
    per: "db.t4g.micro PostgreSQL Single-AZ instance-hour (x2 Multi-AZ)",
    source: "aws.amazon.com/rds/postgresql/pricing",
  },
  rdsGp3GbMonth: {
    usd: 0.115,
    per: "gp3 GB-month Single-AZ (x2 Multi-AZ)",
    source: "aws.amazon.com/rds/postgresql/pricing",
  },
  fargateVcpuHour: { usd: 0.04048, per: "Fargate Linux/x86 vCPU-hour", source: "aws.amazon.com/fargate/pricing" },
  fargateGbHour: { usd: 0.004445, per: "Fargate Linux/x86 GB-hour", source: "aws.amazon.com/fargate/pricing" },
  kmsKeyMonth: { usd: 1.0, per: "customer-managed key-month", source: "aws.amazon.com/kms/pricing" },
  secretMonth: { usd: 0.4, per: "secret-month", source: "aws.amazon.com/secrets-manager/pricing" },
  alarmMetricMonth: {
    usd: 0.1,
    per: "standard-resolution alarm metric-month",
    source: "aws.amazon.com/cloudwatch/pricing",
  },
  dashboardMonth: {
    usd: 3.0,
    per: "dashboard-month (an account's first 3 are free)",
    source: "aws.amazon.com/cloudwatch/pricing",
  },
  logsIngestGb: { usd: 0.5, per: "CloudWatch Logs GB ingested", source: "aws.amazon.com/cloudwatch/pricing" },
  logsStoreGbMonth: { usd: 0.03, per: "CloudWatch Logs GB-month stored", source: "aws.amazon.com/cloudwatch/pricing" },
  s3PutThousand: { usd: 0.005, per: "1,000 S3 Standard PUT requests", source: "aws.amazon.com/s3/pricing" },
  s3GetThousand: { usd: 0.0004, per: "1,000 S3 Standard GET requests", source: "aws.amazon.com/s3/pricing" },
  s3GbMonth: { usd: 0.023, per: "S3 Standard GB-month (first 50 TB)", source: "aws.amazon.com/s3/pricing" },
  sqsMillion: {
    usd: 0.4,
    per: "million SQS standard requests (after the free tier)",
    source: "aws.amazon.com/sqs/pricing",
  },
} as const;

/**
 * What a million files are assumed to be and cost in work; each figure says where it comes from.
 * The SQS and CPU figures are measured (docs/performance.md, `npm run bench:worker`).
 */
export const PER_FILE = {
  averageKiB: 10, // an assumption: a .txt upload of 10 KiB
  workerSqsCalls: 0.206, // receives and deletes per file, measured (performance.md: SQS calls/file)
  logBytes: 300, // an assumption: one JSON outcome line (~250 bytes) plus a tenth of a batch's EMF line
  filesPerTaskSecond: 69, // performance.md's throughput model for a 0.25 vCPU task
} as const;

type Json = Record<string, Record<string, Record<string, unknown>>>;

interface Counted {
  readonly endpointAzs: number;
  readonly db: { readonly instanceClass: string; readonly multiAz: boolean; readonly storageGb: number };
  readonly tasks: { readonly min: number; readonly vcpu: number; readonly memoryGb: number };
  readonly kmsKeys: number;
  readonly secrets: number;
  readonly alarmMetrics: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly topics: number;
}

function synthesized(environment: "dev" | "prod"): Json {
  const app = new App({ outdir: "/tmp/nexus-docs-unused", skipValidation: true });
  buildApp(app, { repoRoot: repoRoot(), environments: [environment], env: { NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE } });
  const stack = app.node.children.find((s) => s.node.id === `nexus-${environment}`)!;
  return (stack as unknown as { toTerraform(): { resource: Json } }).toTerraform().resource;
}

/** The billable resources of one environment, counted from its Terraform JSON. */
export function count(resource: Json): Counted {
  const all = (type: string) => Object.values(resource[type] ?? {});
  const only = (type: string) => {
    const [one, ...rest] = all(type);
    if (!one || rest.length) throw new Error(`expected one ${type}`);
    return one;
  };
  const db = only("aws_db_instance");
  const task = only("aws_ecs_task_definition");
  const scaling = only("aws_appautoscaling_target");
  const alarms = all("aws_cloudwatch_metric_alarm");
  return {
    endpointAzs: all("aws_vpc_endpoint")
      .filter((e) => e.vpc_endpoint_type === "Interface")
      .reduce((n, e) => n + (e.subnet_ids as unknown[]).length, 0),
    db: {
      instanceClass: String(db.instance_class),
      multiAz: db.multi_az === true,
      storageGb: Number(db.allocated_storage),
    },
    tasks: { min: Number(scaling.min_capacity), vcpu: Number(task.cpu) / 1024, memoryGb: Number(task.memory) / 1024 },
    kmsKeys: all("aws_kms_key").length,
    secrets: all("aws_db_instance").filter((d) => d.manage_master_user_password === true).length,
    alarms: alarms.length,
    alarmMetrics: alarms.reduce(
      (n, a) => n + (a.metric_query ? (a.metric_query as { metric?: unknown }[]).filter((q) => q.metric).length : 1),
      0,
    ),
    dashboards: all("aws_cloudwatch_dashboard").length,
    topics: all("aws_sns_topic").length,
  };
}

const usd = (value: number) => `$${value.toFixed(2)}`;

/** Line items of the monthly fixed cost: [what, count, formula, USD]. */
export function fixedCost(c: Counted): [string, string, string, number][] {
  if (c.db.instanceClass !== "db.t4g.micro") throw new Error(`no price for ${c.db.instanceClass} in PRICES`);
  const azFactor = c.db.multiAz ? 2 : 1;
  const p = PRICES;
  const taskHour = c.tasks.vcpu * p.fargateVcpuHour.usd + c.tasks.memoryGb * p.fargateGbHour.usd;
  return [
    [
      "interface endpoints",
      `${c.endpointAzs} endpoint-AZs`,
      `x ${HOURS_PER_MONTH} h x $${p.interfaceEndpointHour.usd}`,
      c.endpointAzs * HOURS_PER_MONTH * p.interfaceEndpointHour.usd,
    ],
    [
      `RDS ${c.db.instanceClass}${c.db.multiAz ? " Multi-AZ" : ""}`,
      `${azFactor} instance(s)`,
      `x ${HOURS_PER_MONTH} h x $${p.rdsT4gMicroHour.usd}`,
      azFactor * HOURS_PER_MONTH * p.rdsT4gMicroHour.usd,
    ],
    [
      "RDS gp3 storage",
      `${c.db.storageGb} GB x ${azFactor}`,
      `x $${p.rdsGp3GbMonth.usd}`,
      c.db.storageGb * azFactor * p.rdsGp3GbMonth.usd,
    ],
    [
      "Fargate (minimum tasks)",
      `${c.tasks.min} x ${c.tasks.vcpu} vCPU / ${c.tasks.memoryGb} GB`,
      `x ${HOURS_PER_MONTH} h x $${taskHour.toFixed(5)}`,
      c.tasks.min * HOURS_PER_MONTH * taskHour,
    ],
    ["KMS keys", String(c.kmsKeys), `x $${p.kmsKeyMonth.usd}`, c.kmsKeys * p.kmsKeyMonth.usd],
    [
      "Secrets Manager (RDS-managed secret)",
      String(c.secrets),
      `x $${p.secretMonth.usd}`,
      c.secrets * p.secretMonth.usd,
    ],
    [
      "CloudWatch alarms",
      `${c.alarms} alarms, ${c.alarmMetrics} metrics`,
      `x $${p.alarmMetricMonth.usd}`,
      c.alarmMetrics * p.alarmMetricMonth.usd,
    ],
    ["CloudWatch dashboard", String(c.dashboards), `x $${p.dashboardMonth.usd}`, c.dashboards * p.dashboardMonth.usd],
    ["SNS alarm topic", String(c.topics), "no charge for a topic; 1,000 emails a month free", 0],
  ];
}

/** What one million files add: [what, quantity, formula, USD]. */
export function perMillion(c: Counted): [string, string, string, number][] {
  const p = PRICES;
  const f = PER_FILE;
  const gb = (f.averageKiB * 1e6) / 1024 ** 2;
  const sqsRequests = 1 + f.workerSqsCalls; // S3's SendMessage, then the worker's receives and deletes
  const logGb = (f.logBytes * 1e6) / 1024 ** 3;
  const taskHours = 1e6 / f.filesPerTaskSecond / 3600;
  const taskHour = c.tasks.vcpu * p.fargateVcpuHour.usd + c.tasks.memoryGb * p.fargateGbHour.usd;
  return [
    ["S3 uploads (PUT)", "1,000,000", `x $${p.s3PutThousand.usd} / 1,000`, 1000 * p.s3PutThousand.usd],
    ["S3 reads by the worker (GET)", "1,000,000", `x $${p.s3GetThousand.usd} / 1,000`, 1000 * p.s3GetThousand.usd],
    ["SQS requests", `${sqsRequests.toFixed(3)} M`, `x $${p.sqsMillion.usd} / M`, sqsRequests * p.sqsMillion.usd],
    ["S3 storage, first month", `${gb.toFixed(1)} GB`, `x $${p.s3GbMonth.usd}`, gb * p.s3GbMonth.usd],
    // RDS bills allocated storage (counted in the fixed cost), not what the rows use; autoscaling
    // adds storage, and cost, only past the allocation.
    ["RDS storage", `${gb.toFixed(1)} GB of rows`, "inside the allocated storage, billed above", 0],
    ["worker logs ingested", `${logGb.toFixed(2)} GB`, `x $${p.logsIngestGb.usd}`, logGb * p.logsIngestGb.usd],
    [
      "worker logs stored, first month",
      `${logGb.toFixed(2)} GB`,
      `x $${p.logsStoreGbMonth.usd}`,
      logGb * p.logsStoreGbMonth.usd,
    ],
    [
      "Fargate beyond the minimum (scale-out)",
      `${taskHours.toFixed(1)} task-hours`,
      `x $${taskHour.toFixed(5)}`,
      taskHours * taskHour,
    ],
  ];
}

function section(title: string, rows: [string, string, string, number][]): string {
  const total = rows.reduce((n, r) => n + r[3], 0);
  const table = markdownTable(
    ["item", "counted", "price", "USD"],
    [...rows.map(([a, b, c, d]) => [cell(a), cell(b), cell(c), usd(d)]), ["**total**", "", "", `**${usd(total)}**`]],
  );
  return `### ${title}\n\n${table}\n`;
}

export function costDocument(): string {
  const envs = (["dev", "prod"] as const).map((env) => [env, count(synthesized(env))] as const);
  const prices = markdownTable(
    ["price", "USD", "per", "source"],
    Object.entries(PRICES).map(([key, p]) => [`\`${key}\``, String(p.usd), cell(p.per), p.source]),
  );
  return [
    "# What Nexus costs",
    "",
    "Generated from the synthesized stacks by `npm run docs:cost` (`scripts/docs/cost.ts`); a test",
    "fails when a counted resource changes and this file was not regenerated. us-east-1 on-demand list",
    "prices, read 2026-12-03 from AWS's pricing pages (table at the end); 730 hours a month; no free",
    "tier, Savings Plans or taxes.",
    "",
    "## Monthly fixed cost (no file processed)",
    "",
    ...envs.map(([env, c]) => section(`nexus-${env}`, fixedCost(c))),
    "Not counted: VPC flow-log and RDS log ingestion (they grow with traffic and connections), ECR",
    "image storage ($0.10 per GB-month, `registry.keepImages` images), Container Insights metrics",
    "(billed as custom metrics per cluster, service and task), automated backups up to the database",
    "size (no charge) and the state bucket and lock table of the bootstrap stack (pennies).",
    "",
    "## Per million files",
    "",
    `Assumed: ${PER_FILE.averageKiB} KiB per file; ${PER_FILE.logBytes} bytes of worker log per file. Measured`,
    `(docs/performance.md): ${PER_FILE.workerSqsCalls} worker SQS calls per file (receives and deletes`,
    `of 10-message batches) and ${PER_FILE.filesPerTaskSecond} files/s per 0.25 vCPU task. SSE-KMS`,
    "requests are left out: the bucket key and the queues' 5-minute data-key reuse make them rare.",
    "",
    ...envs.map(([env, c]) => section(`nexus-${env}`, perMillion(c))),
    "## Prices",
    "",
    prices,
    "",
  ].join("\n");
}

if (require.main === module) {
  writeFileSync(COST_FILE, costDocument());
  console.log(`wrote ${COST_FILE}`);
}
