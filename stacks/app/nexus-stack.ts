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

export interface NexusStackProps {
  readonly config: NexusConfig;
  /** Where its state lives (and whether the local emulator is the target). */
  readonly state: StateBackendChoice;
  /** How the worker image is produced when `config.worker.imageUri` is unset. */
  readonly imageBuild: { readonly sourceHash: string; readonly contextDir: string };
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

  constructor(scope: Construct, id: string, props: NexusStackProps) {
    super(scope, id, { region: props.config.region, tags: defaultTags(props.config), state: props.state });
    const { config } = props;
    const name = namePrefix(config);

    const aws = new AwsContext(this, "aws-context", config.region);
    const dataKey = new DataKey(this, "data-key", { aws, name });

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
    });
    this.outputs();
  }

  private outputs(): void {
    const outputs: Record<string, string> = {
      ingest_bucket: this.ingest.bucket.name,
      queue_url: this.ingest.queue.url,
      queue_arn: this.ingest.queue.arn,
      dead_letter_queue_url: this.ingest.deadLetterQueue.url,
      ecr_repository_url: this.registry.repository.repositoryUrl,
      ecs_cluster: this.worker.cluster.name,
      ecs_service: this.worker.service.name,
      db_endpoint: this.database.instance.endpoint,
      db_secret_arn: this.database.secretArn,
      worker_log_group: this.worker.logGroup.name,
    };
    for (const [id, value] of Object.entries(outputs)) new TerraformOutput(this, id, { value });
  }
}

function imageSource(config: NexusConfig, props: NexusStackProps): RegistryProps["image"] {
  return config.worker.imageUri
    ? { kind: "prebuilt", uri: config.worker.imageUri }
    : { kind: "build", ...props.imageBuild };
}
