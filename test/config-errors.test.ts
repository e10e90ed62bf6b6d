/**
 * Bad configuration, as a user meets it: `node build/main.js` (what `cdktf synth` runs) with a
 * cdktf.json context. Each mistake is ONE line on stderr naming the key path, the value and what
 * is allowed; the exit code is 2; nothing is synthesized. The table of bad values is derived from
 * the schema itself, one per setting, so a new setting is covered the day it is added.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { repoRoot } from "../stacks/app/app";
import { allowedOf, overrides } from "../stacks/config/schema";
import { cdktfJsonSchema, SCHEMA_FILE } from "../scripts/docs/config-reference";

jest.setTimeout(120000);
const ROOT = repoRoot();
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nexus-dev-worker:v1";

interface Run {
  code: number | null;
  stderr: string;
  synthesized: boolean;
}

function synth(context: object, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const outdir = mkdtempSync(join(tmpdir(), "nexus-config-"));
  const child = spawn(process.execPath, [join(ROOT, "build", "main.js")], {
    cwd: ROOT,
    env: {
      ...process.env,
      NEXUS_WORKER_IMAGE: IMAGE,
      ...env,
      CDKTF_CONTEXT_JSON: JSON.stringify(context),
      CDKTF_OUTDIR: outdir,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) =>
    child.once("exit", (code) => resolve({ code, stderr, synthesized: wroteStacks(outdir) })),
  );
}

/** cdktf's App creates an empty stacks/ folder when constructed; synthesis is a stack in it or a manifest. */
function wroteStacks(outdir: string): boolean {
  const stacks = join(outdir, "stacks");
  return existsSync(join(outdir, "manifest.json")) || (existsSync(stacks) && readdirSync(stacks).length > 0);
}

/** A value of the wrong type for a setting: the schema says what type it has. */
function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional ? unwrap(schema.unwrap() as z.ZodType) : schema;
}

function wrongValue(schema: z.ZodType): unknown {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodBoolean) return "yes";
  if (inner instanceof z.ZodNumber) return "ten";
  if (inner instanceof z.ZodArray) return "us-east-1a";
  return 42;
}

const settings = Object.entries(overrides.shape).flatMap(([section, sectionSchema]) => {
  const inner = (sectionSchema as z.ZodOptional<z.ZodType>).unwrap();
  if (!(inner instanceof z.ZodObject)) return [[section, sectionSchema as z.ZodType] as const];
  return Object.entries(inner.shape as Record<string, z.ZodType>).map(
    ([key, leaf]) => [`${section}.${key}`, leaf] as const,
  );
});

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

describe("every setting with a value of the wrong type", () => {
  const results = new Map<string, Run>();
  beforeAll(() =>
    inBatches(settings, 2, async ([path, leaf]) => {
      const context = {
        nexus: { dev: path.split(".").reduceRight<unknown>((value, key) => ({ [key]: value }), wrongValue(leaf)) },
      };
      results.set(path, await synth(context));
    }),
  );

  test.each(settings.map(([path, leaf]) => [path, leaf] as const))(
    "%s: one line naming it, exit 2, nothing synthesized",
    (path, leaf) => {
      const run = results.get(path)!;
      const allowed = allowedOf(leaf) ?? allowedOf(unwrap(leaf));
      expect(run.stderr).toBe(
        `nexus config: nexus.dev.${path} must be ${allowed}, got ${JSON.stringify(wrongValue(leaf))}\n`,
      );
      expect(run.code).toBe(2);
      expect(run.synthesized).toBe(false);
    },
  );
});

describe("other mistakes", () => {
  test.each([
    [
      "a misspelled key, with the nearest one suggested",
      { nexus: { dev: { databse: { multiAz: true } } } },
      {},
      "nexus config: nexus.dev.databse is not a setting; did you mean nexus.dev.database? allowed here: region, network, ingest, database, worker, registry, alarms",
    ],
    [
      "a misspelled key deep inside",
      { nexus: { prod: { database: { multiAZ: true } } } },
      {},
      /^nexus config: nexus\.prod\.database\.multiAZ is not a setting; did you mean nexus\.prod\.database\.multiAz\?/,
    ],
    [
      "a string for a boolean",
      { nexus: { dev: { database: { multiAz: "yes" } } } },
      {},
      'nexus config: nexus.dev.database.multiAz must be true or false, got "yes"',
    ],
    [
      "an out-of-range value",
      { nexus: { dev: { ingest: { maxReceiveCount: 0 } } } },
      {},
      "nexus config: nexus.dev.ingest.maxReceiveCount must be an integer from 1 to 1000, got 0",
    ],
    [
      "an invalid alarm email",
      { nexus: { dev: { alarms: { emails: ["oncall@example"] } } } },
      {},
      'nexus config: nexus.dev.alarms.emails must be up to 20 email addresses, got ["oncall@example"]',
    ],
    [
      "a topic ARN that is not SNS",
      { nexus: { dev: { alarms: { topicArn: "arn:aws:sqs:us-east-1:123456789012:q" } } } },
      {},
      /^nexus config: nexus\.dev\.alarms\.topicArn must be a standard SNS topic ARN/,
    ],
    [
      "a negative alarm period",
      { nexus: { dev: { alarms: { periodSeconds: -60 } } } },
      {},
      /^nexus config: nexus\.dev\.alarms\.periodSeconds must be a CloudWatch alarm period in seconds \(60, 120, 300/,
    ],
    [
      "an alarm threshold out of range",
      { nexus: { dev: { alarms: { workerCpuPercent: 101 } } } },
      {},
      "nexus config: nexus.dev.alarms.workerCpuPercent must be an integer from 1 to 100, got 101",
    ],
    [
      "an unknown environment name",
      { nexus: { staging: {} } },
      {},
      /^nexus config: nexus\.staging is not a setting; allowed here: dev, prod, bootstrap$/,
    ],
    [
      "an unknown environment to synthesize",
      {},
      { NEXUS_ENVIRONMENTS: "qa" },
      'nexus config: environment must be one of dev, prod, got "qa"',
    ],
    [
      "an image of another region",
      {},
      { NEXUS_WORKER_IMAGE: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/w:v1" },
      /^nexus config: nexus\.dev\.worker\.imageUri must be an ECR image in us-east-1: /,
    ],
    [
      "half-set remote state",
      {},
      { NEXUS_STATE_BUCKET: "state-bucket" },
      /^nexus state backend: bucket "state-bucket" is set, so NEXUS_STATE_REGION/,
    ],
    [
      "an unknown remote-state key",
      { nexusState: { bukket: "b" } },
      {},
      /^nexus config: nexusState\.bukket is not a setting; did you mean nexusState\.bucket\?/,
    ],
  ])("%s", async (_what, context, env, message) => {
    const run = await synth(context, env);
    expect(run.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    if (typeof message === "string") expect(run.stderr.trim()).toBe(message);
    else expect(run.stderr.trim()).toMatch(message);
    expect(run.code).toBe(2);
    expect(run.synthesized).toBe(false);
  });
});

test("cdktf.schema.json is the one generated from the schema, and cdktf.json links it", () => {
  expect(JSON.parse(readFileSync(join(ROOT, SCHEMA_FILE), "utf8"))).toEqual(cdktfJsonSchema());
  expect(JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8")).$schema).toBe(`./${SCHEMA_FILE}`);
});

test("the README's config table is the one generated from the schema", async () => {
  const { configTable } = await import("../scripts/docs/config-reference");
  expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(configTable());
});
