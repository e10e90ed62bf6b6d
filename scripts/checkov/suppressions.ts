/**
 * Accepted risks, one resource each: loads checkov-suppressions.yaml, validates it, and splits
 * failed findings into suppressed and failing. An entry that matches no failed finding is stale
 * and fails the gate too, so the file only ever lists risks that exist.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { cell, markdownTable } from "../docs/markdown";
import { Finding } from "./findings";

export interface Suppression {
  readonly check: string;
  readonly resource: string;
  readonly reason: string;
}

export interface Verdict {
  readonly passed: Finding[];
  readonly suppressed: { finding: Finding; reason: string }[];
  readonly failed: Finding[];
  readonly stale: Suppression[];
}

export class SuppressionFileError extends Error {}

export function loadSuppressions(file: string): Suppression[] {
  const entries: unknown = parse(readFileSync(file, "utf8")) ?? [];
  if (!Array.isArray(entries)) throw new SuppressionFileError(`${file}: must be a list of {check, resource, reason}`);
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const where = `${file}: entry ${i + 1}`;
    const { check, resource, reason, ...rest } = (entry ?? {}) as Record<string, unknown>;
    if (Object.keys(rest).length > 0)
      throw new SuppressionFileError(`${where}: unknown keys ${Object.keys(rest).join(", ")}`);
    if (typeof check !== "string" || !/^CKV2?_[A-Z0-9]+_\d+$/.test(check))
      throw new SuppressionFileError(
        `${where}: check must be a Checkov id like CKV_AWS_157, got ${JSON.stringify(check)}`,
      );
    if (typeof resource !== "string" || resource.includes("*"))
      throw new SuppressionFileError(
        `${where}: resource must name one resource (no wildcards), got ${JSON.stringify(resource)}`,
      );
    if (typeof reason !== "string" || reason.trim().length < 20)
      throw new SuppressionFileError(
        `${where}: reason must say why (at least 20 characters), got ${JSON.stringify(reason)}`,
      );
    const key = `${check} ${resource}`;
    if (seen.has(key)) throw new SuppressionFileError(`${where}: ${key} is listed twice`);
    seen.add(key);
    return { check, resource, reason: reason.trim() };
  });
}

export function applySuppressions(findings: readonly Finding[], suppressions: readonly Suppression[]): Verdict {
  const byKey = new Map(suppressions.map((s) => [`${s.check} ${s.resource}`, s]));
  const used = new Set<Suppression>();
  const verdict: Verdict = { passed: [], suppressed: [], failed: [], stale: [] };
  for (const finding of findings) {
    if (finding.passed) {
      verdict.passed.push(finding);
      continue;
    }
    const suppression = byKey.get(`${finding.checkId} ${finding.resource}`);
    if (suppression) {
      used.add(suppression);
      verdict.suppressed.push({ finding, reason: suppression.reason });
    } else {
      verdict.failed.push(finding);
    }
  }
  verdict.stale.push(...suppressions.filter((s) => !used.has(s)));
  return verdict;
}

/** The README's table of accepted risks. */
export function suppressionsTable(suppressions: readonly Suppression[]): string {
  return markdownTable(
    ["check", "resource", "reason"],
    suppressions.map((s) => [s.check, `\`${s.resource}\``, cell(s.reason)]),
  );
}
