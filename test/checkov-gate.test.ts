/** The gate's own logic: the suppression file's rules, stale entries, the reports and the README table. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Finding } from "../scripts/checkov/findings";
import { junitXml, sarif } from "../scripts/checkov/reports";
import {
  SuppressionFileError,
  applySuppressions,
  loadSuppressions,
  suppressionsTable,
} from "../scripts/checkov/suppressions";
import { SUPPRESSIONS_FILE } from "../scripts/checkov/gate";

const finding = (checkId: string, resource: string, passed = false): Finding => ({
  checkId,
  checkName: `name of ${checkId}`,
  passed,
  resource,
  address: `aws_x.${resource.split("/").pop()}`,
  file: "cdktf.out/stacks/nexus-dev/cdk.tf.json",
  lines: [10, 20],
});

function suppressionFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "nexus-supp-")), "s.yaml");
  writeFileSync(file, yaml);
  return file;
}

describe("the suppression file", () => {
  test.each([
    [
      "a wildcard resource",
      "- {check: CKV_AWS_1, resource: 'nexus-dev/*', reason: 'a reason long enough to pass'}",
      /no wildcards/,
    ],
    ["a missing reason", "- {check: CKV_AWS_1, resource: nexus-dev/db}", /reason must say why/],
    ["a one-word reason", "- {check: CKV_AWS_1, resource: nexus-dev/db, reason: cost}", /reason must say why/],
    [
      "a malformed check id",
      "- {check: AWS_1, resource: nexus-dev/db, reason: 'a reason long enough to pass'}",
      /check must be a Checkov id/,
    ],
    [
      "an unknown key",
      "- {check: CKV_AWS_1, resource: nexus-dev/db, reason: 'a reason long enough to pass', until: 2027}",
      /unknown keys until/,
    ],
    [
      "the same entry twice",
      "- {check: CKV_AWS_1, resource: nexus-dev/db, reason: 'a reason long enough to pass'}\n- {check: CKV_AWS_1, resource: nexus-dev/db, reason: 'a reason long enough to pass'}",
      /listed twice/,
    ],
  ])("rejects %s with a message naming the entry", (_, yaml, message) => {
    expect(() => loadSuppressions(suppressionFile(yaml))).toThrow(SuppressionFileError);
    expect(() => loadSuppressions(suppressionFile(yaml))).toThrow(message);
  });
});

describe("applying suppressions", () => {
  const suppressions = [
    { check: "CKV_AWS_157", resource: "nexus-dev/database/instance", reason: "dev runs single-AZ for cost" },
    { check: "CKV_AWS_144", resource: "nexus-dev/ingest/gone", reason: "a resource that no longer exists" },
  ];

  test("suppresses a finding only for the listed check on the listed resource", () => {
    const verdict = applySuppressions(
      [
        finding("CKV_AWS_157", "nexus-dev/database/instance"),
        finding("CKV_AWS_157", "nexus-prod/database/instance"),
        finding("CKV_AWS_293", "nexus-dev/database/instance"),
      ],
      suppressions,
    );
    expect(verdict.suppressed.map((s) => [s.finding.checkId, s.finding.resource, s.reason])).toEqual([
      ["CKV_AWS_157", "nexus-dev/database/instance", "dev runs single-AZ for cost"],
    ]);
    expect(verdict.failed.map((f) => [f.checkId, f.resource])).toEqual([
      ["CKV_AWS_157", "nexus-prod/database/instance"],
      ["CKV_AWS_293", "nexus-dev/database/instance"],
    ]);
  });

  test("reports an entry that matches no failed finding as stale", () => {
    const verdict = applySuppressions([finding("CKV_AWS_144", "nexus-dev/ingest/gone", true)], suppressions);
    expect(verdict.stale.map((s) => s.resource)).toEqual(["nexus-dev/database/instance", "nexus-dev/ingest/gone"]);
  });
});

describe("CI reports", () => {
  const verdict = applySuppressions(
    [
      finding("CKV_AWS_1", "nexus-dev/a", true),
      finding("CKV_AWS_157", "nexus-dev/database/instance"),
      finding("CKV_AWS_2", "nexus-dev/<b>"),
    ],
    [{ check: "CKV_AWS_157", resource: "nexus-dev/database/instance", reason: "dev runs single-AZ for cost" }],
  );

  test("JUnit counts a suppressed finding as skipped with its reason, a failed one as a failure, and escapes XML", () => {
    const report = junitXml(verdict);
    expect(report).toContain('<testsuites name="checkov" tests="3" failures="1" skipped="1" errors="0">');
    expect(report).toContain('<skipped message="suppressed: dev runs single-AZ for cost"/>');
    expect(report).toContain(
      'name="CKV_AWS_2 nexus-dev/&lt;b&gt;"><failure message="name of CKV_AWS_2" type="CKV_AWS_2">',
    );
  });

  test("SARIF lists failed and suppressed findings with locations; suppressed ones carry the justification", () => {
    const log = JSON.parse(sarif(verdict, "3.3.30"));
    const results = log.runs[0].results;
    expect(
      results.map((r: { ruleId: string; suppressions?: { justification: string }[] }) => [
        r.ruleId,
        r.suppressions?.[0]?.justification,
      ]),
    ).toEqual([
      ["CKV_AWS_2", undefined],
      ["CKV_AWS_157", "dev runs single-AZ for cost"],
    ]);
    expect(results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "cdktf.out/stacks/nexus-dev/cdk.tf.json" },
      region: { startLine: 10, endLine: 20 },
    });
    expect(log.runs[0].tool.driver).toMatchObject({ name: "Checkov", version: "3.3.30" });
  });
});

test("the README's table of accepted risks is the one rendered from checkov-suppressions.yaml", () => {
  const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
  expect(readme).toContain(suppressionsTable(loadSuppressions(SUPPRESSIONS_FILE)));
});
