/**
 * The e2e's monitoring phase: the alarms and the dashboard as the emulator holds them, checked
 * against what Terraform applied (an alarm on a misspelled dimension never fires), and one alarm
 * driven end to end: SetAlarmState to ALARM on the DLQ alarm, and its notification arriving through
 * the applied topic at a queue the e2e subscribes for the test (not part of the stacks).
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { emulatorClientConfig } from "./aws";

/** What `terraform show -json` says was applied: resource values by type. */
export type AppliedValues = (type: string) => Record<string, unknown>[];

interface Dimension {
  Name?: string;
  Value?: string;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/** Every name an alarm dimension may carry: the applied queues, cluster, service, instance and the worker's NEXUS_ENVIRONMENT. */
function appliedNames(applied: AppliedValues): Record<string, Set<string>> {
  const task = applied("aws_ecs_task_definition")[0];
  const containers = JSON.parse(String(task.container_definitions)) as {
    name: string;
    environment?: { name: string; value: string }[];
  }[];
  const environment = containers
    .find((c) => c.name === "worker")
    ?.environment?.find((e) => e.name === "NEXUS_ENVIRONMENT")?.value;
  const of = (type: string, attribute: string) => new Set(applied(type).map((r) => String(r[attribute])));
  return {
    QueueName: of("aws_sqs_queue", "name"),
    ClusterName: of("aws_ecs_cluster", "name"),
    ServiceName: of("aws_ecs_service", "name"),
    DBInstanceIdentifier: of("aws_db_instance", "identifier"),
    Environment: new Set(environment ? [environment] : []),
  };
}

export async function proveMonitoring(
  endpoint: string,
  ca: string,
  applied: AppliedValues,
  log: (line: string) => void,
) {
  const config = emulatorClientConfig(endpoint, ca);
  const cloudwatch = new CloudWatchClient(config);
  const names = appliedNames(applied);
  const expected = applied("aws_cloudwatch_metric_alarm").map((a) => String(a.alarm_name));
  const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: expected }));
  check(MetricAlarms.length === expected.length, `${MetricAlarms.length} of ${expected.length} alarms read back`);
  let dimensions = 0;
  for (const alarm of MetricAlarms) {
    const all: Dimension[] = [
      ...(alarm.Dimensions ?? []),
      ...(alarm.Metrics ?? []).flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? []),
    ];
    check(all.length > 0, `${alarm.AlarmName} has dimensions`);
    for (const d of all) {
      check(
        names[d.Name!]?.has(d.Value!),
        `${alarm.AlarmName}: dimension ${d.Name}=${d.Value} names an applied resource`,
      );
      dimensions++;
    }
    check(
      alarm.AlarmActions?.length === 1 && alarm.OKActions?.length === 1,
      `${alarm.AlarmName} notifies on ALARM and OK`,
    );
  }
  const [topicArn] = new Set(MetricAlarms.flatMap((a) => a.AlarmActions ?? []));
  check(
    applied("aws_sns_topic").some((t) => t.arn === topicArn),
    "the alarms notify the applied topic",
  );
  log(`${MetricAlarms.length} alarms read back; all ${dimensions} dimensions name applied resources`);

  const [dashboard] = applied("aws_cloudwatch_dashboard");
  const body = await cloudwatch.send(new GetDashboardCommand({ DashboardName: String(dashboard.dashboard_name) }));
  const widgets = JSON.parse(body.DashboardBody ?? "{}").widgets as {
    type: string;
    properties: { metrics?: unknown[][] };
  }[];
  for (const row of widgets.flatMap((w) => w.properties.metrics ?? [])) {
    const pairs = row.slice(2, -1) as string[];
    for (let i = 0; i < pairs.length; i += 2) {
      check(
        names[pairs[i]]?.has(pairs[i + 1]),
        `dashboard: dimension ${pairs[i]}=${pairs[i + 1]} names an applied resource`,
      );
    }
  }
  log(`dashboard ${dashboard.dashboard_name}: ${widgets.length} widgets read back, every dimension applied`);

  // One alarm end to end, through the applied topic, to a queue subscribed for the test only.
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "e2e-alarm-notifications" }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  try {
    const dlqAlarm = expected.find((name) => name.endsWith("-dlq-messages"))!;
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: dlqAlarm, StateValue: "ALARM", StateReason: "e2e: a message in the DLQ" }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }),
    );
    const notifications = Messages.map((m) => JSON.parse(m.Body ?? "{}"));
    check(
      notifications.length === 1 &&
        notifications[0].AlarmName === dlqAlarm &&
        notifications[0].NewStateValue === "ALARM",
      `one ALARM notification of ${dlqAlarm} arrived (got ${JSON.stringify(notifications)})`,
    );
    log(`SetAlarmState ALARM on ${dlqAlarm}: its notification arrived through the topic at the test's queue`);
  } finally {
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  }
}
