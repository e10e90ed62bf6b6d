import { Synthesized, synthNexus } from "./synth";

const synth = synthNexus("dev");
const ref = (type: string, fragment: string, attr: string) => `\${${synth.address(type, fragment)}.${attr}}`;
const SECRET = ref("aws_db_instance", "database_instance", "master_user_secret[0].secret_arn");
const KEY = ref("aws_kms_key", "data-key", "arn");
const task = synth.only("aws_ecs_task_definition");
const [migration, container] = JSON.parse(task.container_definitions);
const envOf = (c: { environment: { name: string; value: string }[] }) =>
  Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
const statementsOf = (roleFragment: string) => {
  const roleId = ref("aws_iam_role", roleFragment, "id");
  const policy = Object.values(synth.resources("aws_iam_role_policy")).find((p) => p.role === roleId)!;
  return Synthesized.policy(policy.policy).Statement;
};

describe("the worker task", () => {
  test("is a Fargate task of 0.25 vCPU and 512 MB", () => {
    expect(task).toMatchObject({
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "256",
      memory: "512",
    });
  });

  test("is registered before its previous revision is deregistered (a failed deploy keeps the running one)", () => {
    expect(task.lifecycle).toEqual({ create_before_destroy: true });
  });

  test("runs both containers as a non-root user on a read-only root filesystem; only the worker writes, to /tmp", () => {
    for (const c of [migration, container])
      expect(c).toMatchObject({ user: "1000:1000", readonlyRootFilesystem: true });
    expect(container.mountPoints).toEqual([{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }]);
    expect(migration.mountPoints).toBeUndefined();
  });

  test("logs to the KMS-encrypted /ecs/nexus-dev group", () => {
    expect(container.logConfiguration.options["awslogs-group"]).toBe(
      ref("aws_cloudwatch_log_group", "worker_logs", "name"),
    );
    expect(synth.named("aws_cloudwatch_log_group", "worker_logs")).toMatchObject({
      name: "/ecs/nexus-dev",
      retention_in_days: 365,
      kms_key_id: KEY,
    });
  });

  test("runs the migration first, as its own container of the same image, with the master secret", () => {
    expect(migration).toMatchObject({
      name: "migrate",
      image: container.image,
      command: ["node", "dist/migrate.js"],
      essential: false,
      startTimeout: 120,
    });
    expect(envOf(migration)).toEqual({
      DB_HOST: ref("aws_db_instance", "database_instance", "address"),
      DB_PORT: ref("aws_db_instance", "database_instance", "port"),
      DB_NAME: ref("aws_db_instance", "database_instance", "db_name"),
      DB_SSL: "verify-full",
      DB_AUTH: "iam",
      DB_APP_USER: "nexus_worker",
      DB_WAIT_SECONDS: "90",
    });
    expect(migration.secrets).toEqual([
      { name: "DB_USER", valueFrom: `${SECRET}:username::` },
      { name: "DB_PASSWORD", valueFrom: `${SECRET}:password::` },
    ]);
  });

  test("waits for the migration to succeed, within Fargate's 120 s start timeout", () => {
    expect(container.dependsOn).toEqual([{ containerName: "migrate", condition: "SUCCESS" }]);
    expect(Number(envOf(migration).DB_WAIT_SECONDS)).toBeLessThan(migration.startTimeout);
    expect(migration.startTimeout).toBeLessThanOrEqual(120);
  });

  test("the worker logs in as nexus_worker with IAM tokens: no master credentials, no password", () => {
    const env = envOf(container);
    expect(env).toMatchObject({
      QUEUE_URL: ref("aws_sqs_queue", "ingest_queue", "url"),
      DB_HOST: ref("aws_db_instance", "database_instance", "address"),
      DB_NAME: ref("aws_db_instance", "database_instance", "db_name"),
      DB_USER: "nexus_worker",
      DB_AUTH: "iam",
      DB_SSL: "verify-full",
      VISIBILITY_TIMEOUT_SECONDS: "120",
    });
    expect(Object.keys(env).filter((k) => /PASSWORD|SECRET/.test(k))).toEqual([]);
    expect(container.secrets).toBeUndefined();
    expect(JSON.stringify(container)).not.toContain("master_user_secret");
  });

  test("has a container health check", () => {
    expect(container.healthCheck.command).toEqual(["CMD", "node", "dist/healthcheck.js"]);
  });

  test("runs the image pushed to ECR, pinned by digest", () => {
    expect(container.image).toBe(
      `${ref("aws_ecr_repository", "repository", "repository_url")}@${ref("docker_registry_image", "worker-image-push", "sha256_digest")}`,
    );
  });
});

