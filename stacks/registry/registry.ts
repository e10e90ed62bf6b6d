import { Construct } from "constructs";
import { Precondition, TerraformStack } from "cdktf";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { DataAwsEcrAuthorizationToken } from "@cdktf/provider-aws/lib/data-aws-ecr-authorization-token";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Image } from "@cdktf/provider-docker/lib/image";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image";
import { DataKey } from "../encryption/data-key";
import { AwsContext } from "../shared/aws-context";
import { parseEcrImage } from "./image-uri";
import { PolicyStatement } from "../shared/iam";
import { DOCKER_PROVIDER } from "./docker-provider";

export interface RegistryProps {
  readonly aws: AwsContext;
  readonly name: string;
  readonly dataKey: DataKey;
  /** Images kept by the lifecycle policy; older ones expire. */
  readonly keepImages: number;
  readonly forceDelete: boolean;
  /**
   * How the worker image gets there. `build`: Terraform builds `Dockerfile` (with the Docker
   * provider) and pushes it, tagged by `sourceHash`. `prebuilt`: use `uri` as it is.
   */
  readonly image:
    | {
        readonly kind: "build";
        readonly sourceHash: string;
        /** The build context (the repository root), relative to the stack's synthesized folder. */
        readonly contextDir: string;
        /**
         * The network the build's RUN steps use (`npm ci` needs the npm registry): the engine's default
         * when unset; `host` where the engine runs without a bridge (the local e2e).
         */
        readonly network?: string;
      }
    | { readonly kind: "prebuilt"; readonly uri: string };
}

/** ECR repository for the worker (immutable tags, scan on push, KMS) and the image the service runs. */
export class Registry extends Construct {
  readonly repository: EcrRepository;
  /** The image reference the task definition runs. */
  readonly imageUri: string;
  /** The repository the execution role pulls from: this one, or the one a prebuilt URI names. */
  readonly pullRepositoryArn: string;
  /**
   * A plan-time check of the image (a Terraform `precondition`): a prebuilt URI must name this
   * stack's account, known only once Terraform reads the caller identity.
   */
  readonly imageCheck?: Precondition;

  constructor(scope: Construct, id: string, props: RegistryProps) {
    super(scope, id);
    this.repository = new EcrRepository(this, "repository", {
      name: `${props.name}-worker`,
      imageTagMutability: "IMMUTABLE", // a tag always means the same bytes: deploys are reproducible
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: props.dataKey.arn }],
      forceDelete: props.forceDelete,
    });
    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the last ${props.keepImages} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: props.keepImages },
            action: { type: "expire" },
          },
        ],
      }),
    });
    if (props.image.kind === "build") {
      this.imageUri = this.buildAndPush(props.image);
      this.pullRepositoryArn = this.repository.arn;
      return;
    }
    // The URI's shape and region were checked with the config; its account can be checked only here.
    const image = parseEcrImage(props.image.uri)!;
    const { aws } = props;
    this.imageUri = props.image.uri;
    this.pullRepositoryArn = `arn:${aws.partition}:ecr:${image.region}:${image.account}:repository/${image.repository}`;
    this.imageCheck = {
      condition: `\${"${image.account}" == ${aws.accountIdExpression}}`,
      errorMessage:
        `worker.imageUri names account ${image.account}, not the account this stack deploys to: a pull from ` +
        "another account needs a repository policy there, which Nexus does not manage; push the image to this account's ECR.",
    };
  }

  /** ecr:GetAuthorizationToken, which every image pull starts with. */
  grantAuthorizationToken(): PolicyStatement {
    return {
      Sid: "EcrAuthorizationToken",
      Effect: "Allow",
      Action: ["ecr:GetAuthorizationToken"],
      // AWS requires "*": GetAuthorizationToken is account-wide and has no resource ARN.
      Resource: ["*"],
    };
  }

  /** ECR pull on exactly the repository the worker image lives in, for the task execution role. */
  grantPull(): PolicyStatement {
    return {
      Sid: "PullWorkerImage",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
      Resource: [this.pullRepositoryArn],
    };
  }

  private buildAndPush(build: { sourceHash: string; contextDir: string; network?: string }): string {
    TerraformStack.of(this).addOverride("terraform.required_providers.docker.version", DOCKER_PROVIDER.version);
    const token = new DataAwsEcrAuthorizationToken(this, "ecr-token", { registryId: this.repository.registryId });
    const docker = new DockerProvider(this, "docker", {
      registryAuth: [{ address: token.proxyEndpoint, username: token.userName, password: token.password }],
    });
    const tagged = `${this.repository.repositoryUrl}:${build.sourceHash}`;
    const image = new Image(this, "worker-image", {
      provider: docker,
      name: tagged,
      buildAttribute: {
        context: `\${path.module}/${build.contextDir}`,
        dockerfile: "Dockerfile",
        // Fargate runs linux/amd64 (the task definition's runtime platform), whatever the host is.
        platform: "linux/amd64",
        // The build's own output, kept beside the stack: a failed RUN step's compiler errors are there.
        buildLogFile: "${path.module}/worker-image-build.log",
        ...(build.network ? { networkMode: build.network } : {}),
      },
      triggers: { source_hash: build.sourceHash },
      keepLocally: true,
    });
    const pushed = new RegistryImage(this, "worker-image-push", {
      provider: docker,
      name: image.name,
      // Old tags stay for rollback; the lifecycle policy expires them.
      keepRemotely: true,
      triggers: { source_hash: build.sourceHash },
    });
    return `${this.repository.repositoryUrl}@${pushed.sha256Digest}`;
  }
}
