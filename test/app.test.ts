import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BOOTSTRAP_STACK, buildApp, repoRoot } from "../stacks/app/app";
import { NexusStack } from "../stacks/app/nexus-stack";
import { RemoteStateSettings, remoteStateSettings } from "../stacks/state/remote-state";
import { resolveConfig } from "../stacks/config/config";
import { sourceHash } from "../stacks/registry/source-hash";
import { outputsTable } from "../scripts/docs/reference";
import { Synthesized, TEST_IMAGE_BUILD, TEST_STATE, synthBootstrap, synthNexus, synthesize } from "./synth";

function stackNames(app: App): string[] {
  return app.node.children.map((c) => c.node.id);
}

describe("the app", () => {
  test("builds the bootstrap stack and one stack per environment", () => {
    const app = Testing.app();
    buildApp(app, { repoRoot: repoRoot(), env: {} });
    expect(stackNames(app)).toEqual([BOOTSTRAP_STACK, "nexus-dev", "nexus-prod"]);
  });

  test("NEXUS_WORKER_IMAGE switches every environment to a prebuilt image", () => {
    const app = Testing.app();
    buildApp(app, {
      repoRoot: repoRoot(),
      environments: ["dev"],
      env: { NEXUS_WORKER_IMAGE: "123456789012.dkr.ecr.us-east-1.amazonaws.com/nexus-worker:1.0.0" },
    });
    const stack = app.node.findChild("nexus-dev") as NexusStack;
    expect(synthesize(stack).resources("docker_image")).toEqual({});
  });

  test("the build context is the repository root, written relative to wherever the stacks are synthesized", () => {
    const outdir = join(repoRoot(), ".local", "elsewhere", "cdktf.out"); // as the e2e's --output is
    mkdirSync(join(outdir, ".."), { recursive: true });
    const app = Testing.app({ outdir });
    buildApp(app, { repoRoot: repoRoot(), environments: ["dev"], env: {} });
    const build = synthesize(app.node.findChild("nexus-dev") as NexusStack).only("docker_image").build;
    expect(build.context).toBe("${path.module}/../../../../..");
  });

  test("NEXUS_IMAGE_BUILD_NETWORK sets the build's network; a value that is no network name is refused", () => {
    const app = Testing.app();
    buildApp(app, { repoRoot: repoRoot(), environments: ["dev"], env: { NEXUS_IMAGE_BUILD_NETWORK: "host" } });
    expect(synthesize(app.node.findChild("nexus-dev") as NexusStack).only("docker_image").build.network_mode).toBe(
      "host",
    );
    expect(() =>
      buildApp(Testing.app(), {
        repoRoot: repoRoot(),
        environments: ["dev"],
        env: { NEXUS_IMAGE_BUILD_NETWORK: "--privileged" },
      }),
    ).toThrow(/NEXUS_IMAGE_BUILD_NETWORK must be a Docker network name such as host or default, got "--privileged"/);
  });

  test("an unknown environment fails synth with the allowed names", () => {
    expect(() => buildApp(Testing.app(), { repoRoot: repoRoot(), environments: ["qa"], env: {} })).toThrow(
      /environment must be one of dev, prod, got "qa"/,
    );
  });

  test("every resource is tagged with project, environment and manager through provider default tags", () => {
    expect(
      Testing.synth(
        new NexusStack(Testing.app(), "nexus-prod", {
          config: resolveConfig("prod"),
          imageBuild: TEST_IMAGE_BUILD,
          state: TEST_STATE,
        }),
      ),
    ).toHaveProviderWithProperties(AwsProvider, {
      region: "us-east-1",
      default_tags: [{ tags: { Project: "nexus", Environment: "prod", ManagedBy: "cdktf" } }],
    });
  });

  test("outputs what operators and the worker need, named <thing>_<attribute>, each with a description", () => {
    for (const synth of [synthNexus("dev"), synthBootstrap()]) {
      for (const [name, output] of Object.entries(synth.json.output as Record<string, { description?: string }>)) {
        expect(name).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*_(name|url|uri|arn|endpoint)$/);
        expect(output.description?.length).toBeGreaterThan(20);
      }
    }
    expect(Object.keys(synthNexus("dev").json.output)).toEqual(
      expect.arrayContaining(["ingest_bucket_name", "ingest_queue_url", "database_endpoint", "worker_log_group_name"]),
    );
  });

  test("the README's outputs table is the one generated from the stacks", () => {
    expect(readFileSync(join(repoRoot(), "README.md"), "utf8")).toContain(outputsTable());
  });
});