describe("least privilege", () => {
  test("the task role can read ingest objects, consume the queue, connect as nexus_worker and decrypt: nothing else", () => {
    expect(statementsOf("task-role").map((s) => [s.Action, s.Resource])).toEqual([
      [["s3:GetObject", "s3:GetObjectVersion"], [`${ref("aws_s3_bucket", "ingest_bucket", "arn")}/*`]],
      [
        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        [ref("aws_sqs_queue", "ingest_queue", "arn")],
      ],
      [
        ["rds-db:connect"],
        [
          expect.stringMatching(
            /^arn:\$\{data\.aws_partition\.[^}]+\.partition\}:rds-db:us-east-1:\$\{data\.aws_caller_identity\.[^}]+\.account_id\}:dbuser:/,
          ),
        ],
      ],
      [["kms:Decrypt"], [KEY]],
    ]);
  });

  test("the task role connects as exactly nexus_worker of exactly this instance", () => {
    const connect = statementsOf("task-role").find((st) => st.Action.includes("rds-db:connect"))!;
    expect(connect.Resource).toHaveLength(1);
    expect(connect.Resource[0]).toMatch(
      new RegExp(
        `:dbuser:${ref("aws_db_instance", "database_instance", "resource_id").replace(/[$.{}]/g, "\\$&")}/nexus_worker$`,
      ),
    );
  });

  test("the execution role can pull this repository's image, write this log group and read the secret (to inject it into the migration)", () => {
    expect(statementsOf("execution-role").map((s) => [s.Action, s.Resource])).toEqual([
      [
        ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        [ref("aws_ecr_repository", "repository", "arn")],
      ],
      [["ecr:GetAuthorizationToken"], ["*"]],
      [["logs:CreateLogStream", "logs:PutLogEvents"], [`${ref("aws_cloudwatch_log_group", "worker_logs", "arn")}:*`]],
      [["secretsmanager:GetSecretValue"], [SECRET]],
      [["kms:Decrypt"], [KEY]],
    ]);
  });

  test("no policy statement uses a wildcard action, and only GetAuthorizationToken a wildcard resource", () => {
    for (const role of ["task-role", "execution-role"]) {
      for (const statement of statementsOf(role)) {
        expect(statement.Action.every((a: string) => !a.includes("*"))).toBe(true);
        if (statement.Resource.includes("*")) expect(statement.Action).toEqual(["ecr:GetAuthorizationToken"]);
      }
    }
  });

  test("both roles can be assumed only by ECS tasks of this account", () => {
    for (const role of ["task-role", "execution-role"]) {
      const [trust] = JSON.parse(synth.named("aws_iam_role", role).assume_role_policy).Statement;
      expect(trust.Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
      expect(trust.Condition.StringEquals["aws:SourceAccount"]).toMatch(/aws_caller_identity/);
    }
  });
});

describe("the worker service", () => {
  const service = synth.only("aws_ecs_service");

  test("runs in the isolated subnets without a public IP", () => {
    expect(service.network_configuration).toEqual({
      subnets: Object.keys(synth.resources("aws_subnet")).map((id) => `\${aws_subnet.${id}.id}`),
      security_groups: [ref("aws_security_group", "worker_sg", "id")],
      assign_public_ip: false,
    });
  });

  test("runs on the latest Fargate platform version, so platform patches need no change here", () => {
    expect(service).toMatchObject({ launch_type: "FARGATE", platform_version: "LATEST" });
  });

  test("rolls back a failing deployment and has no ECS Exec", () => {
    expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
    expect(service.enable_execute_command).toBe(false);
  });

  test("leaves the task count to autoscaling after the first deploy", () => {
    expect(service.lifecycle.ignore_changes).toEqual(["desired_count"]);
  });

  test("the cluster has Container Insights", () => {
    expect(synth.only("aws_ecs_cluster").setting).toEqual([{ name: "containerInsights", value: "enabled" }]);
  });

  test("scales between min and max on queue backlog per task", () => {
    expect(synth.only("aws_appautoscaling_target")).toMatchObject({
      min_capacity: 1,
      max_capacity: 2,
      scalable_dimension: "ecs:service:DesiredCount",
    });
    const policy = synth.only("aws_appautoscaling_policy").target_tracking_scaling_policy_configuration;
    expect(policy.target_value).toBe(100);
    const metrics = policy.customized_metric_specification.metrics;
    expect(metrics[0].metric_stat.metric).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
    });
    expect(metrics[2]).toMatchObject({ expression: "IF(tasks > 0, visible / tasks, visible)", return_data: true });
  });
});
