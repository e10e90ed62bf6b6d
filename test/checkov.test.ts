/**
 * The gate bites. The app is synthesized as `cdktf synth` does; for each Nexus policy one
 * deliberately broken copy of the dev stack is written, plus one with a built-in check broken;
 * ONE Checkov run (the gate's .checkov.yaml and policies) scans them all beside the unmodified
 * stacks and the Dockerfile, and each test reads its own file's results.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { buildApp, repoRoot } from "../stacks/app/app";
import { Finding, runCheckov } from "../scripts/checkov/findings";
import { applySuppressions, loadSuppressions } from "../scripts/checkov/suppressions";
import { SUPPRESSIONS_FILE } from "../scripts/checkov/gate";
import { Block } from "./synth";

jest.setTimeout(180000);

type Resources = Record<string, Record<string, Block>>;
const ROOT = repoRoot();
const STACKS = ["nexus-bootstrap", "nexus-dev", "nexus-prod"];

/** The first resource of `type` whose logical id contains `fragment`: [name, block]. */
function find(resources: Resources, type: string, fragment = ""): [string, Block] {
  const entry = Object.entries(resources[type] ?? {}).find(([name]) => name.includes(fragment));
  if (!entry) throw new Error(`no ${type} ${fragment} in the dev stack`);
  return entry;
}

/** Edits the first resource of `type` whose id contains `fragment` in place; returns its address. */
function change(resources: Resources, type: string, fragment: string, edit: (block: Block) => void): string {
  const [name, block] = find(resources, type, fragment);
  edit(block);
  return `${type}.${name}`;
}

/** Adds a resource with cdktf's metadata, as a construct would; returns its address. */
function add(resources: Resources, type: string, name: string, block: Block): string {
  resources[type] = {
    ...resources[type],
    [name]: { "//": { metadata: { path: `nexus-dev/mutant/${name}`, uniqueId: name } }, ...block },
  };
  return `${type}.${name}`;
}

/** Each mutation breaks one rule in the dev stack and returns the address of the offending resource. */
const MUTANTS: Record<string, { breaks: string; mutate: (r: Resources) => string }> = {
  CKV2_NEXUS_1: {
    breaks: "an internet gateway appears",
    mutate: (r) => add(r, "aws_internet_gateway", "mutant_igw", { vpc_id: `\${aws_vpc.${find(r, "aws_vpc")[0]}.id}` }),
  },
  CKV2_NEXUS_2: {
    breaks: "a subnet maps public IPs",
    mutate: (r) => change(r, "aws_subnet", "", (subnet) => (subnet.map_public_ip_on_launch = true)),
  },
  CKV2_NEXUS_3: {
    breaks: "a default route appears (to the S3 endpoint: no gateway needed)",
    mutate: (r) =>
      add(r, "aws_route", "mutant_default_route", {
        route_table_id: `\${aws_route_table.${find(r, "aws_route_table")[0]}.id}`,
        destination_cidr_block: "0.0.0.0/0",
        vpc_endpoint_id: `\${aws_vpc_endpoint.${find(r, "aws_vpc_endpoint", "s3-gateway")[0]}.id}`,
      }),
  },
  CKV2_NEXUS_4: {
    breaks: "the worker service asks for a public IP",
    mutate: (r) =>
      change(r, "aws_ecs_service", "", (service) => (service.network_configuration.assign_public_ip = true)),
  },
  CKV2_NEXUS_5: {
    breaks: "the database becomes publicly accessible",
    mutate: (r) => change(r, "aws_db_instance", "", (db) => (db.publicly_accessible = true)),
  },
  CKV2_NEXUS_6: {
    breaks: "the worker's egress to the database opens to 0.0.0.0/0",
    mutate: (r) =>
      change(r, "aws_vpc_security_group_egress_rule", "worker-to-db", (rule) => {
        delete rule.referenced_security_group_id;
        rule.cidr_ipv4 = "0.0.0.0/0";
      }),
  },
  CKV2_NEXUS_7: {
    breaks: "the SQS interface endpoint loses private DNS",
    mutate: (r) => change(r, "aws_vpc_endpoint", "endpoint-sqs", (endpoint) => (endpoint.private_dns_enabled = false)),
  },
  CKV2_NEXUS_8: {
    breaks: "the task role gains s3:* on *",
    mutate: (r) =>
      change(r, "aws_iam_role_policy", "task-role", (policy) => {
        const document = JSON.parse(policy.policy);
        document.Statement.push({ Sid: "Mutant", Effect: "Allow", Action: ["s3:*"], Resource: ["*"] });
        policy.policy = JSON.stringify(document);
      }),
  },
  CKV2_NEXUS_9: {
    breaks: "the ingest queue loses its redrive policy",
    mutate: (r) => change(r, "aws_sqs_queue", "ingest_queue", (queue) => delete queue.redrive_policy),
  },
  CKV2_NEXUS_10: {
    breaks: "the SQS endpoint's policy allows all of SQS",
    mutate: (r) =>
      change(r, "aws_vpc_endpoint", "endpoint-sqs", (endpoint) => {
        const document = JSON.parse(endpoint.policy);
        document.Statement[0].Action = ["sqs:*"];
        endpoint.policy = JSON.stringify(document);
      }),
  },
  CKV2_NEXUS_11: {
    breaks: "the alarm topic moves to the AWS-managed alias/aws/sns key",
    mutate: (r) =>
      change(r, "aws_sns_topic", "monitoring_topic", (topic) => (topic.kms_master_key_id = "alias/aws/sns")),
  },
};

