import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Block, Synthesized, nexusStack, synthNexus, synthesize } from "./synth";
import { repoRoot } from "../stacks/app/app";
import { ConfigError, resolveConfig } from "../stacks/config/config";
import { alarmsTable } from "../scripts/docs/reference";

const synth = synthNexus("dev");
const ref = (s: Synthesized, type: string, fragment: string, attr: string) =>
  `\${${s.address(type, fragment)}.${attr}}`;
const TOPIC_ARN = ref(synth, "aws_sns_topic", "monitoring_topic", "arn");
const alarms = () => Object.values(synth.resources("aws_cloudwatch_metric_alarm"));
const alarm = (id: string) => synth.named("aws_cloudwatch_metric_alarm", `alarms_${id}_`);

describe("the alarm topic", () => {
  const topic = synth.only("aws_sns_topic");

  test("is encrypted with the environment's customer-managed key, not alias/aws/sns", () => {
    expect(topic.kms_master_key_id).toBe(ref(synth, "aws_kms_key", "data-key", "arn"));
  });

  test("lets only this account's CloudWatch alarms publish, and nothing without TLS", () => {
    const [allow, deny] = Synthesized.policy(topic.policy).Statement;
    expect(allow).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["sns:Publish"],
      Condition: {
        StringEquals: { "aws:SourceAccount": expect.stringContaining("aws_caller_identity") },
        ArnLike: { "aws:SourceArn": expect.stringMatching(/:cloudwatch:us-east-1:.*:alarm:\*$/) },
      },
    });
    expect(allow.Resource).toEqual([expect.stringMatching(/:sns:us-east-1:.*:nexus-dev-alarms$/)]);
    expect(deny).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: ["sns:Publish"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  test("sets neither signature_version nor tracing_config, which moto does not read back", () => {
    expect(topic).not.toHaveProperty("signature_version");
    expect(topic).not.toHaveProperty("tracing_config");
  });

  test("the data key lets CloudWatch encrypt to it, for this account's alarms only", () => {
    const key = synth.only("aws_kms_key");
    const statement = Synthesized.policy(key.policy).Statement.find(
      (s) => s.Sid === "CloudWatchAlarmsPublishEncrypted",
    );
    expect(statement).toMatchObject({
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Condition: {
        StringEquals: { "aws:SourceAccount": expect.any(String) },
        ArnLike: { "aws:SourceArn": expect.stringMatching(/:alarm:\*$/) },
      },
    });
  });

  test("has no subscription unless emails are configured; each email is one subscription", () => {
    expect(synth.resources("aws_sns_topic_subscription")).toEqual({});
    const withEmails = synthesize(nexusStack("dev", { alarms: { emails: ["a@example.com", "b@example.org"] } }));
    const subscriptions = Object.values(withEmails.resources("aws_sns_topic_subscription"));
    expect(subscriptions.map((s) => [s.protocol, s.endpoint])).toEqual([
      ["email", "a@example.com"],
      ["email", "b@example.org"],
    ]);
  });

  test("a central topic replaces it: no topic, no key statement, every alarm notifies that ARN", () => {
    const central = "arn:aws:sns:us-east-1:123456789012:central-alarms";
    const s = synthesize(nexusStack("dev", { alarms: { topicArn: central } }));
    expect(s.resources("aws_sns_topic")).toEqual({});
    expect(s.only("aws_kms_key").policy).not.toContain("cloudwatch.amazonaws.com");
    for (const a of Object.values(s.resources("aws_cloudwatch_metric_alarm"))) {
      expect([a.alarm_actions, a.ok_actions]).toEqual([[central], [central]]);
    }
  });
});

describe("alarms", () => {
  test("one per failure mode, each notifying the topic on ALARM and on OK, each with a runbook line", () => {
    expect(
      alarms()
        .map((a) => a.alarm_name)
        .sort(),
    ).toEqual(
      [
        "dlq-messages",
        "queue-oldest-age",
        "queue-not-consumed",
        "worker-failed",
        "running-tasks",
        "worker-cpu",
        "worker-memory",
        "database-cpu",
        "database-cpu-credits",
        "database-free-storage",
        "database-connections",
        "database-freeable-memory",
      ]
        .map((id) => `nexus-dev-${id}`)
        .sort(),
    );
    for (const a of alarms()) {
      expect([a.alarm_actions, a.ok_actions]).toEqual([[TOPIC_ARN], [TOPIC_ARN]]);
      expect(a.alarm_description.length).toBeGreaterThan(40);
      expect(a.alarm_description.length).toBeLessThanOrEqual(1024); // CloudWatch's limit
    }
  });

  test("every dimension names a resource of this stack, or the worker's NEXUS_ENVIRONMENT", () => {
    const task = synth.only("aws_ecs_task_definition");
    const worker = JSON.parse(task.container_definitions).find((c: Block) => c.name === "worker");
    const environment = worker.environment.find((e: Block) => e.name === "NEXUS_ENVIRONMENT").value;
    const known: Record<string, string[]> = {
      QueueName: [
        ref(synth, "aws_sqs_queue", "ingest_queue", "name"),
        ref(synth, "aws_sqs_queue", "ingest_dlq", "name"),
      ],
      ClusterName: [ref(synth, "aws_ecs_cluster", "", "name")],
      ServiceName: [ref(synth, "aws_ecs_service", "", "name")],
      DBInstanceIdentifier: [ref(synth, "aws_db_instance", "", "identifier")],
      Environment: [environment],
    };
    const dimensionsOf = (a: Block): Record<string, string>[] =>
      a.metric_query
        ? a.metric_query.filter((q: Block) => q.metric).map((q: Block) => q.metric.dimensions)
        : [a.dimensions];
    for (const a of alarms()) {
      for (const dims of dimensionsOf(a)) {
        for (const [name, value] of Object.entries(dims)) expect(known[name]).toContain(value);
      }
    }
    expect(environment).toBe("nexus-dev");
  });

  test("the DLQ alarm fires on one message in a minute, and keeps its state through SQS's silence", () => {
    expect(alarm("dlq-messages")).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: ref(synth, "aws_sqs_queue", "ingest_dlq", "name") },
      statistic: "Maximum",
      comparison_operator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      period: 60,
      evaluation_periods: 1,
      treat_missing_data: "ignore",
    });
  });

  test("no running task fires; an idle queue or worker does not", () => {
    expect(alarm("running-tasks")).toMatchObject({
      treat_missing_data: "breaching",
      threshold: 1,
      comparison_operator: "LessThanThreshold",
    });
    for (const id of ["queue-oldest-age", "queue-not-consumed", "worker-failed"]) {
      expect(alarm(id).treat_missing_data).toBe("notBreaching");
    }
    expect(synthNexus("prod").named("aws_cloudwatch_metric_alarm", "alarms_running-tasks_").threshold).toBe(2);
  });

  test("'not consuming' is metric math: messages visible while none is deleted", () => {
    const queries = alarm("queue-not-consumed").metric_query;
    expect(queries.map((q: Block) => q.id)).toEqual(["visible", "deleted", "condition"]);
    expect(queries[2]).toMatchObject({
      expression: "IF(FILL(visible, 0) > 0 AND FILL(deleted, 0) == 0, 1, 0)",
      return_data: true,
    });
    expect(queries[1].metric).toMatchObject({ metric_name: "NumberOfMessagesDeleted", stat: "Sum" });
  });

  test("the queue-age threshold follows processingBudgetSeconds unless set", () => {
    expect(alarm("queue-oldest-age").threshold).toBe(600);
    const slower = synthesize(nexusStack("dev", { worker: { processingBudgetSeconds: 120 } }));
    expect(slower.named("aws_cloudwatch_metric_alarm", "alarms_queue-oldest-age_").threshold).toBe(1200);
    const set = synthesize(
      nexusStack("dev", { worker: { processingBudgetSeconds: 120 }, alarms: { queueAgeSeconds: 300 } }),
    );
    expect(set.named("aws_cloudwatch_metric_alarm", "alarms_queue-oldest-age_").threshold).toBe(300);
  });

  test("the connections threshold is exact: a share of the max_connections the parameter group pins", () => {
    const group = synth.only("aws_db_parameter_group");
    expect(group.parameter).toContainEqual({ name: "max_connections", value: "80", apply_method: "pending-reboot" });
    expect(alarm("database-connections").threshold).toBe(64);
  });

  test("the free-storage threshold sits below what makes storage autoscaling act (bytes)", () => {
    expect(alarm("database-free-storage").threshold).toBe(1024 ** 3); // 5 % of 20 GiB, rounded down
    expect(
      resolveConfig("dev", { database: { allocatedStorageGb: 200, maxAllocatedStorageGb: 400 } }).alarms
        .databaseFreeStorageGb,
    ).toBe(10);
  });

  test("the worker's failed metric is its EMF namespace with the Environment dimension", () => {
    expect(alarm("worker-failed")).toMatchObject({
      namespace: "Nexus/Worker",
      metric_name: "failed",
      statistic: "Sum",
      dimensions: { Environment: "nexus-dev" },
    });
  });
});

