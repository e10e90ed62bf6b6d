/**
 * A pull-request comment from `terraform show -json <plan>`: what the plan adds, changes, replaces
 * and destroys, grouped by resource type; every replacement and destroy with its reason; changes
 * to IAM, network access, bucket/queue policies and encryption flagged. It prints addresses,
 * actions and attribute NAMES only, never values, so no sensitive value can reach the comment.
 */
import { cell, markdownTable } from "../docs/markdown";

type Action = "no-op" | "create" | "read" | "update" | "delete";
type Json = Record<string, unknown>;

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly mode?: string;
  readonly action_reason?: string;
  readonly change: {
    actions: Action[];
    before?: unknown;
    after?: unknown;
    after_unknown?: unknown;
    replace_paths?: unknown[][];
  };
}

export interface PlanJson {
  readonly resource_changes?: ResourceChange[];
}

export type Kind = "add" | "change" | "replace" | "destroy";

export function kindOf(actions: readonly Action[]): Kind | undefined {
  if (actions.includes("create") && actions.includes("delete")) return "replace";
  if (actions.includes("create")) return "add";
  if (actions.includes("update")) return "change";
  if (actions.includes("delete")) return "destroy";
  return undefined;
}

/** Changes a security reviewer must read, by the resource types they touch. */
const SENSITIVE: readonly [string, RegExp][] = [
  ["IAM", /^aws_iam_/],
  [
    "network access",
    /^aws_(default_)?security_group|^aws_vpc_security_group_|^aws_network_acl|^aws_route|^aws_vpc_endpoint/,
  ],
  ["resource policy", /^aws_(s3_bucket|sqs_queue|sns_topic|ecr_repository|vpc_endpoint|secretsmanager)_policy$/],
  ["encryption", /^aws_kms_|server_side_encryption/],
];
/** Attributes that change encryption on any resource type. */
const ENCRYPTION_ATTRIBUTES = /kms|encrypt|sse/i;

const REASONS: Record<string, string> = {
  replace_because_cannot_update: "an argument that cannot change in place",
  replace_because_tainted: "the resource is tainted",
  replace_by_request: "requested with -replace",
  replace_by_triggers: "a replace_triggered_by reference changed",
  delete_because_no_resource_config: "removed from the configuration",
  delete_because_no_module: "its module was removed",
  delete_because_wrong_repetition: "its count/for_each changed shape",
  delete_because_count_index: "its count index is gone",
  delete_because_each_key: "its for_each key is gone",
};

/** Top-level attributes whose value differs, or that become known only at apply. Names only. */
export function changedAttributes(change: ResourceChange["change"]): string[] {
  const before = (change.before ?? {}) as Json;
  const after = (change.after ?? {}) as Json;
  const unknown = (change.after_unknown ?? {}) as Json;
  const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...keys].filter((k) => unknown[k] === true || JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

function reasonOf(rc: ResourceChange, kind: Kind): string {
  const why = (rc.action_reason && REASONS[rc.action_reason]) ?? rc.action_reason ?? "";
  if (kind !== "replace") return why || "destroyed by this plan";
  const paths = (rc.change.replace_paths ?? []).map((p) => p.join("."));
  return [why || "replaced", paths.length ? `forced by ${paths.map((p) => `\`${p}\``).join(", ")}` : ""]
    .filter(Boolean)
    .join(": ");
}

function flagsOf(rc: ResourceChange, kind: Kind): string[] {
  const flags = SENSITIVE.filter(([, pattern]) => pattern.test(rc.type)).map(([label]) => label);
  if (
    kind !== "add" &&
    changedAttributes(rc.change).some((a) => ENCRYPTION_ATTRIBUTES.test(a)) &&
    !flags.includes("encryption")
  ) {
    flags.push("encryption");
  }
  return flags;
}

export function planSummary(stack: string, plan: PlanJson): string {
  const changes = (plan.resource_changes ?? [])
    .filter((rc) => rc.mode !== "data")
    .map((rc) => ({ rc, kind: kindOf(rc.change.actions) }))
    .filter((c): c is { rc: ResourceChange; kind: Kind } => c.kind !== undefined);
  const count = (kind: Kind) => changes.filter((c) => c.kind === kind).length;
  const lines = [
    `### Terraform plan: \`${stack}\``,
    "",
    `**${count("add")} to add, ${count("change")} to change, ${count("replace")} to replace, ${count("destroy")} to destroy.**`,
  ];
  if (changes.length === 0) return [...lines, "", "No changes."].join("\n") + "\n";

  const types = [...new Set(changes.map((c) => c.rc.type))].sort();
  const byType = types.map((type) => {
    const mine = changes.filter((c) => c.rc.type === type);
    const n = (kind: Kind) => String(mine.filter((c) => c.kind === kind).length || "");
    return [`\`${type}\``, n("add"), n("change"), n("replace"), n("destroy")];
  });
  lines.push("", markdownTable(["resource type", "add", "change", "replace", "destroy"], byType));

  const destructive = changes.filter((c) => c.kind === "replace" || c.kind === "destroy");
  lines.push("", "#### Replaced or destroyed", "");
  lines.push(
    destructive.length === 0
      ? "None."
      : markdownTable(
          ["resource", "action", "why"],
          destructive.map((c) => [`\`${c.rc.address}\``, c.kind, cell(reasonOf(c.rc, c.kind))]),
        ),
  );

  const flagged = changes.map((c) => ({ ...c, flags: flagsOf(c.rc, c.kind) })).filter((c) => c.flags.length > 0);
  lines.push("", "#### Security-relevant changes (read these)", "");
  lines.push(
    flagged.length === 0
      ? "None."
      : markdownTable(
          ["resource", "action", "concerns", "attributes"],
          flagged.map((c) => [
            `\`${c.rc.address}\``,
            c.kind,
            c.flags.join(", "),
            c.kind === "add"
              ? "(new)"
              : changedAttributes(c.rc.change)
                  .map((a) => `\`${a}\``)
                  .join(", "),
          ]),
        ),
  );
  lines.push("", "_Values are never shown here; run `terraform show` on the plan for them._");
  return lines.join("\n") + "\n";
}