/** Edits the alarm topic's inline policy document. */
const topicPolicy = (edit: (document: { Statement: Block[] }) => void) => (r: Resources) =>
  change(r, "aws_sns_topic", "monitoring_topic", (topic) => {
    const document = JSON.parse(topic.policy);
    edit(document);
    topic.policy = JSON.stringify(document);
  });

/** Second shapes of the same rules: inline blocks instead of standalone resources. */
const VARIANTS: Record<string, { policy: string; breaks: string; mutate: (r: Resources) => string }> = {
  "inline-route": {
    policy: "CKV2_NEXUS_3",
    breaks: "a route table gets an inline default route",
    mutate: (r) =>
      change(
        r,
        "aws_route_table",
        "",
        (table) =>
          (table.route = [
            {
              cidr_block: "0.0.0.0/0",
              vpc_endpoint_id: `\${aws_vpc_endpoint.${find(r, "aws_vpc_endpoint", "s3-gateway")[0]}.id}`,
            },
          ]),
      ),
  },
  "inline-ingress": {
    policy: "CKV2_NEXUS_6",
    breaks: "the worker's security group gets an inline ingress block from ::/0",
    mutate: (r) =>
      change(
        r,
        "aws_security_group",
        "worker_sg",
        (group) => (group.ingress = [{ from_port: 443, to_port: 443, protocol: "tcp", ipv6_cidr_blocks: ["::/0"] }]),
      ),
  },
  "endpoint-without-policy": {
    policy: "CKV2_NEXUS_10",
    breaks: "the Secrets Manager endpoint has no policy (full access)",
    mutate: (r) => change(r, "aws_vpc_endpoint", "endpoint-secretsmanager", (endpoint) => delete endpoint.policy),
  },
  "endpoint-without-account-condition": {
    policy: "CKV2_NEXUS_10",
    breaks: "the logs endpoint's statement loses its account conditions",
    mutate: (r) =>
      change(r, "aws_vpc_endpoint", "endpoint-logs", (endpoint) => {
        const document = JSON.parse(endpoint.policy);
        delete document.Statement[0].Condition;
        endpoint.policy = JSON.stringify(document);
      }),
  },
  "topic-publish-by-anyone": {
    policy: "CKV2_NEXUS_11",
    breaks: "the alarm topic lets any principal publish",
    mutate: topicPolicy((document) => (document.Statement[0].Principal = "*")),
  },
  "topic-without-source-account": {
    policy: "CKV2_NEXUS_11",
    breaks: "the alarm topic's CloudWatch statement loses aws:SourceAccount",
    mutate: topicPolicy((document) => delete document.Statement[0].Condition.StringEquals),
  },
  "topic-without-tls-deny": {
    policy: "CKV2_NEXUS_11",
    breaks: "the alarm topic's TLS deny is removed",
    mutate: topicPolicy((document) => (document.Statement = document.Statement.slice(0, 1))),
  },
  "topic-without-key": {
    policy: "CKV2_NEXUS_11",
    breaks: "the alarm topic is unencrypted",
    mutate: (r) => change(r, "aws_sns_topic", "monitoring_topic", (topic) => delete topic.kms_master_key_id),
  },
  "topic-without-policy": {
    policy: "CKV2_NEXUS_11",
    breaks: "the alarm topic has no policy (the account default)",
    mutate: (r) => change(r, "aws_sns_topic", "monitoring_topic", (topic) => delete topic.policy),
  },
};

const BUILT_IN = {
  check: "CKV_AWS_145",
  breaks: "the ingest bucket loses its SSE-KMS configuration",
  mutate: (r: Resources) => {
    const [name] = find(r, "aws_s3_bucket_server_side_encryption_configuration", "ingest_bucket");
    delete r.aws_s3_bucket_server_side_encryption_configuration[name];
    return `aws_s3_bucket.${find(r, "aws_s3_bucket", "ingest_bucket")[0]}`;
  },
};

