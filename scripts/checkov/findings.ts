/**
 * Runs Checkov and turns its JSON report into findings keyed by check id and resource. The
 * resource of a synthesized stack is its construct path (`nexus-dev/database/instance`), read
 * from the metadata cdktf writes next to every resource: stable across synths, unlike the
 * hashed Terraform address, and the same whichever Checkov engine (Python or graph) reported it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";

export interface Finding {
  readonly checkId: string;
  readonly checkName: string;
  readonly passed: boolean;
  /** Construct path for stacks, `Dockerfile.<INSTRUCTION>` for the Dockerfile. */
  readonly resource: string;
  /** Terraform address (`aws_db_instance.database_instance_D7FC2283`) or the Dockerfile resource. */
  readonly address: string;
  /** Repository-relative path of the scanned file. */
  readonly file: string;
  readonly lines: readonly [number, number];
  readonly guideline?: string;
}

interface CheckovRecord {
  check_id: string;
  check_name: string;
  file_abs_path: string;
  file_line_range: [number, number];
  resource: string;
  guideline?: string | null;
}

interface CheckovReport {
  check_type: string;
  results: { passed_checks?: CheckovRecord[]; failed_checks?: CheckovRecord[] };
  summary: { checkov_version: string };
}

export interface Scan {
  readonly findings: Finding[];
  readonly checkovVersion: string;
}

export class CheckovError extends Error {}

/** A plan scanned by Checkov: `terraform show -json` output, written next to its stack's cdk.tf.json. */
export const PLAN_JSON = "tfplan.json";

/**
 * Runs `.venv/bin/checkov` with the repository's .checkov.yaml over `files`; returns every evaluated
 * check. `plan: true` scans `terraform show -json` plans (framework terraform_plan) instead.
 */
export function runCheckov(repoRoot: string, files: readonly string[], options: { plan?: boolean } = {}): Scan {
  const bin = join(repoRoot, ".venv", "bin", "checkov");
  const framework = options.plan ? ["--framework", "terraform_plan"] : [];
  const scanned = files.map((file) => (file.endsWith(".tf.json") ? parseableCopy(repoRoot, file) : file));
  const args = [
    "--config-file",
    join(repoRoot, ".checkov.yaml"),
    ...framework,
    ...scanned.flatMap((f) => ["-f", f]),
    "-o",
    "json",
  ];
  const env = {
    ...process.env,
    // Checkov's update checker caches under the user's cache folder: keep it inside the project.
    XDG_CACHE_HOME: join(repoRoot, ".toolchain", "cache"),
    // Values known only after apply (ARNs, ids) would otherwise fail checks that only need them to exist.
    ...(options.plan ? { EVAL_TF_PLAN_AFTER_UNKNOWN: "true" } : {}),
  };
  const run = spawnSync(bin, args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env });
  if (run.error) throw new CheckovError(`cannot run ${bin} (run \`npm run setup\`): ${run.error.message}`);
  // Checkov exits 1 when a check fails; anything else without JSON on stdout is a crash.
  let parsed: CheckovReport | CheckovReport[];
  try {
    parsed = JSON.parse(run.stdout);
  } catch {
    throw new CheckovError(`checkov exited ${run.status} without a JSON report:\n${run.stderr.slice(-2000)}`);
  }
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const findings = reports.flatMap((report) => [
    ...(report.results.passed_checks ?? []).map((r) => toFinding(repoRoot, r, true)),
    ...(report.results.failed_checks ?? []).map((r) => toFinding(repoRoot, r, false)),
  ]);
  return { findings, checkovVersion: reports[0]?.summary.checkov_version ?? "unknown" };
}

/** The `resource` section of a synthesized stack: type -> logical id -> block (with cdktf's `//` metadata). */
type StackResources = Record<string, Record<string, { "//"?: { metadata?: { path?: string } } }>>;

const stackJson = new Map<string, StackResources>();

/** Copies Checkov scans instead of the synthesized files, by absolute path, and the file each stands for. */
const originals = new Map<string, string>();

/**
 * Checkov 3.3.30's terraform_json parser reads every key of the `terraform` block as a block and
 * rejects the whole file ("this method receives only dicts") at `required_version`, a string. It
 * scans a copy whose `required_version` value is `{}` instead: same lines, same resources, and
 * findings are reported against the synthesized file itself.
 */
function parseableCopy(repoRoot: string, file: string): string {
  const original = isAbsolute(file) ? file : join(repoRoot, file);
  const copy = join(mkdtempSync(join(tmpdir(), "nexus-checkov-")), "cdk.tf.json");
  writeFileSync(copy, readFileSync(original, "utf8").replace(/"required_version": "[^"]*"/, '"required_version": {}'));
  originals.set(copy, original);
  return copy;
}

function toFinding(repoRoot: string, record: CheckovRecord, passed: boolean): Finding {
  const reported = isAbsolute(record.file_abs_path) ? record.file_abs_path : join(repoRoot, record.file_abs_path);
  const absolute = originals.get(reported) ?? reported;
  const file = relative(repoRoot, absolute);
  const base = {
    checkId: record.check_id,
    checkName: record.check_name,
    passed,
    file,
    lines: record.file_line_range,
    guideline: record.guideline ?? undefined,
  };
  if (!file.endsWith(".json")) {
    // `Dockerfile.ADD`, whether Checkov was given the file by a relative or an absolute path.
    const resource = record.resource.startsWith(absolute)
      ? file + record.resource.slice(absolute.length)
      : record.resource;
    return { ...base, resource, address: resource };
  }
  // A plan names resources by address only: map them back through the stack's cdk.tf.json beside it.
  const stackFile = absolute.endsWith(PLAN_JSON) ? join(dirname(absolute), "cdk.tf.json") : absolute;
  const { address, path } = resolveResource(stackFile, record.resource);
  return { ...base, resource: path, address };
}

/**
 * Checkov names a resource `aws_type.name` in graph checks but `resource.name` in Python checks
 * over terraform_json; both resolve here to the full address and the construct path.
 */
export function resolveResource(jsonFile: string, checkovResource: string): { address: string; path: string } {
  if (!stackJson.has(jsonFile)) stackJson.set(jsonFile, JSON.parse(readFileSync(jsonFile, "utf8")).resource ?? {});
  const resources = stackJson.get(jsonFile)!;
  const dot = checkovResource.indexOf(".");
  const [kind, name] = [checkovResource.slice(0, dot), checkovResource.slice(dot + 1)];
  const type = kind === "resource" ? Object.keys(resources).find((t) => name in resources[t]) : kind;
  const block = type ? resources[type]?.[name] : undefined;
  if (!type || !block) return { address: checkovResource, path: checkovResource };
  return { address: `${type}.${name}`, path: block["//"]?.metadata?.path ?? `${type}.${name}` };
}
