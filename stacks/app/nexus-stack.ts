import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AwsContext } from "../shared/aws-context";
import { StateBackendChoice } from "../state/remote-state";
import { AwsStack } from "./aws-stack";
import { NexusConfig, namePrefix, visibilityTimeoutSeconds } from "../config/config";
import { Database } from "../database/database";
import { DataKey } from "../encryption/data-key";
import { Ingest } from "../ingest/ingest";
import { Network } from "../network/network";
import { Registry, RegistryProps } from "../registry/registry";
import { WorkerService } from "../worker-service/worker-service";
import { Monitoring } from "../monitoring/monitoring";

export interface NexusStackProps {
  readonly config: NexusConfig;
  /** Where its state lives (and whether the local emulator is the target). */
  readonly state: StateBackendChoice;
  /** How the worker image is produced when `config.worker.imageUri` is unset. */
  readonly imageBuild: { readonly sourceHash: string; readonly contextDir: string; readonly network?: string };
}

/** Provider default tags: every resource says what it belongs to and who manages it. */
export function defaultTags(config: NexusConfig): Record<string, string> {
  return { Project: config.project, Environment: config.environment, ManagedBy: "cdktf" };
}

/**
 * One environment of Nexus, read top to bottom as the architecture: upload -> bucket ->
 * queue -> worker (private network) -> PostgreSQL, everything encrypted with one data key.
 */
export class NexusStack extends AwsStack {
  readonly ingest: Ingest;
  readonly network: Network;
  readonly database: Database;
  readonly registry: Registry;
  readonly worker: WorkerService;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: NexusStackProps) {
    super(scope, id, {
      region: props.config.region,
      tags: defaultTags(props.config),
      state: props.state,
      encryptState: true,
    });
    const { config } = props;
    const name = namePrefix(config);

    const aws = new AwsContext(this, "aws-context", config.region);
    // The alarm topic is encrypted with the data key, unless alarms go to a central topic.
    const centralTopic = config.alarms.topicArn !== undefined;
    const dataKey = new DataKey(this, "data-key", {
      aws,
      name,
      services: ["logs", "s3-notifications", ...(centralTopic ? [] : ["cloudwatch-alarms" as const])],
    });

    this.ingest = new Ingest(this, "ingest", {
      aws,
      name,
      dataKey,
      ...config.ingest,
      visibilityTimeoutSeconds: visibilityTimeoutSeconds(config.worker),
    });
    this.network = new Network(this, "network", {
      aws,
      name,
      ...config.network,
      dataKey,
      s3ObjectArns: [`${this.ingest.bucket.arn}/*`],
    });
    this.database = new Database(this, "database", {
      aws,
      name,
      vpcId: this.network.vpc.id,
      subnetIds: this.network.subnetIds,
      dataKey,
      config: config.database,
    });
    this.registry = new Registry(this, "registry", {
      aws,
      name,
      dataKey,
      ...config.registry,
      image: imageSource(config, props),
    });
    this.worker = new WorkerService(this, "worker", {
      aws,
      name,
      config: config.worker,
      network: this.network,
      ingest: this.ingest,
      database: this.database,
      dataKey,
      imageUri: this.registry.imageUri,
      grantPull: this.registry.grantPull(),
      grantAuthorizationToken: this.registry.grantAuthorizationToken(),
    });
    const pull = [this.registry.grantPull(), this.registry.grantAuthorizationToken()];
    this.network.restrictEndpoints({
      sqs: [this.ingest.grantConsumeMessages()],
      "ecr.api": pull,
      "ecr.dkr": pull,
      logs: [this.worker.grantWriteLogs()],
      secretsmanager: [this.database.grantReadSecret()],
    });
    this.monitoring = new Monitoring(this, "monitoring", {
      aws,
      name,
      config: config.alarms,
      worker: config.worker,
      dataKey,
      names: {
        queueName: this.ingest.queue.name,
        deadLetterQueueName: this.ingest.deadLetterQueue.name,
        clusterName: this.worker.cluster.name,
        serviceName: this.worker.service.name,
        databaseId: this.database.instance.identifier,
        workerEnvironment: this.worker.metricsEnvironment,
      },
      workerLogGroup: this.worker.logGroup.name,
    });
    this.outputs();
  }

  /** Named `<thing>_<attribute>`, each with the description `cdktf output` and the README show. */
  private outputs(): void {
    const outputs: [string, string, string][] = [
      [
        "ingest_bucket_name",
        this.ingest.bucket.name,
        "S3 bucket to upload files to; ObjectCreated of matching keys goes to the ingest queue",
      ],
      ["ingest_queue_url", this.ingest.queue.url, "SQS queue of the bucket's notifications: the worker's QUEUE_URL"],
      ["ingest_queue_arn", this.ingest.queue.arn, "ARN of the ingest queue, for alarms and redrive"],
      [
        "dead_letter_queue_url",
        this.ingest.deadLetterQueue.url,
        "Messages that failed maxReceiveCount receives; inspect and redrive from here",
      ],
      ["ecr_repository_url", this.registry.repository.repositoryUrl, "ECR repository of the worker image"],
      ["ecs_cluster_name", this.worker.cluster.name, "ECS cluster of the worker service"],
      ["ecs_service_name", this.worker.service.name, "ECS service that runs the worker tasks"],
      [
        "database_endpoint",
        this.database.instance.endpoint,
        "host:port of RDS PostgreSQL, reachable only from the worker's security group",
      ],
      [
        "database_secret_arn",
        this.database.secretArn,
        "Secrets Manager secret RDS manages for the master user (username, password)",
      ],
      [
        "worker_log_group_name",
        this.worker.logGroup.name,
        "CloudWatch Logs group of the worker (JSON lines and EMF metrics)",
      ],
      [
        "alarm_topic_arn",
        this.monitoring.topicArn,
        "SNS topic every alarm notifies on ALARM and OK (this environment's, or the central alarms.topicArn)",
      ],
      [
        "dashboard_name",
        this.monitoring.dashboard.dashboard.dashboardName,
        "CloudWatch dashboard of the pipeline, its alarms and the worker's error lines",
      ],
    ];
    for (const [id, value, description] of outputs) new TerraformOutput(this, id, { value, description });
    const image = new TerraformOutput(this, "worker_image_uri", {
      value: this.registry.imageUri,
      description: "The image the worker tasks run (a prebuilt URI is checked against this account at plan time)",
    });
    // cdktf 0.21 does not synthesize an output's `precondition` prop: write the block itself.
    const check = this.registry.imageCheck;
    if (check) image.addOverride("precondition", [{ condition: check.condition, error_message: check.errorMessage }]);
  }
}

function imageSource(config: NexusConfig, props: NexusStackProps): RegistryProps["image"] {
  return config.worker.imageUri
    ? { kind: "prebuilt", uri: config.worker.imageUri }
    : { kind: "build", ...props.imageBuild };
}
