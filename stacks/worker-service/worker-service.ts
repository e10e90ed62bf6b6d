import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { AwsContext } from "../shared/aws-context";
import { WorkerConfig, visibilityTimeoutSeconds } from "../config/config";
import { APP_USERNAME, Database } from "../database/database";
import { DataKey } from "../encryption/data-key";
import { PolicyStatement, assumeRolePolicy, policyJson } from "../shared/iam";
import { Ingest } from "../ingest/ingest";
import { Network } from "../network/network";
import { QueueDepthScaling } from "./queue-depth-scaling";
import { emptySecurityGroup } from "../shared/security-groups";

/** The image's non-root user (uid:gid of `node` in the official Node images). */
export const WORKER_USER = "1000:1000";
export const CONTAINER_NAME = "worker";
export const MIGRATION_CONTAINER_NAME = "migrate";
/**
 * The worker container starts when the migration exits 0; Fargate gives a dependency at most
 * 120 s (startTimeout 2-120). The migration waits for its database 90 s of them, leaving 30 s to
 * connect and migrate; past that the task stops and the service starts another.
 */
export const MIGRATION_START_TIMEOUT_SECONDS = 120;
export const MIGRATION_DB_WAIT_SECONDS = 90;

export interface WorkerServiceProps {
  readonly aws: AwsContext;
  readonly name: string;
  readonly config: WorkerConfig;
  readonly network: Network;
  readonly ingest: Ingest;
  readonly database: Database;
  readonly dataKey: DataKey;
  readonly imageUri: string;
  /** ECR pull for the execution role (the repository the image lives in). */
  readonly grantPull: PolicyStatement;
  /** ecr:GetAuthorizationToken for the execution role. */
  readonly grantAuthorizationToken: PolicyStatement;
}

/**
 * The Fargate worker: polls the ingest queue, reads objects from S3, writes PostgreSQL.
 * No public IP, read-only root filesystem, non-root user, and two roles with exact grants.
 */
