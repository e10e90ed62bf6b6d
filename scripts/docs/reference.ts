/**
 * Reference tables the README shows, generated from the code so they cannot drift (each has a
 * test comparing it with the README): `npm run docs:tables` prints them.
 */
import { App } from "cdktf";
import { buildApp, repoRoot } from "../../stacks/app/app";
import { PLACEHOLDER_IMAGE } from "../terraform/run";
import { cell, markdownTable } from "./markdown";
import { resolveConfig } from "../../stacks/config/config";
import { AlarmSpec, alarmSpecs, isExpression } from "../../stacks/monitoring/alarm-specs";

type Outputs = Record<string, { description?: string }>;

/** Every Terraform output of the bootstrap stack and of an environment stack, with its description. */
export function outputsTable(): string {
  const app = new App({ outdir: "/tmp/nexus-docs-unused", skipValidation: true });
  buildApp(app, { repoRoot: repoRoot(), environments: ["dev"], env: { NEXUS_WORKER_IMAGE: PLACEHOLDER_IMAGE } });
  const rows = app.node.children.flatMap((stack) => {
    const outputs = ((stack as unknown as { toTerraform(): { output?: Outputs } }).toTerraform().output ??
      {}) as Outputs;
    const label = stack.node.id === "nexus-dev" ? "`nexus-<env>`" : `\`${stack.node.id}\``;
    return Object.entries(outputs).map(([name, output]) => [label, `\`${name}\``, output.description ?? ""]);
  });
  return markdownTable(["stack", "output", "description"], rows);
}

const MISSING: Record<AlarmSpec["missingData"], string> = {
  breaching: "fires",
  notBreaching: "not breaching",
  ignore: "keeps state",
};

/** Every alarm of an environment: what it watches, when it fires (dev / prod), what silence does, what to do. */
export function alarmsTable(): string {
  const names = {
    queueName: "nexus-<env>-ingest",
    deadLetterQueueName: "nexus-<env>-ingest-dlq",
    clusterName: "nexus-<env>",
    serviceName: "nexus-<env>-worker",
    databaseId: "nexus-<env>-postgres",
    workerEnvironment: "nexus-<env>",
  };
  const [dev, prod] = (["dev", "prod"] as const).map((env) => {
    const config = resolveConfig(env);
    return alarmSpecs(names, config.alarms, config.worker);
  });
  const rows = dev.map((spec, i) => {
    const other = prod[i];
    const w = spec.watches;
    const watched = isExpression(w)
      ? `\`${w.expression}\` (${Object.entries(w.inputs)
          .map(([id, m]) => `${id}: ${m.metricName} ${m.stat}`)
          .join(", ")})`
      : `${w.namespace} ${w.metricName} (${w.stat})`;
    const when = (s: AlarmSpec) => `${s.shown}, ${s.evaluationPeriods} x ${s.periodSeconds} s`;
    const threshold = when(spec) === when(other) ? when(spec) : `dev ${when(spec)}; prod ${when(other)}`;
    return [
      `\`nexus-<env>-${spec.id}\``,
      cell(watched),
      cell(threshold),
      cell(`${MISSING[spec.missingData]}: ${spec.silence}`),
      cell(spec.runbook),
    ];
  });
  return markdownTable(["alarm", "metric", "fires at", "missing data", "what to do"], rows);
}

if (require.main === module) {
  console.log("Outputs:\n");
  console.log(outputsTable());
  console.log("\nAlarms:\n");
  console.log(alarmsTable());
}
