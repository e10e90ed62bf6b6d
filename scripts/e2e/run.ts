/**
 * `npm run e2e`: the documented path, for real, against the local emulator (TLS, IAM enforced: the
 * deploy as the named admin nexus-e2e-admin) and PostgreSQL 17: cdktf deploy of the bootstrap stack; its state moved into the bucket it created; the plan review
 * (summary + Checkov on the plan) of nexus-dev; cdktf deploy of nexus-dev on the S3 backend; the state
 * object checked; the lock held by a real Terraform process refusing a second run, for DynamoDB
 * locking and for use_lockfile; backend.tf.example used as written; the worker, configured from
 * `cdktf output`, ingesting uploads under the applied task role (task-role.ts), and that role refused
 * what it does not grant; cdktf destroy of nexus-dev; the bootstrap's destroy refused
 * at plan time, on the engine NEXUS_ENGINE names (terraform or opentofu); on OpenTofu, nexus-dev's state
 * encrypted client-side with the state key before its destroy. Every process it starts is
 * stopped and every override file it wrote removed, also on failure. Prints each phase's wall time.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ImageBuildMode, StateResource, imageMode } from "./image-build";
import { migrationEnv, runMigration } from "../local/pipeline";
import { Moto, Postgres, startMoto, startPostgres } from "../local/services";
import { planStack, scanPlan } from "../terraform/plan";
import { CommandError, PLACEHOLDER_IMAGE, run, synthCompiled, terraform } from "../terraform/run";
import { ROOT, engine, engineBinary, terraformEnv, writeCliConfig } from "../terraform/toolchain";
import { assert } from "./assert";
import { REGION, TEST_CREDENTIALS, s3Client } from "./aws";
import { holdStateLock } from "./terraform-process";
import { proveMonitoring } from "./monitoring";
import { proveRefusals, proveTaskRole, taskRoleCredentials } from "./task-role";
import { stateKey } from "../../stacks/state/remote-state";

const WORK = join(ROOT, ".local", "e2e");
const OUT = join(WORK, "cdktf.out");
const stackDir = (stack: string, out = OUT) => join(out, "stacks", stack);
const phases: [string, number][] = [];
/** Resource types whose second-plan drift docs/emulator.md explains (moto read-back gaps). */
const KNOWN_DRIFT = [
  "aws_db_instance",
  "aws_db_parameter_group",
  "aws_ecs_service",
  "aws_sqs_queue",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
];
const cleanups: (() => Promise<unknown> | unknown)[] = [];

function log(message: string): void {
  console.log(`e2e: ${message}`);
}

async function phase<T>(name: string, body: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  log(`${name} ...`);
  const result = await body();
  const seconds = (performance.now() - started) / 1000;
  phases.push([name, seconds]);
  log(`${name}: done in ${seconds.toFixed(1)} s`);
  return result;
}

/**
 * NEXUS_CLI: the CLI every deploy, migrate, synth and destroy of the e2e goes through: cdktf-cli (the
 * default) or cdktn-cli, CDK Terrain's, installed into compat/cdktn by npm run setup. Both read the
 * same cdktf.json and run the same app.
 */
const CLIS = {
  cdktf: join(ROOT, "node_modules", ".bin", "cdktf"),
  cdktn: join(ROOT, "compat", "cdktn", "node_modules", ".bin", "cdktn"),
};
function cliName(): keyof typeof CLIS {
  const name = process.env.NEXUS_CLI ?? "cdktf";
  if (!(name in CLIS))
    throw new Error(`NEXUS_CLI must be one of ${Object.keys(CLIS).join(", ")}, got ${JSON.stringify(name)}`);
  return name as keyof typeof CLIS;
}

/** The CLI with the project's Terraform CLI config; offline, provider locking would ask the registry. */
function cdktf(args: string[], env: NodeJS.ProcessEnv): string {
  const bin = CLIS[cliName()];
  if (!existsSync(bin)) throw new Error(`${bin} is not installed: run npm run setup`);
  return run(bin, [...args, "--output", OUT], { cwd: ROOT, env: terraformEnv({ ...env, CI: "1" }) });
}

