/**
 * Every failure mode of Nexus as an alarm: what it watches, when it fires, what silence means and
 * what to do. Pure data from the config and resource names, so the stack builds the alarms and the
 * README's alarms table is generated from the same list (scripts/docs/reference.ts).
 */
import type { AlarmsConfig, WorkerConfig } from "../config/config";
import { MAX_CONNECTIONS } from "../database/limits";
import { Metric, databaseMetrics, queueMetrics, serviceMetrics, workerMetrics } from "./metrics";

export type Comparison = "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold";
/** CloudWatch's treat_missing_data. */
export type MissingData = "breaching" | "notBreaching" | "ignore";

/** A metric-math alarm: `expression` over named input metrics. */
export interface Expression {
  readonly expression: string;
  readonly label: string;
  readonly inputs: Readonly<Record<string, Metric>>;
}

export interface AlarmSpec {
  /** Suffix of the alarm name (`<name>-<id>`). */
  readonly id: string;
  readonly watches: Metric | Expression;
  readonly comparison: Comparison;
  readonly threshold: number;
  /** The threshold as an operator reads it, for the table. */
  readonly shown: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly missingData: MissingData;
  /** Why missing data is treated so. */
  readonly silence: string;
  /** What the alarm means and the first thing to do: its alarm_description. */
  readonly runbook: string;
}

