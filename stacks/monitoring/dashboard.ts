import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Metric, databaseMetrics, queueMetrics, serviceMetrics, workerMetrics } from "./metrics";
import { MonitoredNames } from "./alarm-specs";

export interface DashboardProps {
  /** Dashboard name, e.g. `nexus-dev`. */
  readonly name: string;
  readonly region: string;
  readonly names: MonitoredNames;
  /** Every alarm's ARN, for the alarm-status widget. */
  readonly alarmArns: readonly string[];
  /** The worker's log group, for the Logs Insights widget of its error lines. */
  readonly workerLogGroup: string;
}

const WIDTH = 24;
const HALF = 12;
const HEIGHT = 6;

/** CloudWatch's widget metric array: namespace, name, dimension pairs, then the rendering options. */
function metricRow(m: Metric): unknown[] {
  return [m.namespace, m.metricName, ...Object.entries(m.dimensions).flat(), { stat: m.stat, label: m.label }];
}

/**
 * One environment's dashboard, the pipeline top to bottom: what arrives, what waits, what the worker
 * does, the tasks and the database it writes to, what failed; then which alarms are firing and the
 * worker's error lines. Built from the metric definitions the alarms use.
 */
export class Dashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { names, region } = props;
    const queue = queueMetrics(names.queueName);
    const dlq = queueMetrics(names.deadLetterQueueName);
    const work = workerMetrics(names.workerEnvironment);
    const service = serviceMetrics(names.clusterName, names.serviceName);
    const db = databaseMetrics(names.databaseId);
    const graph = (title: string, metrics: Metric[], width = HALF) => ({
      type: "metric",
      width,
      height: HEIGHT,
      properties: { title, region, view: "timeSeries", period: 60, metrics: metrics.map(metricRow) },
    });
    const widgets = [
      graph("1. Objects arriving (S3 notifications)", [queue.sent]),
      graph("2. Backlog and oldest message (s)", [queue.visible, queue.inFlight, queue.oldestAge]),
      graph("3. Files processed, rejected, failed", [work.processed, work.rejected, work.failed]),
      graph("4. Batch latency (ms)", [work.latencyP50, work.latencyP99]),
      graph("5. Worker tasks, CPU and memory", [service.runningTasks, service.cpu, service.memory]),
      graph("6. Database CPU and credits", [db.cpu, db.cpuCredits]),
      graph("7. Database connections", [db.connections]),
      graph("8. Database free storage and memory (bytes)", [db.freeStorage, db.freeableMemory]),
      graph("9. Dead-letter queue: files not stored", [dlq.visible], WIDTH),
      {
        type: "alarm",
        width: WIDTH,
        height: HEIGHT,
        properties: { title: "Alarms", alarms: [...props.alarmArns] },
      },
      {
        type: "log",
        width: WIDTH,
        height: HEIGHT,
        properties: {
          title: "Worker errors",
          region,
          view: "table",
          query:
            `SOURCE '${props.workerLogGroup}' | fields @timestamp, msg, messageId, key, err.name, err.message ` +
            `| filter level = "error" | sort @timestamp desc | limit 50`,
        },
      },
    ];
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.name,
      dashboardBody: JSON.stringify({ widgets }),
    });
  }
}