/** Resources in a stack's state against resources in its configuration. */
function applied(stack: string, env: NodeJS.ProcessEnv): string {
  const inState = terraform(stackDir(stack), ["state", "list"], env)
    .split("\n")
    .filter((l) => l && !l.startsWith("data."));
  const config = JSON.parse(readFileSync(join(stackDir(stack), "cdk.tf.json"), "utf8")).resource ?? {};
  const total = Object.values(config as Record<string, object>).reduce((n, byId) => n + Object.keys(byId).length, 0);
  assert(inState.length === total, `${stack}: ${inState.length} of ${total} resources in state`);
  return `${inState.length}/${total}`;
}

function outputsOf(file: string, stack: string): Record<string, string> {
  return JSON.parse(readFileSync(file, "utf8"))[stack];
}

function expectRefused(what: string, body: () => unknown, pattern: RegExp): string {
  try {
    body();
  } catch (err) {
    // Terraform wraps diagnostics in a box (│) at the terminal width: match on the unwrapped text.
    const text = err instanceof CommandError ? err.output.replace(/\s*│\s*/g, " ").replace(/\s+/g, " ") : "";
    if (pattern.test(text)) return pattern.exec(text)![0];
    throw err;
  }
  throw new Error(`${what} was not refused`);
}

/** A second Terraform run is refused while a real apply, waiting at its prompt, holds the lock. */
async function proveLocking(dir: string, env: NodeJS.ProcessEnv, duringHold: () => Promise<void> = async () => {}) {
  const held = await holdStateLock(dir, env);
  try {
    await duringHold();
    return expectRefused(
      "a second plan",
      () => terraform(dir, ["plan", "-input=false", "-lock-timeout=0s"], env),
      /Error acquiring the state lock/,
    );
  } finally {
    await held.release();
  }
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  rmSync(join(ROOT, ".local", "state"), { recursive: true, force: true }); // the emulator's state only
  mkdirSync(WORK, { recursive: true });
  writeCliConfig();
  const mode = imageMode();
  log(`engine: ${engineVersion()} (NEXUS_ENGINE=${engine()}); CLI: ${cliVersion()} (NEXUS_CLI=${cliName()})`);
  log(`worker image: ${mode} (NEXUS_E2E_IMAGE=${mode})`);
  const requests = join(WORK, "emulator-requests.jsonl");
  const [moto, pg]: [Moto, Postgres] = await phase("start the emulator (TLS) and PostgreSQL 17", async () => {
    // Each is registered for clean-up as soon as it is up: when the other fails to start, this one
    // is still stopped (a PostgreSQL left running kept a failed e2e's process alive).
    const started = await Promise.all([
      // IAM enforced from the first request: Terraform and the e2e's clients sign as the named admin.
      startMoto({ requestLog: requests, registry: mode === "build", enforceIam: true }).then((m) => {
        cleanups.push(() => m.stop());
        return m;
      }),
      startPostgres().then((p) => {
        cleanups.push(() => p.destroy());
        return p;
      }),
    ]);
    return started;
  });
  const s3 = s3Client(moto.endpoint, moto.ca!);
  const images =
    mode === "build"
      ? await phase("start the Docker engine; the base image", async () => {
          const started = await ImageBuildMode.start(moto, WORK, log);
          cleanups.push(() => started.stop());
          return started;
        })
      : undefined;
  const local: NodeJS.ProcessEnv = {
    NEXUS_LOCAL_ENDPOINT: moto.endpoint,
    NEXUS_LOCAL_CA_BUNDLE: moto.ca!,
    NEXUS_ENVIRONMENTS: "dev",
    // Build mode: no image URI, so the deploy builds and pushes the Dockerfile.
    ...(images ? images.env() : { NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE }),
  };
  const deployFlags = ["--auto-approve", "--skip-provider-lock"];

  // 1. Bootstrap with local state, then move that state into the bucket it created.
  const bootstrapOutputs = join(WORK, "bootstrap-outputs.json");
  await phase(`${cliName()} deploy nexus-bootstrap (local state)`, () => {
    cdktf(["deploy", "nexus-bootstrap", ...deployFlags, "--outputs-file", bootstrapOutputs], local);
    log(`nexus-bootstrap: ${applied("nexus-bootstrap", local)} resources applied`);
  });
  const boot = outputsOf(bootstrapOutputs, "nexus-bootstrap");
  const remote = {
    ...local,
    NEXUS_STATE_BUCKET: boot.state_bucket_name,
    NEXUS_STATE_LOCK_TABLE: boot.lock_table_name,
    NEXUS_STATE_REGION: REGION,
    NEXUS_STATE_KMS_KEY_ARN: boot.state_kms_key_arn,
  };
  const stateObject = async (stack: string) => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: boot.state_bucket_name, Key: stateKey(stack) }));
    assert(head.ServerSideEncryption === "aws:kms", `${stack} state is SSE-KMS (got ${head.ServerSideEncryption})`);
    assert(head.SSEKMSKeyId === boot.state_kms_key_arn, `${stack} state is encrypted with the state key`);
    return `s3://${boot.state_bucket_name}/${stateKey(stack)}, SSE-KMS with the state key`;
  };
  await phase("move the bootstrap state into its bucket", async () => {
    cdktf(["deploy", "nexus-bootstrap", ...deployFlags, "--migrate-state"], remote);
    log(`nexus-bootstrap state: ${await stateObject("nexus-bootstrap")}`);
    const plan = terraform(stackDir("nexus-bootstrap"), ["plan", "-input=false", "-detailed-exitcode"], remote);
    assert(/No changes/.test(plan), "the migrated bootstrap state matches its configuration");
    rmSync(join(ROOT, ".local", "state", "terraform.nexus-bootstrap.tfstate"), { force: true });
  });

  // 2. The pull-request view of nexus-dev, before it exists.
  await phase("plan review of nexus-dev (summary + Checkov on the plan)", () => {
    cdktf(["synth"], remote);
    const { summary, planJson } = planStack(stackDir("nexus-dev"), "nexus-dev", remote);
    writeFileSync(join(WORK, "plan-nexus-dev.md"), summary);
    console.log(summary);
    const { verdict, lines } = scanPlan("nexus-dev", planJson);
    lines.forEach(log);
    assert(verdict.failed.length === 0 && verdict.stale.length === 0, "the plan passes the Checkov gate");
  });

  await phase("a prebuilt image from another account is refused at plan time", () => {
    const out = join(WORK, "foreign-image.out");
    const env = { ...local, NEXUS_WORKER_IMAGE: "999999999999.dkr.ecr.us-east-1.amazonaws.com/other/worker:v1" };
    synthCompiled(out, env);
    terraform(stackDir("nexus-dev", out), ["init", "-input=false"], env);
    const refusal = expectRefused(
      "a plan with another account's image",
      () => terraform(stackDir("nexus-dev", out), ["plan", "-input=false", "-lock=false"], env),
      /worker\.imageUri names account 999999999999, not the account this stack deploys to/,
    );
    log(`plan refused: ${refusal}`);
  });

  // 3. nexus-dev on the S3 backend, locked in DynamoDB.
  const devOutputs = join(WORK, "dev-outputs.json");
  await phase(`${cliName()} deploy nexus-dev (S3 backend, DynamoDB lock)`, async () => {
    cdktf(["deploy", "nexus-dev", ...deployFlags, "--outputs-file", devOutputs], remote);
    log(`nexus-dev: ${applied("nexus-dev", remote)} resources applied`);
    log(`nexus-dev state: ${await stateObject("nexus-dev")}`);
  });
  const resources = () => stateResources(remote);
  if (images) {
    await phase("the image pushed is this tree's, at the digest the task definition runs", async () =>
      log(await images.provePushed(resources())),
    );
  }

  await phase("alarms and dashboard read back; the DLQ alarm notifies through the topic", async () => {
    const state = resources();
    const applied = (type: string) => state.filter((r) => r.type === type).map((r) => r.values);
    await proveMonitoring(moto.endpoint, moto.ca!, applied, log);
  });

  await phase("second plan after apply (drift the emulator shows)", () => {
    const plan = terraform(stackDir("nexus-dev"), ["plan", "-input=false", "-lock-timeout=60s"], remote);
    log(plan.split("\n").find((l) => /^Plan:|No changes/.test(l)) ?? "no plan line");
    const drifting = [...plan.matchAll(/# (\S+) will be updated in-place/g)].map((m) => m[1]);
    const unexplained = drifting.filter((address) => !KNOWN_DRIFT.some((type) => address.startsWith(`${type}.`)));
    log(`updated in place: ${drifting.join(", ") || "none"}`);
    assert(unexplained.length === 0, `drift docs/emulator.md does not explain: ${unexplained.join(", ")}`);
    assert(!/must be replaced|will be destroyed|will be created/.test(plan), "the second plan replaces nothing");
    if (images) {
      // What a second deploy of the unchanged tree would apply: nothing to build, nothing to push.
      const docker = [...plan.matchAll(/# (docker_\S+) (will|must)/g)].map((m) => m[1]);
      assert(docker.length === 0, `the unchanged tree changes no image resource (got ${docker.join(", ")})`);
      log("unchanged tree: no docker_image or docker_registry_image change in the plan: nothing built or pushed");
    }
  });

  await phase("locking: DynamoDB", async () =>
    log(`second run refused: ${await proveLocking(stackDir("nexus-dev"), remote)}`),
  );

  await phase("locking: use_lockfile", async () => {
    const out = join(WORK, "lockfile.out");
    const env = { ...remote, NEXUS_STATE_LOCKING: "lockfile" };
    synthCompiled(out, env);
    const dir = stackDir("nexus-dev", out);
    terraform(dir, ["init", "-input=false"], env);
    const lockObject = async () => {
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: boot.state_bucket_name, Key: `${stateKey("nexus-dev")}.tflock` }),
      );
      assert(head.ContentLength! > 0, "the .tflock object holds the lock info");
      log("while held: s3://<state bucket>/nexus/nexus-dev/terraform.tfstate.tflock exists");
    };
    log(`second run refused: ${await proveLocking(dir, env, lockObject)}`);
  });

  await phase("backend.tf.example, as written", () => {
    const out = join(WORK, "override.out");
    synthCompiled(out, local);
    const dir = stackDir("nexus-dev", out);
    const override = join(dir, "backend_override.tf");
    cleanups.push(() => rmSync(override, { force: true }));
    const filled = readFileSync(join(ROOT, "backend.tf.example"), "utf8")
      .replace("<state_bucket_name output>", boot.state_bucket_name)
      .replace("<region>", REGION)
      .replace("<state_kms_key_arn output>", boot.state_kms_key_arn)
      .replace("<lock_table_name output>", boot.lock_table_name);
    writeFileSync(override, filled);
    // How to reach the emulator, as a partial backend configuration: the example itself is unchanged.
    const emulator = join(WORK, "emulator.s3.tfbackend");
    const e = moto.endpoint;
    writeFileSync(
      emulator,
      [
        `endpoints = { s3 = "${e}", dynamodb = "${e}", iam = "${e}", sts = "${e}" }`,
        `custom_ca_bundle = "${moto.ca}"`,
        `use_path_style = true`,
        `skip_credentials_validation = true`,
        `access_key = "${TEST_CREDENTIALS.accessKeyId}"`,
        `secret_key = "${TEST_CREDENTIALS.secretAccessKey}"`,
        "",
      ].join("\n"),
    );
    terraform(dir, ["init", "-input=false", `-backend-config=${emulator}`], local);
    const plan = terraform(dir, ["plan", "-input=false", "-lock-timeout=60s"], local);
    assert(
      /Plan: 0 to add|No changes/.test(plan),
      "the override points at nexus-dev's existing state, not an empty one",
    );
    log(`terraform init with backend_override.tf: ok; ${plan.split("\n").find((l) => /^Plan:|No changes/.test(l))}`);
    rmSync(override);
  });

  if (images) {
    await phase("the pushed image runs the task definition: migration, then the worker", async () => {
      const bucket = outputsOf(devOutputs, "nexus-dev").ingest_bucket_name;
      // The worker container under the task role, with its credentials from the ECS stand-in.
      log(await images.runTask(resources(), pg, s3, bucket, requests, taskRoleCredentials(moto, resources()).env));
    });
  } else {
    await phase("the worker under its applied task role: ingests, rejects, skips a redelivery", async () => {
      // As the task definition does: the migration as the master user, then the worker as nexus_worker.
      log(lastLine(await runMigration(migrationEnv(pg))));
      const lines = await proveTaskRole({
        moto,
        pg,
        s3,
        resources: resources(),
        outputs: outputsOf(devOutputs, "nexus-dev"),
        otherObject: { bucket: boot.state_bucket_name, key: stateKey("nexus-dev") },
        work: WORK,
        log,
      });
      lines.forEach(log);
    });
  }
  await phase("calls outside the task role are refused, each with its AWS error code", async () => {
    const outputs = outputsOf(devOutputs, "nexus-dev");
    const otherObject = { bucket: boot.state_bucket_name, key: stateKey("nexus-dev") };
    (await proveRefusals({ moto, resources: resources(), outputs, otherObject, log })).forEach(log);
  });

  if (images) {
    const deploy = () => cdktf(["deploy", "nexus-dev", ...deployFlags, "--outputs-file", devOutputs], remote);
    await phase("a build that fails fails the deploy with its error; nothing pushed, the task definition kept", () =>
      images.proveFailedBuild(deploy, stackDir("nexus-dev"), resources),
    );
    await phase("a change under worker/: a new tag and a new task definition revision", async () =>
      log(await images.proveChange(deploy, resources)),
    );
  }

  // OpenTofu only (Terraform refuses the block): from here on, nexus-dev's state is encrypted.
  let last: NodeJS.ProcessEnv = remote;
  if (engine() === "opentofu") {
    const withKey = { ...remote, AWS_ENDPOINT_URL_KMS: moto.endpoint }; // the key provider's KMS
    last = { ...withKey, NEXUS_STATE_ENCRYPTION: "kms" };
    await phase("state encryption: migrate, ciphertext in the bucket, plan with and without the key", async () => {
      const migrate = { ...withKey, NEXUS_STATE_ENCRYPTION: "kms-migrate" };
      const migrateOut = join(WORK, "encrypt-migrate.out");
      const migrateDir = stackDir("nexus-dev", migrateOut);
      synthCompiled(migrateOut, migrate);
      terraform(migrateDir, ["init", "-input=false"], migrate);
      terraform(migrateDir, ["apply", "-refresh-only", "-auto-approve", "-input=false", "-lock-timeout=60s"], migrate);
      log(
        `nexus-dev state: ${await stateIsCiphertext(s3, boot.state_bucket_name, outputsOf(devOutputs, "nexus-dev"))}`,
      );
      const enforcedOut = join(WORK, "encrypt.out");
      const enforcedDir = stackDir("nexus-dev", enforcedOut);
      synthCompiled(enforcedOut, last);
      terraform(enforcedDir, ["init", "-input=false"], last);
      const plan = terraform(enforcedDir, ["plan", "-input=false", "-lock-timeout=60s"], last);
      log(`plan with the key: ${plan.split("\n").find((l) => /^Plan:|No changes/.test(l))}`);
      assert(!/must be replaced|will be destroyed|will be created/.test(plan), "the encrypted state is the same state");
      const refusal = expectRefused(
        "a plan without the encryption configuration",
        () => terraform(stackDir("nexus-dev"), ["plan", "-input=false", "-lock-timeout=60s"], remote),
        /This state file is encrypted and can not be read without an encryption configuration/,
      );
      log(`plan without it refused: ${refusal}`);
    });
  }

  await phase(`${cliName()} destroy nexus-dev`, () => {
    cdktf(["destroy", "nexus-dev", ...deployFlags], last);
    const left = terraform(stackDir("nexus-dev"), ["state", "list"], last).trim();
    assert(left.split("\n").filter((l) => l && !l.startsWith("data.")).length === 0, `nothing left in state: ${left}`);
  });

  await phase("destroying the bootstrap is refused at plan time", async () => {
    const refusal = expectRefused(
      "a destroy plan of nexus-bootstrap",
      () => terraform(stackDir("nexus-bootstrap"), ["plan", "-destroy", "-input=false", "-lock-timeout=60s"], remote),
      /[Ii]nstance cannot be destroyed/, // Terraform: "Instance ...", OpenTofu: "Resource instance ..."
    );
    await s3.send(new HeadBucketCommand({ Bucket: boot.state_bucket_name }));
    log(`${refusal} (prevent_destroy); the state bucket is untouched`);
  });
}

