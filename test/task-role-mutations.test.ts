/**
 * The e2e's task-role phase bites (issue 28): its two checks (scripts/e2e/task-role.ts) run here on
 * their own emulator with IAM enforced and PostgreSQL 17, under a role carrying the task role's policy
 * as the stack synthesizes it, its references resolved to this test's bucket, queue and key. As
 * synthesized, both pass; without sqs:ChangeMessageVisibility the worker fails with AccessDenied and
 * so does the phase; with s3:PutObject added, the refusal check fails.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { Moto, Postgres, startMoto, startPostgres } from "../scripts/local/services";
import { migrationEnv, provisionPipeline, runMigration } from "../scripts/local/pipeline";
import { emulatorClientConfig } from "../scripts/e2e/aws";
import { TaskRoleRun, proveRefusals, proveTaskRole } from "../scripts/e2e/task-role";
import { Block, Synthesized, synthNexus } from "./synth";

// The emulator, PostgreSQL and a worker per variant: longer than jest's 5 s, as in the worker's files.
jest.setTimeout(120000);

const ACCOUNT = "123456789012";
let moto: Moto;
let pg: Postgres;
let shared: { keyArn: string; secretArn: string; otherObject: { bucket: string; key: string } };
let variants = 0;
/** Every SDK client the file makes, destroyed at the end (their keep-alive sockets would hold jest). */
const clients: { destroy(): void }[] = [];
const made = <T extends { destroy(): void }>(client: T): T => {
  clients.push(client);
  return client;
};

beforeAll(async () => {
  [moto, pg] = await Promise.all([startMoto({ plainHttp: true, enforceIam: true }), startPostgres()]);
  await runMigration(migrationEnv(pg));
  const config = emulatorClientConfig(moto.endpoint, undefined);
  const keyArn = (await made(new KMSClient(config)).send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  const secretArn = (
    await made(new SecretsManagerClient(config)).send(new CreateSecretCommand({ Name: "master", SecretString: "{}" }))
  ).ARN!;
  const pipeline = await provisionPipeline(moto.endpoint, { name: "other" });
  [pipeline.s3, pipeline.sqs].forEach(made);
  await pipeline.s3.send(new CreateBucketCommand({ Bucket: "another-bucket" }));
  await pipeline.s3.send(new PutObjectCommand({ Bucket: "another-bucket", Key: "secret.txt", Body: "not yours" }));
  shared = { keyArn, secretArn, otherObject: { bucket: "another-bucket", key: "secret.txt" } };
});

afterAll(async () => {
  clients.forEach((client) => client.destroy());
  await Promise.all([moto?.stop(), pg?.destroy()]);
});

beforeEach(async () => {
  await pg.query("TRUNCATE documents, rejected_objects");
});

/** The synthesized task role: its trust policy and its policy document, references unresolved. */
function synthesizedTaskRole(stack: Synthesized): { trust: string; policy: string } {
  const role = stack.named("aws_iam_role", "worker_task-role");
  const policy = stack.named("aws_iam_role_policy", "worker_task-role-policy");
  return { trust: role.assume_role_policy, policy: policy.policy };
}

/** Each `${...}` reference of the synthesized document, as this test's resources answer it; any other fails. */
function resolve(text: string, values: [RegExp, string][]): string {
  return text.replace(/\$\{([^}]+)\}/g, (_, reference: string) => {
    const found = values.find(([pattern]) => pattern.test(reference));
    if (!found) throw new Error(`no local value for \${${reference}}`);
    return found[1];
  });
}

/** A pipeline and a registered task definition whose task role carries the policy `mutate` returns. */
async function variant(mutate: (document: { Statement: Block[] }) => void): Promise<TaskRoleRun> {
  const name = `mutation-${++variants}`;
  const pipeline = await provisionPipeline(moto.endpoint, { name, visibilityTimeoutSeconds: 30 });
  [pipeline.s3, pipeline.sqs].forEach(made);
  const queueArn = (
    await pipeline.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: pipeline.queueUrl, AttributeNames: ["QueueArn"] }),
    )
  ).Attributes!.QueueArn!;
  const values: [RegExp, string][] = [
    [/^aws_s3_bucket\.ingest_bucket_\w+\.arn$/, `arn:aws:s3:::${pipeline.bucket}`],
    [/^aws_sqs_queue\.ingest_queue_\w+\.arn$/, queueArn],
    [/^aws_kms_key\.data-key_\w+\.arn$/, shared.keyArn],
    [/^aws_db_instance\.database_instance_\w+\.resource_id$/, "db-LOCALPOSTGRES"],
    [/^data\.aws_partition\.[\w-]+\.partition$/, "aws"],
    [/^data\.aws_caller_identity\.[\w-]+\.account_id$/, ACCOUNT],
  ];
  const { trust, policy } = synthesizedTaskRole(synthNexus("dev"));
  const document = JSON.parse(resolve(policy, values));
  mutate(document);
  const config = emulatorClientConfig(moto.endpoint, undefined);
  const iam = made(new IAMClient(config));
  const roleArn = (
    await iam.send(
      new CreateRoleCommand({ RoleName: `${name}-task`, AssumeRolePolicyDocument: resolve(trust, values) }),
    )
  ).Role!.Arn!;
  await iam.send(
    new PutRolePolicyCommand({ RoleName: `${name}-task`, PolicyName: name, PolicyDocument: JSON.stringify(document) }),
  );
  const registered = await made(new ECSClient(config)).send(
    new RegisterTaskDefinitionCommand({
      family: name,
      taskRoleArn: roleArn,
      containerDefinitions: [{ name: "worker", image: "worker:test", memory: 512 }],
    }),
  );
  const taskDefinition = registered.taskDefinition!;
  return {
    moto,
    pg,
    s3: pipeline.s3,
    resources: [
      { type: "aws_ecs_task_definition", values: { arn: taskDefinition.taskDefinitionArn, task_role_arn: roleArn } },
      { type: "aws_kms_key", values: { arn: shared.keyArn } },
    ],
    outputs: {
      ingest_bucket_name: pipeline.bucket,
      ingest_queue_url: pipeline.queueUrl,
      dead_letter_queue_url: pipeline.dlqUrl,
      database_secret_arn: shared.secretArn,
    },
    otherObject: shared.otherObject,
    work: mkdtempSync(join(tmpdir(), `${name}-`)),
    log: () => undefined,
  };
}

const statement = (document: { Statement: Block[] }, sid: string) => document.Statement.find((s) => s.Sid === sid)!;

test("as synthesized: the worker ingests under the role, and every call outside it is refused", async () => {
  const run = await variant(() => undefined);
  await expect(proveTaskRole(run)).resolves.toEqual([expect.stringMatching(/^worker log: no refusal in \d+ lines$/)]);
  await expect(proveRefusals(run)).resolves.toHaveLength(7);
});

test("without sqs:ChangeMessageVisibility: the phase fails with the worker's AccessDenied", async () => {
  const run = await variant((document) => {
    const consume = statement(document, "ConsumeIngestQueue");
    consume.Action = consume.Action.filter((a: string) => a !== "sqs:ChangeMessageVisibility");
  });
  await expect(proveTaskRole(run)).rejects.toThrow(
    /the worker under the task role exited with 1: .*"msg":"worker failed".*"name":"AccessDenied"/,
  );
});

test("with s3:PutObject added: the refusal check fails", async () => {
  const run = await variant((document) => {
    statement(document, "ReadObjects").Action.push("s3:PutObject");
  });
  await expect(proveRefusals(run)).rejects.toThrow("s3:PutObject on the ingest bucket was allowed under the task role");
});
