/**
 * `npm run plan -- <stack>`: synthesizes, plans the stack (against AWS, or the emulator with the
 * local target), writes a Markdown summary for the pull request (reports/plan-<stack>.md) and runs
 * Checkov's terraform_plan framework on the plan: the second layer of the gate, with the same
 * per-resource suppressions (plan addresses mapped back to construct paths through cdk.tf.json).
 * Exits 1 when the plan fails or the scan finds an unsuppressed failure or a stale suppression.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PLAN_JSON, runCheckov } from "../checkov/findings";
import { Verdict, applySuppressions, loadSuppressions } from "../checkov/suppressions";
import { SUPPRESSIONS_FILE } from "../checkov/gate";
import { PlanJson, planSummary } from "./plan-summary";
import { STACKS_DIR, seconds, synth, terraform } from "./run";
import { ROOT, writeCliConfig } from "./toolchain";

/** Plans `stack` in its synthesized folder; returns the summary and the plan JSON file. */
export function planStack(
  stackDir: string,
  stack: string,
  env: NodeJS.ProcessEnv = {},
): { summary: string; planJson: string } {
  terraform(stackDir, ["init", "-input=false"], env);
  terraform(stackDir, ["plan", "-input=false", "-lock-timeout=60s", "-out=tfplan"], env);
  const json = terraform(stackDir, ["show", "-json", "tfplan"], env);
  const planJson = join(stackDir, PLAN_JSON);
  writeFileSync(planJson, json);
  return { summary: planSummary(stack, JSON.parse(json) as PlanJson), planJson };
}

/** Checkov over the plan; suppressions of this stack only (the others cannot match, and are not stale). */
export function scanPlan(stack: string, planJson: string): { verdict: Verdict; lines: string[] } {
  const { findings } = runCheckov(ROOT, [planJson], { plan: true });
  const mine = loadSuppressions(SUPPRESSIONS_FILE).filter((s) => s.resource.startsWith(`${stack}/`));
  const verdict = applySuppressions(findings, mine);
  const lines = [
    `plan scan: ${findings.length} evaluations: passed ${verdict.passed.length}, suppressed ${verdict.suppressed.length}, failed ${verdict.failed.length}, stale suppressions ${verdict.stale.length}`,
    ...verdict.failed.map((f) => `  FAILED ${f.checkId} "${f.checkName}" on ${f.resource} (${f.address})`),
    ...verdict.stale.map((s) => `  STALE suppression ${s.check} ${s.resource}: no such finding in the plan`),
  ];
  return { verdict, lines };
}

function main(): number {
  const stack = process.argv[2];
  if (!stack) throw new Error("usage: npm run plan -- <stack>   (e.g. nexus-dev)");
  writeCliConfig();
  const outdir = join(ROOT, "cdktf.out");
  const stacks = synth(outdir, {});
  if (!stacks.includes(stack)) throw new Error(`no stack ${stack}; the app has ${stacks.join(", ")}`);
  const started = performance.now();
  const { summary, planJson } = planStack(join(STACKS_DIR(outdir), stack), stack);
  mkdirSync(join(ROOT, "reports"), { recursive: true });
  const report = join(ROOT, "reports", `plan-${stack}.md`);
  writeFileSync(report, summary);
  console.log(summary);
  console.log(`plan: ${stack} planned in ${seconds(started)}; summary in ${relative(ROOT, report)}`);
  const { verdict, lines } = scanPlan(stack, planJson);
  lines.forEach((line) => console.log(line));
  const ok = verdict.failed.length === 0 && verdict.stale.length === 0;
  console.log(ok ? "plan gate: PASSED" : "plan gate: FAILED");
  return ok ? 0 : 1;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (err) {
    console.error(`plan: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