/** The resources of nexus-dev's state, as `terraform show -json` gives them. */
function stateResources(env: NodeJS.ProcessEnv): StateResource[] {
  const shown = terraform(stackDir("nexus-dev"), ["show", "-json"], env);
  const state = JSON.parse(shown.split("\n").find((line) => line.startsWith("{"))!);
  return state.values.root_module.resources as StateResource[];
}

/**
 * The state object as OpenTofu's encryption writes it: serial and lineage in the clear, the state itself
 * in `encrypted_data`, the data key wrapped by KMS in `meta`; no resource and no applied name readable.
 */
async function stateIsCiphertext(s3: S3Client, bucket: string, outputs: Record<string, string>): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: stateKey("nexus-dev") }));
  const text = await object.Body!.transformToString();
  const state = JSON.parse(text) as Record<string, unknown>;
  assert(typeof state.encrypted_data === "string", "the state object holds encrypted_data");
  assert(!("resources" in state) && !("outputs" in state), "no resources or outputs in the clear");
  const wrapped = (state.meta as Record<string, string> | undefined)?.["key_provider.aws_kms.state"];
  assert(wrapped, "the KMS-wrapped data key is in meta");
  for (const name of [outputs.ingest_bucket_name, outputs.ingest_queue_url]) {
    assert(!text.includes(name), `${name} is not readable in the state object`);
  }
  assert(object.ServerSideEncryption === "aws:kms", "and the object is still SSE-KMS");
  return `${text.length} bytes: ${Object.keys(state).join(", ")}; no applied name readable; SSE-KMS too`;
}

