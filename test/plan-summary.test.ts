/** The pull-request summary of a plan: counts, grouping, reasons for destruction, flags, and no values. */
import { PlanJson, ResourceChange, planSummary } from "../scripts/terraform/plan-summary";

const change = (
  address: string,
  actions: ResourceChange["change"]["actions"],
  extra: Partial<ResourceChange> = {},
  values = {},
): ResourceChange => ({
  address,
  type: address.split(".")[0],
  mode: "managed",
  change: { actions, before: {}, after: {}, ...values },
  ...extra,
});

const plan: PlanJson = {
  resource_changes: [
    change("aws_sqs_queue.ingest", ["create"]),
    change("aws_sqs_queue.dlq", ["create"]),
    change(
      "aws_iam_role_policy.task",
      ["update"],
      {},
      { before: { policy: "OLD-SECRET-VALUE" }, after: { policy: "NEW-SECRET-VALUE" } },
    ),
    change(
      "aws_db_instance.db",
      ["delete", "create"],
      { action_reason: "replace_because_cannot_update" },
      {
        before: { engine_version: "16", password: "hunter2" },
        after: { engine_version: "17.6", password: "hunter3" },
        replace_paths: [["engine_version"]],
      },
    ),
    change("aws_s3_bucket.old", ["delete"], { action_reason: "delete_because_no_resource_config" }),
    change("aws_vpc.main", ["no-op"]),
    { ...change("aws_caller_identity.me", ["read"]), mode: "data" },
  ],
};
const summary = planSummary("nexus-dev", plan);

test("counts what the plan adds, changes, replaces and destroys; no-ops and data reads do not count", () => {
  expect(summary).toContain("**2 to add, 1 to change, 1 to replace, 1 to destroy.**");
});

test("groups resources by type", () => {
  expect(summary).toMatch(/\| `aws_sqs_queue` +\| 2 +\| +\| +\| +\|/);
});

test("calls out every replacement and destroy with its reason", () => {
  expect(summary).toMatch(
    /`aws_db_instance.db` +\| replace \| an argument that cannot change in place: forced by `engine_version`/,
  );
  expect(summary).toMatch(/`aws_s3_bucket.old` +\| destroy \| removed from the configuration/);
});

test("flags IAM changes with the attribute names that change", () => {
  expect(summary).toMatch(/`aws_iam_role_policy.task` +\| change +\| IAM +\| `policy`/);
});

test("never prints a value, sensitive or not", () => {
  for (const value of ["OLD-SECRET-VALUE", "NEW-SECRET-VALUE", "hunter2", "hunter3", "17.6"])
    expect(summary).not.toContain(value);
});

test("an empty plan says so", () => {
  expect(planSummary("nexus-dev", { resource_changes: [change("aws_vpc.main", ["no-op"])] })).toContain("No changes.");
});
