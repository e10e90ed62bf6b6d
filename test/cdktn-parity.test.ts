/**
 * No lock-in: the same compiled app, synthesized with CDK Terrain (cdktn 0.24.0, the maintained fork
 * of CDKTF) in place of cdktf 0.21.0, writes the same Terraform JSON for every stack: prebuilt and
 * build mode, every remote-state locking mode and OpenTofu state encryption. Only the library's version string may differ.
 * compat/cdktn/ holds the libraries (installed by npm run setup); compat/cdktn/use-cdktn.mjs loads
 * them in place of the root ones.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../stacks/app/app";
import { PLACEHOLDER_IMAGE } from "../scripts/terraform/run";

jest.setTimeout(120000);
const ROOT = repoRoot();
const COMPAT = join(ROOT, "compat", "cdktn");
const REMOTE = {
  NEXUS_STATE_BUCKET: "nexus-tfstate-123456789012-us-east-1",
  NEXUS_STATE_LOCK_TABLE: "nexus-tfstate-locks",
  NEXUS_STATE_REGION: "us-east-1",
  NEXUS_STATE_KMS_KEY_ARN: "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
};
const VARIANTS: Record<string, NodeJS.ProcessEnv> = {
  "prebuilt image, local state": { NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE },
  "image built at deploy": {},
  "remote state, DynamoDB locking": {
    ...REMOTE,
    NEXUS_STATE_LOCKING: "dynamodb",
    NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE,
  },
  "remote state, S3 lock file": { ...REMOTE, NEXUS_STATE_LOCKING: "lockfile", NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE },
  "remote state, both while migrating": {
    ...REMOTE,
    NEXUS_STATE_LOCKING: "both",
    NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE,
  },
  "remote state, OpenTofu state encryption": {
    ...REMOTE,
    NEXUS_ENGINE: "opentofu",
    NEXUS_STATE_ENCRYPTION: "kms",
    NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE,
  },
};

/** Synthesizes build/main.js into a new folder, with cdktf or (through the loader hook) cdktn. */
function synth(library: "cdktf" | "cdktn", env: NodeJS.ProcessEnv): string {
  const out = mkdtempSync(join(tmpdir(), `nexus-${library}-`));
  const hook = library === "cdktn" ? ["--import", join(COMPAT, "use-cdktn.mjs")] : [];
  const run = spawnSync(process.execPath, [...hook, join(ROOT, "build", "main.js")], {
    cwd: ROOT,
    env: { ...process.env, ...env, CDKTF_OUTDIR: out, CDKTF_CONTEXT_JSON: JSON.stringify({ nexus: {} }) },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`${library} synth failed: ${run.stderr}`);
  return out;
}

/** Every stack's JSON, and its `"//".metadata.version` taken out. */
function stacks(out: string): { json: Record<string, string>; versions: string[] } {
  const json: Record<string, string> = {};
  const versions: string[] = [];
  for (const stack of readdirSync(join(out, "stacks")).sort()) {
    const document = JSON.parse(readFileSync(join(out, "stacks", stack, "cdk.tf.json"), "utf8"));
    versions.push(document["//"].metadata.version);
    delete document["//"].metadata.version;
    json[stack] = JSON.stringify(document, null, 2);
  }
  return { json, versions };
}

test("CDK Terrain's libraries are installed (npm run setup) and are cdktn 0.24.0", () => {
  expect(existsSync(join(COMPAT, "node_modules", "cdktf", "package.json"))).toBe(true);
  const pkg = JSON.parse(readFileSync(join(COMPAT, "node_modules", "cdktf", "package.json"), "utf8"));
  expect([pkg.name, pkg.version]).toEqual(["cdktn", "0.24.0"]);
});

test.each(Object.entries(VARIANTS))("%s: the same Terraform JSON for every stack on cdktf and on cdktn", (_v, env) => {
  const cdktf = stacks(synth("cdktf", env));
  const cdktn = stacks(synth("cdktn", env));
  expect(Object.keys(cdktn.json)).toEqual(["nexus-bootstrap", "nexus-dev", "nexus-prod"]);
  expect(Object.keys(cdktn.json)).toEqual(Object.keys(cdktf.json));
  for (const stack of Object.keys(cdktf.json)) expect([stack, cdktn.json[stack]]).toEqual([stack, cdktf.json[stack]]);
  expect(new Set(cdktf.versions)).toEqual(new Set(["0.21.0"]));
  expect(new Set(cdktn.versions)).toEqual(new Set(["0.24.0"]));
});
