/**
 * `npm run profile:worker [-- --files 1000]`: drains a preloaded backlog with the worker as it
 * ships (the benchmark's contender process) under `node --cpu-prof`, then prints the functions with
 * the most self time and the share of each part (AWS SDK, Node, pg, the worker, GC). The profile
 * stays in .local/profile for Chrome DevTools or speedscope.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, startPostgres } from "../local/services";
import { CONTENDERS, ContenderName } from "./contender";
import { drain, startEmulator } from "./worker-bench";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function part(url: string, name: string): string {
  if (name === "(garbage collector)") return "GC";
  if (name === "(program)" || name === "(idle)" || name === "(root)") return name;
  if (/@aws-sdk|@smithy|@aws-crypto/.test(url)) return "AWS SDK";
  if (/node_modules\/(pg|pg-[a-z-]+)\//.test(url)) return "pg";
  if (/worker\/dist\//.test(url)) return "worker";
  if (/sqs-consumer|build\/scripts\/bench/.test(url)) return "contender";
  if (url.startsWith("node:") || url === "") return "Node";
  return "other";
}

export function summarize(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const parts = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const us = profile.timeDeltas[i] ?? 0;
    if (functionName === "(idle)") return;
    total += us;
    const where = url ? `${url.replace(/^.*node_modules\//, "").replace(REPO_ROOT + "/", "")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"} ${where}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const p = part(url, functionName);
    parts.set(p, (parts.get(p) ?? 0) + us);
  });
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`.padStart(6);
  const lines = [`busy ${(total / 1000).toFixed(0)} ms (idle excluded)`, "", "by part:"];
  for (const [p, us] of [...parts].sort((a, b) => b[1] - a[1])) lines.push(`${pct(us)}  ${p}`);
  lines.push("", `top ${top} functions by self time:`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${key}`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  process.removeAllListeners("warning");
  const i = process.argv.indexOf("--contender");
  const contender = (i > 0 ? process.argv[i + 1] : "worker") as ContenderName;
  if (!CONTENDERS.includes(contender)) throw new Error(`--contender must be one of ${CONTENDERS.join(", ")}`);
  const dir = join(REPO_ROOT, ".local", "profile");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const [moto, pg] = await Promise.all([startEmulator(), startPostgres()]);
  try {
    for (const run of await drain(moto, pg, contender, 1, dir))
      console.log(`${contender} ${run.phase}: ${run.files} files, ${(run.cpuMs / run.files).toFixed(2)} CPU ms/file`);
  } finally {
    await Promise.all([moto.stop(), pg.destroy()]);
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  console.log(`profile: ${join(dir, file)} (whole process life, start-up included)\n`);
  console.log(summarize(JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile));
}

main().catch((err) => {
  console.error(`profile:worker failed: ${err.stack ?? err}`);
  process.exit(1);
});