describe("state backend", () => {
  const remote: RemoteStateSettings = {
    bucket: "nexus-tfstate-1-us-east-1",
    lockTable: "nexus-tfstate-locks",
    region: "us-east-1",
    locking: "dynamodb",
    encryption: "none",
  };
  const backendOf = (remoteState: RemoteStateSettings) =>
    synthesize(
      new NexusStack(Testing.app(), "nexus-dev", {
        config: resolveConfig("dev"),
        imageBuild: TEST_IMAGE_BUILD,
        state: { ...TEST_STATE, remote: remoteState },
      }),
    ).json.terraform.backend.s3;

  test("without settings, stacks keep local state outside cdktf.out, so a clean cannot delete it", () => {
    expect(synthNexus("dev").json.terraform.backend).toEqual({
      local: { path: "/repo/.state/terraform.nexus-dev.tfstate" },
    });
  });

  test("every stack requires a Terraform with S3-native locking (>= 1.10)", () => {
    for (const synth of [synthNexus("dev"), synthNexus("prod"), synthBootstrap()]) {
      expect(synth.json.terraform.required_version).toBe(">= 1.10.0, < 2.0.0");
    }
  });

  test("with settings, each stack gets its own encrypted key in the S3 backend, locked by DynamoDB", () => {
    expect(backendOf(remote)).toEqual({
      bucket: remote.bucket,
      key: "nexus/nexus-dev/terraform.tfstate",
      region: "us-east-1",
      dynamodb_table: remote.lockTable,
      encrypt: true,
    });
  });

  test("locking `lockfile` uses S3-native locking only; `both` keeps the table too (the migration path)", () => {
    const lockfile = backendOf({ ...remote, locking: "lockfile", lockTable: undefined });
    expect(lockfile.use_lockfile).toBe(true);
    expect(lockfile.dynamodb_table).toBeUndefined();
    expect(backendOf({ ...remote, locking: "both" })).toMatchObject({
      use_lockfile: true,
      dynamodb_table: remote.lockTable,
    });
  });

  test("settings come from the environment first, then cdktf.json context", () => {
    const context = { bucket: "ctx-bucket", lockTable: "ctx-locks", region: "eu-west-1" };
    expect(remoteStateSettings({}, context)).toEqual({
      ...context,
      locking: "dynamodb",
      kmsKeyArn: undefined,
      encryption: "none",
    });
    expect(remoteStateSettings({ NEXUS_STATE_BUCKET: "env-bucket" }, context)?.bucket).toBe("env-bucket");
    expect(
      remoteStateSettings({ NEXUS_STATE_LOCKING: "lockfile" }, { bucket: "state-bucket", region: "us-east-1" })
        ?.lockTable,
    ).toBeUndefined();
    expect(remoteStateSettings({}, undefined)).toBeUndefined();
  });

  test.each([
    [
      { NEXUS_STATE_BUCKET: "b" },
      /NEXUS_STATE_REGION and NEXUS_STATE_LOCK_TABLE .* got lockTable=undefined, region=undefined/,
    ],
    [
      { NEXUS_STATE_BUCKET: "b", NEXUS_STATE_REGION: "r", NEXUS_STATE_LOCKING: "none" },
      /LOCKING .* one of dynamodb, lockfile, both, got "none"/,
    ],
  ])("half-set or wrong settings are refused with the keys named: %j", (env, message) => {
    expect(() => remoteStateSettings(env, undefined)).toThrow(message);
  });

  describe("the bootstrap stack", () => {
    const synth = synthBootstrap();
    const bucket = `\${${synth.address("aws_s3_bucket", "state_bucket")}.id}`;
    const forBucket = (type: string) => Object.values(synth.resources(type)).find((r) => r.bucket === bucket)!;

    test("keeps its own state locally until the bucket exists, then in the bucket like every stack", () => {
      expect(synth.json.terraform.backend).toEqual({
        local: { path: "/repo/.state/terraform.nexus-bootstrap.tfstate" },
      });
      const migrated = synthBootstrap({ ...TEST_STATE, remote });
      expect(migrated.json.terraform.backend.s3.key).toBe("nexus/nexus-bootstrap/terraform.tfstate");
    });

    test("creates a versioned, KMS-encrypted, private, TLS-only state bucket", () => {
      expect(forBucket("aws_s3_bucket_versioning").versioning_configuration.status).toBe("Enabled");
      expect(
        forBucket("aws_s3_bucket_server_side_encryption_configuration").rule[0].apply_server_side_encryption_by_default
          .sse_algorithm,
      ).toBe("aws:kms");
      expect(forBucket("aws_s3_bucket_public_access_block")).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(Synthesized.policy(forBucket("aws_s3_bucket_policy").policy).Statement[0]).toMatchObject({
        Effect: "Deny",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    });

    test("creates an on-demand, encrypted DynamoDB lock table keyed by LockID with point-in-time recovery", () => {
      expect(synth.only("aws_dynamodb_table")).toMatchObject({
        hash_key: "LockID",
        attribute: [{ name: "LockID", type: "S" }],
        billing_mode: "PAY_PER_REQUEST",
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true },
      });
    });

    test("refuses at plan time to destroy its key, bucket or table: without them no state can be read", () => {
      expect(synth.only("aws_kms_key").lifecycle).toEqual({ prevent_destroy: true });
      expect(synth.only("aws_dynamodb_table").lifecycle).toEqual({ prevent_destroy: true });
      const buckets = Object.values(synth.resources("aws_s3_bucket"));
      expect(buckets.find((b) => b.bucket.startsWith("nexus-tfstate-$"))?.lifecycle).toEqual({ prevent_destroy: true });
      // An environment's own key is not kept: destroying an environment is a supported operation.
      expect(synthNexus("dev").only("aws_kms_key").lifecycle).toBeUndefined();
    });

    test("its key admits no AWS service beyond the account", () => {
      const statements = Synthesized.policy(synth.only("aws_kms_key").policy).Statement;
      expect(statements.map((s) => s.Sid)).toEqual(["AccountAdministersKey"]);
    });
  });
});

describe("the worker image tag", () => {
  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), "nexus-hash-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  test("is the same for the same sources, wherever they are", () => {
    const files = { Dockerfile: "FROM node", "worker/src/index.ts": "x" };
    expect(sourceHash(tree(files), ["Dockerfile", "worker"])).toBe(sourceHash(tree(files), ["Dockerfile", "worker"]));
  });

  test("changes when a source changes, not when build output or installs do", () => {
    const base = { Dockerfile: "FROM node", "worker/src/index.ts": "x" };
    const hash = sourceHash(tree(base), ["Dockerfile", "worker"]);
    expect(sourceHash(tree({ ...base, "worker/src/index.ts": "y" }), ["Dockerfile", "worker"])).not.toBe(hash);
    expect(
      sourceHash(tree({ ...base, "worker/dist/index.js": "z", "worker/node_modules/pg/index.js": "z" }), [
        "Dockerfile",
        "worker",
      ]),
    ).toBe(hash);
  });
});

describe("encryption everywhere", () => {
  test.each(["dev", "prod"])(
    "every log group, queue, bucket, database and repository of %s is encrypted with a customer key",
    (env) => {
      const synth = synthNexus(env);
      for (const group of Object.values(synth.resources("aws_cloudwatch_log_group")))
        expect(group.kms_key_id).toMatch(/aws_kms_key/);
      for (const queue of Object.values(synth.resources("aws_sqs_queue")))
        expect(queue.kms_master_key_id).toMatch(/aws_kms_key/);
      for (const sse of Object.values(synth.resources("aws_s3_bucket_server_side_encryption_configuration"))) {
        expect(["aws:kms", "AES256"]).toContain(sse.rule[0].apply_server_side_encryption_by_default.sse_algorithm);
      }
      expect(synth.only("aws_db_instance").storage_encrypted).toBe(true);
      expect(synth.only("aws_kms_key").enable_key_rotation).toBe(true);
    },
  );
});