type LoggedRequest = {
  call: string;
  status: number;
  error: string | null;
  invocation: string | null;
  attempt: number | null;
};

function requestLog(): LoggedRequest[] {
  const file = join(WORK, "emulator-requests.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LoggedRequest);
}

/** Invocations an SDK sent again (attempt > 1) although the emulator had answered an attempt 2xx. */
function retriedAfterSuccess(entries: LoggedRequest[]): Set<string | null> {
  const answered = new Set(entries.filter((e) => e.status < 300).map((e) => e.invocation));
  return new Set(entries.filter((e) => (e.attempt ?? 1) > 1 && answered.has(e.invocation)).map((e) => e.invocation));
}

/**
 * On failure: the emulator's requests that answered 5xx, and every call an SDK retried (same
 * amz-sdk-invocation-id, attempt > 1) with what each of its attempts got. A flake leaves its evidence.
 */
function printRequestEvidence(): void {
  const entries = requestLog();
  if (entries.length === 0) return;
  const retried = new Set(entries.filter((e) => (e.attempt ?? 1) > 1).map((e) => e.invocation));
  const evidence = entries.filter((e) => e.status >= 500 || retried.has(e.invocation));
  console.error(`e2e: ${entries.length} emulator requests; 5xx or retried (${join(WORK, "emulator-requests.jsonl")}):`);
  for (const e of evidence) console.error(`e2e:   ${JSON.stringify(e)}`);
}

/** On success too: a call sent again after it was answered is how a rule got applied twice (issue 17). */
function printRetriedAfterSuccess(): void {
  const entries = requestLog();
  const retried = retriedAfterSuccess(entries);
  console.log(`e2e: ${entries.length} emulator requests, ${retried.size} sent again by an SDK after a 2xx answer`);
  for (const e of entries.filter((e) => retried.has(e.invocation))) console.log(`e2e:   ${JSON.stringify(e)}`);
}

/** `Terraform v1.11.4` or `OpenTofu v1.12.6`: the first line of the engine's own version. */
const engineVersion = () => run(engineBinary(), ["version"], { env: terraformEnv() }).split("\n")[0];
const cliVersion = () => `${cliName()}-cli ${run(CLIS[cliName()], ["--version"], { env: terraformEnv() }).trim()}`;

const lastLine = (output: string) => output.trim().split("\n").pop() ?? "";

async function cleanUp(): Promise<void> {
  for (const file of ["e2e-broken.ts", "e2e-change.ts"]) rmSync(join(ROOT, "worker", "src", file), { force: true });
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  cleanups.length = 0;
  for (const out of [OUT, join(WORK, "lockfile.out"), join(WORK, "override.out")]) {
    if (existsSync(join(out, "stacks")))
      rmSync(join(out, "stacks", "nexus-dev", "backend_override.tf"), { force: true });
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanUp().then(() => process.exit(130)));
}

main()
  .then(() => {
    console.log(
      `\ne2e: PASSED on ${engineVersion()} with ${cliVersion()}\n\n| phase (${engine()}, ${cliName()}) | wall time |\n| --- | --- |`,
    );
    for (const [name, seconds] of phases) console.log(`| ${name} | ${seconds.toFixed(1)} s |`);
    printRetriedAfterSuccess();
  })
  .catch((err) => {
    console.error(`e2e: FAILED: ${err instanceof Error ? err.message : err}`);
    printRequestEvidence();
    process.exitCode = 1;
  })
  .finally(cleanUp);
