/**
 * Reference tables the README shows, generated from the code so they cannot drift (each has a
 * test comparing it with the README): `npm run docs:tables` prints them.
 */
import { App } from "cdktf";
import { buildApp, repoRoot } from "../../stacks/app/app";
import { PLACEHOLDER_IMAGE } from "../terraform/run";
import { markdownTable } from "./markdown";

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

if (require.main === module) {
  console.log("Outputs:\n");
  console.log(outputsTable());
}
