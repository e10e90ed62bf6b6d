/**
 * The configuration reference, from the schema (stacks/config/schema.ts): the README's config
 * table (key, type, default, dev, prod, description) and cdktf.schema.json, the JSON Schema of
 * cdktf.json that editors use for completion. `npm run docs:tables` prints the table;
 * `npm run docs:schema` writes the JSON Schema. Tests fail when either drifts from the code.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_REGION, baseConfig, resolveConfig } from "../../stacks/config/config";
import { nexusConfig, nexusContext, nexusStateContext } from "../../stacks/config/schema";
import { cell, markdownTable } from "./markdown";

export const SCHEMA_FILE = "cdktf.schema.json";
const SECTIONS = ["network", "ingest", "database", "worker", "registry", "alarms"] as const;

function typeOf(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { unrepresentable: "any", io: "input" }) as {
    type?: string;
    items?: { type?: string };
  };
  return json.type === "array" ? `${json.items?.type ?? "any"}[]` : (json.type ?? "any");
}

const show = (value: unknown) => (value === undefined ? "unset" : `\`${JSON.stringify(value)}\``);

/** One row per setting: where dev or prod differ from the default, their value; empty where they do not. */
export function configTable(): string {
  const base = baseConfig("dev", DEFAULT_REGION) as unknown as Record<string, Record<string, unknown>>;
  const envs = { dev: resolveConfig("dev"), prod: resolveConfig("prod") } as unknown as Record<
    string,
    Record<string, Record<string, unknown>>
  >;
  const rows: string[][] = [
    ["`region`", "string", show(DEFAULT_REGION), "", "", nexusConfig.shape.region.description ?? ""],
  ];
  for (const section of SECTIONS) {
    const shape = nexusConfig.shape[section].shape as Record<string, z.ZodType>;
    for (const [key, schema] of Object.entries(shape)) {
      const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
      const fallback = key === "availabilityZones" ? "`<region>a`, `<region>b`" : show(base[section][key]);
      const differs = (env: string) => {
        const value = envs[env][section][key];
        return JSON.stringify(value) === JSON.stringify(base[section][key]) ? "" : show(value);
      };
      rows.push([
        `\`${section}.${key}\``,
        typeOf(inner),
        fallback,
        differs("dev"),
        differs("prod"),
        cell(inner.description ?? ""),
      ]);
    }
  }
  return markdownTable(["key", "type", "default", "dev", "prod", "description"], rows);
}

/** JSON Schema of cdktf.json: cdktf's own keys stay open; the `nexus` and `nexusState` contexts are ours and strict. */
export function cdktfJsonSchema(): Record<string, unknown> {
  const strict = (schema: z.ZodType) => {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
      string,
      unknown
    >;
    void _ignored;
    return rest;
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "cdktf.json of Nexus",
    description: "Generated from stacks/config/schema.ts by npm run docs:schema; do not edit.",
    type: "object",
    properties: {
      $schema: { type: "string" },
      context: {
        type: "object",
        properties: {
          nexus: {
            description: "Per-environment overrides of the Nexus config (README: Configuration)",
            ...strict(nexusContext),
          },
          nexusState: {
            description: "Remote state settings (NEXUS_STATE_* variables win)",
            ...strict(nexusStateContext),
          },
        },
      },
    },
  };
}

export const schemaText = () => JSON.stringify(cdktfJsonSchema(), null, 2) + "\n";

if (require.main === module) {
  if (process.argv.includes("--write-schema")) {
    writeFileSync(join(__dirname, "..", "..", SCHEMA_FILE), schemaText());
    console.log(`wrote ${SCHEMA_FILE}`);
  } else {
    console.log(configTable());
  }
}