export class WorkerService extends Construct {
  readonly cluster: EcsCluster;
  readonly service: EcsService;
  readonly logGroup: CloudwatchLogGroup;
  readonly securityGroup: SecurityGroup;
  readonly taskRole: IamRole;
  readonly executionRole: IamRole;
  /** The `Environment` dimension of the worker's EMF metrics (its NEXUS_ENVIRONMENT): the name prefix. */
  readonly metricsEnvironment: string;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const { name, config, network } = props;
    this.metricsEnvironment = name;
    this.securityGroup = emptySecurityGroup(
      this,
      "sg",
      `${name}-worker`,
      network.vpc.id,
      "Worker tasks: no ingress; egress to endpoints, S3 and PostgreSQL only",
    );
    network.admitToAwsServices(this.securityGroup);
    props.database.admitFrom("worker-to-db", this.securityGroup);

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/ecs/${name}`,
      retentionInDays: config.logRetentionDays,
      kmsKeyId: props.dataKey.arn,
    });
    this.cluster = new EcsCluster(this, "cluster", {
      name,
      setting: [{ name: "containerInsights", value: "enabled" }],
    });
    const accountId = props.aws.accountId;
    this.taskRole = this.role("task-role", `${name}-worker-task`, accountId, [
      props.ingest.bucket.grantReadObjects(),
      props.ingest.grantConsumeMessages(),
      props.database.grantConnect(props.aws, APP_USERNAME),
      props.dataKey.grantDecrypt(),
    ]);
    this.executionRole = this.role("execution-role", `${name}-worker-execution`, accountId, [
      props.grantPull,
      props.grantAuthorizationToken,
      this.grantWriteLogs(),
      // To inject the master secret into the migration container; the task role cannot read it.
      props.database.grantReadSecret(),
      props.dataKey.grantDecrypt(),
    ]);

    const task = this.taskDefinition(props);
    this.service = new EcsService(this, "service", {
      name: `${name}-worker`,
      cluster: this.cluster.arn,
      taskDefinition: task.arn,
      launchType: "FARGATE",
      // LATEST takes Fargate platform security patches without a change here (CKV_AWS_332).
      platformVersion: "LATEST",
      desiredCount: config.desiredCount,
      networkConfiguration: {
        subnets: network.subnetIds,
        securityGroups: [this.securityGroup.id],
        assignPublicIp: false,
      },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableExecuteCommand: false,
      propagateTags: "SERVICE",
      // Autoscaling owns the running count after the first deploy.
      lifecycle: { ignoreChanges: ["desired_count"] },
    });
    new QueueDepthScaling(this, "scaling", {
      clusterName: this.cluster.name,
      serviceName: this.service.name,
      queueName: props.ingest.queue.name,
      minCount: config.minCount,
      maxCount: config.maxCount,
      messagesPerTask: config.messagesPerTask,
    });
  }

  /** Log stream creation and writes on the worker's group: what the awslogs driver does. */
  grantWriteLogs(): PolicyStatement {
    return {
      Sid: "WriteWorkerLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [`${this.logGroup.arn}:*`],
    };
  }

  private role(id: string, roleName: string, accountId: string, statements: PolicyStatement[]): IamRole {
    const role = new IamRole(this, id, {
      name: roleName,
      assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", accountId),
    });
    new IamRolePolicy(this, `${id}-policy`, { role: role.id, name: roleName, policy: policyJson(statements) });
    return role;
  }

  private taskDefinition(props: WorkerServiceProps): EcsTaskDefinition {
    const { config, database, ingest } = props;
    const secret = database.secretArn;
    const location = {
      DB_HOST: database.instance.address,
      DB_PORT: String(database.instance.port),
      DB_NAME: database.instance.dbName,
      DB_SSL: "verify-full",
      DB_AUTH: "iam",
    };
    // Both containers: the same image, non-root, read-only root filesystem, logs to the worker's group.
    const base = (name: string) => ({
      name,
      image: props.imageUri,
      user: WORKER_USER,
      readonlyRootFilesystem: true,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": this.logGroup.name,
          "awslogs-region": props.aws.region,
          "awslogs-stream-prefix": name,
        },
      },
    });
    // Runs first, as the master user: migrations, then the nexus_worker role and its grants.
    const migration = {
      ...base(MIGRATION_CONTAINER_NAME),
      command: ["node", "dist/migrate.js"],
      essential: false,
      environment: environmentList({
        ...location,
        DB_APP_USER: APP_USERNAME,
        DB_WAIT_SECONDS: String(MIGRATION_DB_WAIT_SECONDS),
      }),
      // Injected by the ECS agent from the RDS-managed secret, into this container only.
      secrets: [
        { name: "DB_USER", valueFrom: `${secret}:username::` },
        { name: "DB_PASSWORD", valueFrom: `${secret}:password::` },
      ],
      startTimeout: MIGRATION_START_TIMEOUT_SECONDS,
    };
    // Logs in as nexus_worker with IAM tokens: no database password exists in this container.
    const worker = {
      ...base(CONTAINER_NAME),
      essential: true,
      dependsOn: [{ containerName: MIGRATION_CONTAINER_NAME, condition: "SUCCESS" }],
      environment: environmentList({
        QUEUE_URL: ingest.queue.url,
        ...location,
        DB_USER: APP_USERNAME,
        AWS_REGION: props.aws.region,
        WORKER_CONCURRENCY: String(config.concurrency),
        MAX_OBJECT_BYTES: String(config.maxObjectBytes),
        VISIBILITY_TIMEOUT_SECONDS: String(visibilityTimeoutSeconds(config)),
        NEXUS_ENVIRONMENT: this.metricsEnvironment, // the alarms' and dashboard's Environment dimension
      }),
      // The only writable path: the health heartbeat and Node's temp files.
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
      // The worker stamps its health file while it waits for the database too (DB_WAIT_SECONDS, 300 s).
      healthCheck: {
        command: ["CMD", "node", "dist/healthcheck.js"],
        interval: 30,
        timeout: 5,
        retries: 3,
        startPeriod: 30,
      },
      stopTimeout: 30,
    };
    return new EcsTaskDefinition(this, "task", {
      family: `${props.name}-worker`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(config.cpu),
      memory: String(config.memoryMiB),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      volume: [{ name: "tmp" }],
      containerDefinitions: JSON.stringify([migration, worker]),
      // A new image digest replaces the revision. Registered before the old one is deregistered, so a
      // deploy that fails before the new revision exists (a build that does not compile) leaves the
      // service on a registered revision and in state (the e2e's failed-build phase shows it).
      lifecycle: { createBeforeDestroy: true },
    });
  }
}

const environmentList = (variables: Record<string, string>) =>
  Object.entries(variables).map(([name, value]) => ({ name, value }));
