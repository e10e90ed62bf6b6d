/**
 * The metrics Nexus is watched by, one function per resource kind. Alarms and dashboard widgets are
 * built from these same definitions, so the dashboard shows exactly what pages.
 */

export interface Metric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** CloudWatch statistic: Sum, Average, Minimum, Maximum or a percentile such as p99. */
  readonly stat: string;
  readonly label: string;
}

/** The namespace of the worker's EMF lines (worker/src/log.ts), dimension `Environment`. */
export const WORKER_NAMESPACE = "Nexus/Worker";

const metric =
  (namespace: string, dimensions: Record<string, string>) => (metricName: string, stat: string, label: string) =>
    ({ namespace, metricName, dimensions, stat, label }) satisfies Metric;

/** SQS publishes these every minute while the queue is active, and nothing for a queue idle 6 hours. */
export function queueMetrics(queueName: string) {
  const m = metric("AWS/SQS", { QueueName: queueName });
  return {
    sent: m("NumberOfMessagesSent", "Sum", "notifications arriving"),
    visible: m("ApproximateNumberOfMessagesVisible", "Maximum", "waiting"),
    inFlight: m("ApproximateNumberOfMessagesNotVisible", "Maximum", "in flight"),
    oldestAge: m("ApproximateAgeOfOldestMessage", "Maximum", "oldest message age (s)"),
    deleted: m("NumberOfMessagesDeleted", "Sum", "deleted (committed)"),
  };
}

/** The worker's own EMF metrics, one line per batch: nothing is published while nothing is processed. */
export function workerMetrics(environment: string) {
  const m = metric(WORKER_NAMESPACE, { Environment: environment });
  return {
    processed: m("processed", "Sum", "processed"),
    rejected: m("rejected", "Sum", "rejected"),
    failed: m("failed", "Sum", "failed batches' objects"),
    latencyP50: m("latencyMs", "p50", "batch latency p50 (ms)"),
    latencyP99: m("latencyMs", "p99", "batch latency p99 (ms)"),
  };
}

/** AWS/ECS service utilisation and Container Insights' task count (Container Insights is on). */
export function serviceMetrics(clusterName: string, serviceName: string) {
  const dimensions = { ClusterName: clusterName, ServiceName: serviceName };
  const ecs = metric("AWS/ECS", dimensions);
  return {
    runningTasks: metric("ECS/ContainerInsights", dimensions)("RunningTaskCount", "Minimum", "running tasks"),
    cpu: ecs("CPUUtilization", "Average", "CPU %"),
    memory: ecs("MemoryUtilization", "Average", "memory %"),
  };
}

/** RDS publishes these every minute while the instance is available. */
export function databaseMetrics(instanceId: string) {
  const m = metric("AWS/RDS", { DBInstanceIdentifier: instanceId });
  return {
    cpu: m("CPUUtilization", "Average", "CPU %"),
    cpuCredits: m("CPUCreditBalance", "Minimum", "CPU credits"),
    freeStorage: m("FreeStorageSpace", "Minimum", "free storage (bytes)"),
    connections: m("DatabaseConnections", "Maximum", "connections"),
    freeableMemory: m("FreeableMemory", "Minimum", "freeable memory (bytes)"),
  };
}
