/**
 * The synth-time security gate (`npm run checkov`, after `cdktf synth`): Checkov over every
 * synthesized stack and the Dockerfile, with our policies; suppressions from
 * checkov-suppressions.yaml; JUnit XML and SARIF into reports/. Exits 1 on any failed check or
 * stale suppression, 2 when Checkov or the suppression file cannot be used.
 * Usage: tsx scripts/checkov/gate.ts [--stacks DIR] [--reports DIR]
 *          scans DIR/<stack>/cdk.tf.json (default cdktf.out/stacks), reports into reports/
 *        tsx scripts/checkov/gate.ts --table          (print the README's table of accepted risks)
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Finding, runCheckov } from "./findings";
import { junitXml, sarif } from "./reports";
import { Verdict, applySuppressions, loadSuppressions, suppressionsTable } from "./suppressions";

const ROOT = join(__dirname, "..", "..");
export const SUPPRESSIONS_FILE = join(ROOT, "checkov-suppressions.yaml");

/** Every synthesized stack under `stacksDir` and the Dockerfile, repository-relative. */
function scanTargets(stacksDir: string): string[] {
  if (!existsSync(stacksDir)) throw new Error(`no synthesized stacks in ${stacksDir}: run \`npm run synth\` first`);
  const stacks = readdirSync(stacksDir)
    .map((name) => relative(ROOT, join(stacksDir, name, "cdk.tf.json")))
    .filter((f) => existsSync(join(ROOT, f)));
  if (stacks.length === 0) throw new Error(`no cdk.tf.json under ${stacksDir}`);
  return [...stacks.sort(), "Dockerfile"];
}

function summarize(verdict: Verdict): string[] {
  const custom = (f: Finding) => f.checkId.startsWith("CKV2_NEXUS_");
  const line = (label: string, keep: (f: Finding) => boolean) => {
    const passed = verdict.passed.filter(keep);
    const suppressed = verdict.suppressed.map((s) => s.finding).filter(keep);
    const failed = verdict.failed.filter(keep);
    const checks = new Set([...passed, ...suppressed, ...failed].map((f) => f.checkId)).size;
    return `${label}: ${checks} checks applied, ${passed.length + suppressed.length + failed.length} evaluations: passed ${passed.length}, suppressed ${suppressed.length}, failed ${failed.length}`;
  };
  const lines = [
    line("built-in", (f) => !custom(f)),
    line("Nexus policies", custom),
    `stale suppressions: ${verdict.stale.length}`,
  ];
  for (const { finding, reason } of verdict.suppressed)
    lines.push(`  suppressed ${finding.checkId} ${finding.resource}: ${reason}`);
  for (const f of verdict.failed)
    lines.push(
      `  FAILED ${f.checkId} "${f.checkName}" on ${f.resource} (${f.address}) at ${f.file}:${f.lines.join("-")}`,
    );
  for (const s of verdict.stale)
    lines.push(
      `  STALE suppression ${s.check} ${s.resource}: no such finding any more; remove it from checkov-suppressions.yaml`,
    );
  return lines;
}

function main(): number {
  const suppressions = loadSuppressions(SUPPRESSIONS_FILE);
  if (process.argv.includes("--table")) {
    console.log(suppressionsTable(suppressions));
    return 0;
  }
  const option = (name: string, fallback: string) =>
    process.argv.includes(name) ? resolve(process.argv[process.argv.indexOf(name) + 1]) : fallback;
  const targets = scanTargets(option("--stacks", join(ROOT, "cdktf.out", "stacks")));
  const reports = option("--reports", join(ROOT, "reports"));
  const { findings, checkovVersion } = runCheckov(ROOT, targets);
  const verdict = applySuppressions(findings, suppressions);
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, "checkov.junit.xml"), junitXml(verdict));
  writeFileSync(join(reports, "checkov.sarif"), sarif(verdict, checkovVersion));
  console.log(`checkov ${checkovVersion} over ${targets.join(", ")}`);
  for (const line of summarize(verdict)) console.log(line);
  console.log(`reports: ${relative(ROOT, reports) || "."}/checkov.junit.xml, checkov.sarif`);
  const ok = verdict.failed.length === 0 && verdict.stale.length === 0;
  console.log(ok ? "checkov gate: PASSED" : "checkov gate: FAILED");
  return ok ? 0 : 1;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (err) {
    console.error(`checkov gate: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