describe("the dashboard", () => {
  const body = JSON.parse(synth.only("aws_cloudwatch_dashboard").dashboard_body);

  test("shows the pipeline top to bottom, then the alarms' states and the worker's error lines", () => {
    const titles = body.widgets.map((w: Block) => w.properties.title);
    expect(titles[0]).toMatch(/arriving/);
    expect(titles).toContain("Alarms");
    expect(body.widgets.find((w: Block) => w.type === "alarm").properties.alarms).toHaveLength(alarms().length);
    const log = body.widgets.find((w: Block) => w.type === "log").properties.query;
    expect(log).toContain(`SOURCE '${ref(synth, "aws_cloudwatch_log_group", "worker_logs", "name")}'`);
    expect(log).toContain('filter level = "error"');
  });

  test("graphs the latency percentiles and every metric an alarm watches", () => {
    const rows: Block[][] = body.widgets
      .filter((w: Block) => w.type === "metric")
      .flatMap((w: Block) => w.properties.metrics);
    const shown = new Set(rows.map((r) => `${r[0]} ${r[1]} ${r[r.length - 1].stat}`));
    expect(shown).toContain("Nexus/Worker latencyMs p50");
    expect(shown).toContain("Nexus/Worker latencyMs p99");
    for (const a of alarms().filter((x) => x.metric_name))
      expect(shown).toContain(`${a.namespace} ${a.metric_name} ${a.statistic}`);
  });
});

describe("alarm settings", () => {
  const error = (overrides: object) => {
    try {
      resolveConfig("dev", overrides);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    throw new Error("accepted");
  };

  test("emails and a central topic together are refused, naming the key", () => {
    expect(error({ alarms: { emails: ["a@example.com"], topicArn: "arn:aws:sns:us-east-1:123456789012:c" } })).toMatch(
      /^nexus config: nexus\.dev\.alarms\.emails must be \[\] when alarms\.topicArn is set/,
    );
  });

  test("a worker scale that would cross the connections alarm is refused", () => {
    expect(error({ worker: { maxCount: 20 } })).toMatch(
      /nexus\.dev\.worker\.maxCount must be a count whose connections, maxCount x \(concurrency \+ 1\) \+ 1 = 101/,
    );
  });

  test("a free-storage threshold at or above the allocation is refused", () => {
    expect(error({ alarms: { databaseFreeStorageGb: 20 } })).toMatch(
      /alarms\.databaseFreeStorageGb must be less than database\.allocatedStorageGb \(20\)/,
    );
  });
});

test("the README's alarms table is the one generated from the alarm specs", () => {
  expect(readFileSync(join(repoRoot(), "README.md"), "utf8")).toContain(alarmsTable());
});
