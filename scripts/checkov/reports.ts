/**
 * CI reports of one gate run, written from the verdict (after suppressions), so a suppressed
 * finding shows as skipped with its reason (JUnit) or as an externally suppressed result (SARIF)
 * instead of a failure.
 */
import { Finding } from "./findings";
import { Verdict } from "./suppressions";

const xml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JUnit XML: one test suite per scanned file, one test case per check and resource. */
export function junitXml(verdict: Verdict): string {
  const cases = [
    ...verdict.passed.map((finding) => ({ finding, body: "" })),
    ...verdict.suppressed.map(({ finding, reason }) => ({
      finding,
      body: `<skipped message="${xml(`suppressed: ${reason}`)}"/>`,
    })),
    ...verdict.failed.map((finding) => ({
      finding,
      body: `<failure message="${xml(finding.checkName)}" type="${xml(finding.checkId)}">${xml(`${finding.address} (${finding.file}:${finding.lines.join("-")})`)}</failure>`,
    })),
  ];
  const files = [...new Set(cases.map((c) => c.finding.file))].sort();
  const suites = files.map((file) => {
    const mine = cases.filter((c) => c.finding.file === file);
    const count = (pred: (b: string) => boolean) => mine.filter((c) => pred(c.body)).length;
    const failures = count((b) => b.startsWith("<failure"));
    const skipped = count((b) => b.startsWith("<skipped"));
    const body = mine.map(
      ({ finding, body }) =>
        `    <testcase classname="${xml(file)}" name="${xml(`${finding.checkId} ${finding.resource}`)}">${body}</testcase>`,
    );
    return [
      `  <testsuite name="${xml(file)}" tests="${mine.length}" failures="${failures}" skipped="${skipped}" errors="0">`,
      ...body,
      "  </testsuite>",
    ].join("\n");
  });
  const totals = `tests="${cases.length}" failures="${verdict.failed.length}" skipped="${verdict.suppressed.length}" errors="0"`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="checkov" ${totals}>`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}

/** SARIF 2.1.0 for GitHub code scanning: failed and suppressed findings, with their locations. */
export function sarif(verdict: Verdict, checkovVersion: string): string {
  const results = [
    ...verdict.failed.map((finding) => result(finding)),
    ...verdict.suppressed.map(({ finding, reason }) => result(finding, reason)),
  ];
  const rules = new Map<string, Finding>();
  for (const f of [...verdict.failed, ...verdict.suppressed.map((s) => s.finding)]) rules.set(f.checkId, f);
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "Checkov",
            version: checkovVersion,
            informationUri: "https://www.checkov.io/",
            rules: [...rules.values()].map((f) => ({
              id: f.checkId,
              name: f.checkId,
              shortDescription: { text: f.checkName },
              ...(f.guideline ? { helpUri: f.guideline } : {}),
            })),
          },
        },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

function result(finding: Finding, suppressedBecause?: string) {
  return {
    ruleId: finding.checkId,
    level: "error",
    message: { text: `${finding.checkName}: ${finding.resource} (${finding.address})` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: finding.file },
          region: { startLine: finding.lines[0], endLine: finding.lines[1] },
        },
      },
    ],
    ...(suppressedBecause ? { suppressions: [{ kind: "external", justification: suppressedBecause }] } : {}),
  };
}
