/**
 * One-line configuration errors: the key path, the value given and what is allowed. Built from
 * the schema's own words (schema.ts), never the validation library's default messages.
 */
import { z } from "zod";
import { allowedOf } from "./schema";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const show = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value));

/** "nexus config: <key> must be <allowed>, got <value>" */
export function invalid(key: string, value: unknown, allowed: string): ConfigError {
  return new ConfigError(`nexus config: ${key} must be ${allowed}, got ${show(value)}`);
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
  return current;
}

/** The schema of the setting at `path`, and that setting's own path (an array element counts as its array). */
function settingAt(schema: z.ZodType, path: readonly PropertyKey[]): { leaf: z.ZodType; path: PropertyKey[] } {
  let leaf = schema;
  const walked: PropertyKey[] = [];
  for (const key of path) {
    const current = unwrap(leaf);
    if (!(current instanceof z.ZodObject) || !(String(key) in current.shape)) break;
    leaf = current.shape[String(key)] as z.ZodType;
    walked.push(key);
  }
  return { leaf, path: walked };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key], input);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]++;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length];
}

/** The valid key closest to a misspelled one, if it is close enough to be what was meant. */
export function nearest(key: string, candidates: readonly string[]): string | undefined {
  const [best] = [...candidates].sort((x, y) => distance(key, x) - distance(key, y));
  return best !== undefined && distance(key, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

const dotted = (path: readonly PropertyKey[]) => path.map(String).join(".");

function issueError(schema: z.ZodType, input: unknown, issue: z.core.$ZodIssue, prefix: string[]): ConfigError {
  if (issue.code === "unrecognized_keys") {
    const owner = unwrap(settingAt(schema, issue.path).leaf);
    const known = owner instanceof z.ZodObject ? Object.keys(owner.shape) : [];
    const [key] = issue.keys;
    const guess = nearest(key, known);
    const where = dotted([...prefix, ...issue.path, key]);
    const hint = guess ? `did you mean ${dotted([...prefix, ...issue.path, guess])}? ` : "";
    return new ConfigError(`nexus config: ${where} is not a setting; ${hint}allowed here: ${known.join(", ")}`);
  }
  const { leaf, path } = settingAt(schema, issue.path);
  const inner = unwrap(leaf);
  const allowed =
    allowedOf(leaf) ??
    allowedOf(inner) ??
    (inner instanceof z.ZodObject ? `an object with ${Object.keys(inner.shape).join(", ")}` : "a valid value");
  return invalid(dotted([...prefix, ...path]), valueAt(input, path), allowed);
}

/** Parses `input`, or throws the first problem as one line naming `prefix`.<path>. */
export function parseSettings<T extends z.ZodType>(schema: T, input: unknown, prefix: string[]): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw issueError(schema, input, result.error.issues[0], prefix);
}