/** The names an alarm's dimensions carry: each must be a resource the stack applies. */
export interface MonitoredNames {
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly databaseId: string;
  /** The worker's NEXUS_ENVIRONMENT, the `Environment` dimension of its EMF metrics. */
  readonly workerEnvironment: string;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

const SQS_SILENCE = "SQS publishes nothing for an idle queue: silence is no backlog";
const RESOURCE_SILENCE = "another alarm covers a resource that stopped publishing";

export function alarmSpecs(names: MonitoredNames, alarms: AlarmsConfig, worker: WorkerConfig): AlarmSpec[] {
  const queue = queueMetrics(names.queueName);
  const dlq = queueMetrics(names.deadLetterQueueName);
  const work = workerMetrics(names.workerEnvironment);
  const service = serviceMetrics(names.clusterName, names.serviceName);
  const db = databaseMetrics(names.databaseId);
  const sustained = { periodSeconds: alarms.periodSeconds, evaluationPeriods: alarms.evaluationPeriods };
  const firstMinute = { periodSeconds: 60, evaluationPeriods: 1 };
  const connections = Math.floor((MAX_CONNECTIONS * alarms.databaseConnectionsPercent) / 100);
  return [
    {
      id: "dlq-messages",
      watches: dlq.visible,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      shown: ">= 1 message",
      ...firstMinute,
      missingData: "ignore",
      silence: "SQS stops publishing for a DLQ idle 6 hours while its message is still there",
      runbook:
        "A notification failed maxReceiveCount receives and is in the dead-letter queue: its file is not stored. " +
        "Read the worker's error lines for its message id (dashboard, Logs Insights widget), fix the cause, then " +
        "redrive the DLQ to the ingest queue (StartMessageMoveTask).",
    },
    {
      id: "queue-oldest-age",
      watches: queue.oldestAge,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: alarms.queueAgeSeconds,
      shown: `>= ${alarms.queueAgeSeconds} s`,
      ...sustained,
      missingData: "notBreaching",
      silence: SQS_SILENCE,
      runbook:
        `An upload has waited ${alarms.queueAgeSeconds} s or more to be stored. Check the running-tasks and ` +
        "database alarms; if tasks run and the database is healthy, the service is at maxCount: raise it.",
    },
    {
      id: "queue-not-consumed",
      watches: {
        expression: "IF(FILL(visible, 0) > 0 AND FILL(deleted, 0) == 0, 1, 0)",
        label: "messages wait and none is deleted",
        inputs: { visible: queue.visible, deleted: queue.deleted },
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      shown: "messages visible and 0 deleted",
      ...sustained,
      missingData: "notBreaching",
      silence: SQS_SILENCE,
      runbook:
        "Messages wait and the worker deletes none: it is not consuming. Check that tasks run, then the worker's " +
        "error lines (database login, S3 or SQS access denied, endpoint DNS).",
    },
    {
      id: "worker-failed",
      watches: work.failed,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      shown: ">= 1 in a minute",
      ...firstMinute,
      missingData: "notBreaching",
      silence: "the worker writes a metrics line per batch: silence is no batch",
      runbook:
        "A batch could not be stored and is being retried (nothing is lost yet). Read the worker's error lines: a " +
        "database outage resolves itself; a persistent error ends in the DLQ alarm.",
    },
    {
      id: "running-tasks",
      watches: service.runningTasks,
      comparison: "LessThanThreshold",
      threshold: worker.minCount,
      shown: `< ${worker.minCount} (minCount)`,
      periodSeconds: 60,
      evaluationPeriods: 3,
      missingData: "breaching",
      silence: "no running task publishes no count",
      runbook:
        "Fewer worker tasks run than minCount. Read the service's events (aws ecs describe-services): image pull, " +
        "failed migration (its JSON line is the stop reason) or a failing health check.",
    },
    {
      id: "worker-cpu",
      watches: service.cpu,
      comparison: "GreaterThanThreshold",
      threshold: alarms.workerCpuPercent,
      shown: `> ${alarms.workerCpuPercent} %`,
      ...sustained,
      missingData: "notBreaching",
      silence: RESOURCE_SILENCE + " (running tasks)",
      runbook: "Worker tasks are CPU-bound. If the backlog grows, raise worker.maxCount or worker.cpu.",
    },
    {
      id: "worker-memory",
      watches: service.memory,
      comparison: "GreaterThanThreshold",
      threshold: alarms.workerMemoryPercent,
      shown: `> ${alarms.workerMemoryPercent} %`,
      ...sustained,
      missingData: "notBreaching",
      silence: RESOURCE_SILENCE + " (running tasks)",
      runbook: "Worker tasks near their memory limit will be killed. Lower worker.maxObjectBytes or raise memoryMiB.",
    },
    {
      id: "database-cpu",
      watches: db.cpu,
      comparison: "GreaterThanThreshold",
      threshold: alarms.databaseCpuPercent,
      shown: `> ${alarms.databaseCpuPercent} %`,
      ...sustained,
      missingData: "breaching",
      silence: "an available instance publishes every minute; silence means stopped or failed",
      runbook:
        "PostgreSQL is CPU-bound, or (no data) not available. Check the RDS events and Performance Insights; " +
        "lower worker.maxCount or move to a larger class.",
    },
    {
      id: "database-cpu-credits",
      watches: db.cpuCredits,
      comparison: "LessThanThreshold",
      threshold: alarms.databaseCpuCredits,
      shown: `< ${alarms.databaseCpuCredits} credits`,
      ...sustained,
      missingData: "notBreaching",
      silence: RESOURCE_SILENCE + " (database CPU)",
      runbook: "The burstable instance has nearly spent its CPU credits and will be throttled to its baseline.",
    },
    {
      id: "database-free-storage",
      watches: db.freeStorage,
      comparison: "LessThanThreshold",
      threshold: alarms.databaseFreeStorageGb * GIB,
      shown: `< ${alarms.databaseFreeStorageGb} GiB`,
      ...sustained,
      missingData: "notBreaching",
      silence: RESOURCE_SILENCE + " (database CPU)",
      runbook:
        "Storage autoscaling did not keep up: the instance is at maxAllocatedStorageGb or in the 6 hours after its " +
        "last scaling. Raise database.maxAllocatedStorageGb before writes fail.",
    },
    {
      id: "database-connections",
      watches: db.connections,
      comparison: "GreaterThanThreshold",
      threshold: connections,
      shown: `> ${connections} (${alarms.databaseConnectionsPercent} % of max_connections ${MAX_CONNECTIONS})`,
      ...sustained,
      missingData: "notBreaching",
      silence: RESOURCE_SILENCE + " (database CPU)",
      runbook: "Connections near max_connections: new tasks or the migration will be refused. Find who else connects.",
    },
    {
      id: "database-freeable-memory",
      watches: db.freeableMemory,
      comparison: "LessThanThreshold",
      threshold: alarms.databaseFreeableMemoryMiB * MIB,
      shown: `< ${alarms.databaseFreeableMemoryMiB} MiB`,
      ...sustained,
      missingData: "notBreaching",
      silence: RESOURCE_SILENCE + " (database CPU)",
      runbook: "PostgreSQL is short of memory and will swap. Fewer connections, or a larger instance class.",
    },
  ];
}

export const isExpression = (watches: Metric | Expression): watches is Expression => "expression" in watches;