const offenders = new Map<string, string>();
let work = "";
let findings: Finding[] = [];
const ofFile = (dir: string) => findings.filter((f) => f.file.includes(`/${dir}/cdk.tf.json`));
const failedNexus = (dir: string) => ofFile(dir).filter((f) => !f.passed && f.checkId.startsWith("CKV2_NEXUS_"));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "nexus-checkov-"));
  const app = new App({ outdir: join(work, "synth") });
  buildApp(app, { repoRoot: ROOT, env: {} });
  app.synth();
  const files: string[] = [];
  const write = (dir: string, json: Block) => {
    mkdirSync(join(work, dir));
    writeFileSync(join(work, dir, "cdk.tf.json"), JSON.stringify(json, null, 2));
    files.push(join(work, dir, "cdk.tf.json"));
  };
  const dev = readFileSync(join(work, "synth", "stacks", "nexus-dev", "cdk.tf.json"), "utf8");
  for (const stack of STACKS)
    write(`unmodified-${stack}`, JSON.parse(readFileSync(join(work, "synth", "stacks", stack, "cdk.tf.json"), "utf8")));
  for (const [id, { mutate }] of [
    ...Object.entries(MUTANTS),
    ...Object.entries(VARIANTS),
    [BUILT_IN.check, BUILT_IN] as const,
  ]) {
    const json = JSON.parse(dev);
    offenders.set(id, mutate(json.resource));
    write(`mutant-${id}`, json);
  }
  findings = runCheckov(ROOT, [...files, join(ROOT, "Dockerfile")]).findings;
});

describe("the unmodified stacks", () => {
  test.each(STACKS)("%s passes every Nexus policy", (stack) => {
    expect(ofFile(`unmodified-${stack}`).length).toBeGreaterThan(0);
    expect(failedNexus(`unmodified-${stack}`)).toEqual([]);
  });

  test("pass the gate: every failed built-in check is suppressed for its resource, and no suppression is stale", () => {
    const gateScope = findings.filter((f) => f.file.includes("/unmodified-") || f.file === "Dockerfile");
    const verdict = applySuppressions(gateScope, loadSuppressions(SUPPRESSIONS_FILE));
    expect(verdict.failed).toEqual([]);
    expect(verdict.stale).toEqual([]);
  });
});

describe.each(Object.entries(MUTANTS))("%s", (policy, { breaks }) => {
  test(`fails, alone among the Nexus policies and on exactly the offending resource, when ${breaks}`, () => {
    expect(failedNexus(`mutant-${policy}`).map((f) => [f.checkId, f.address])).toEqual([
      [policy, offenders.get(policy)],
    ]);
  });
});

describe.each(Object.entries(VARIANTS))("%s", (variant, { policy, breaks }) => {
  test(`fails ${policy} alone on exactly the offending resource when ${breaks}`, () => {
    expect(failedNexus(`mutant-${variant}`).map((f) => [f.checkId, f.address])).toEqual([
      [policy, offenders.get(variant)],
    ]);
  });
});

test(`built-in checks are active: ${BUILT_IN.check} fails when ${BUILT_IN.breaks}, and nothing suppresses it`, () => {
  const failed = ofFile(`mutant-${BUILT_IN.check}`).filter((f) => !f.passed && f.checkId === BUILT_IN.check);
  expect(failed.map((f) => f.address)).toContain(offenders.get(BUILT_IN.check));
  const verdict = applySuppressions(failed, loadSuppressions(SUPPRESSIONS_FILE));
  expect(verdict.failed.map((f) => f.address)).toContain(offenders.get(BUILT_IN.check));
});

test("the gate command exits 1 and names the check, the resource and the file when a stack breaks a policy", () => {
  const stacks = mkdtempSync(join(tmpdir(), "nexus-gate-"));
  mkdirSync(join(stacks, "nexus-dev"));
  writeFileSync(
    join(stacks, "nexus-dev", "cdk.tf.json"),
    readFileSync(join(work, "mutant-CKV2_NEXUS_4", "cdk.tf.json")),
  );
  const run = spawnSync(
    join(ROOT, "node_modules", ".bin", "tsx"),
    [join(ROOT, "scripts", "checkov", "gate.ts"), "--stacks", stacks, "--reports", join(stacks, "reports")],
    { cwd: ROOT, encoding: "utf8" },
  );
  expect(run.status).toBe(1);
  expect(run.stdout).toMatch(
    /FAILED CKV2_NEXUS_4 "Every ECS service sets assign_public_ip = false" on nexus-dev\/worker\/service \(aws_ecs_service\.worker_service_\w+\) at .*nexus-dev\/cdk\.tf\.json:\d+-\d+/,
  );
  expect(run.stdout).toContain("checkov gate: FAILED");
  expect(readFileSync(join(stacks, "reports", "checkov.junit.xml"), "utf8")).toMatch(
    /<failure message="Every ECS service sets assign_public_ip = false"/,
  );
});
