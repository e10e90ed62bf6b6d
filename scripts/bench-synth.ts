/**
 * Synth benchmark (prints figures; not a timed test). Runs, in fresh processes:
 *  1. the app's own synth (scripts/synth-once.ts compiled by `npm run build`, run by node as
 *     cdktf.json's "app" runs main): imports + construct tree + JSON, all stacks;
 *  2. `cdktf synth` end to end (CLI start, app, output);
 *  3. `npm run synth` end to end (scripts/synth.mjs: incremental tsc -b, then the app as the CLI runs it).
 * Usage: npm run bench:synth [-- runs]   (default 5 runs each; the median is reported)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runs = Number(process.argv[2] ?? 5);
const root = join(__dirname, "..");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function appSynth(): { appSeconds: number; processSeconds: number; peakRssMb: number } {
  const out = mkdtempSync(join(tmpdir(), "nexus-synth-"));
  // The compiled app (npm run build), as `cdktf synth` runs it (cdktf.json "app").
  const run = spawnSync(process.execPath, [join(root, "build/scripts/synth-once.js"), out], {
    cwd: root,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`synth-once failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

function cliSynth(): number {
  const started = performance.now();
  const run = spawnSync(
    join(root, "node_modules/.bin/cdktf"),
    ["synth", "--output", mkdtempSync(join(tmpdir(), "nexus-cli-"))],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" },
    },
  );
  if (run.status !== 0) throw new Error(`cdktf synth failed: ${run.stderr}`);
  return (performance.now() - started) / 1000;
}

function npmSynth(): number {
  const started = performance.now();
  const run = spawnSync(
    "npm",
    ["run", "--silent", "synth", "--", "--output", mkdtempSync(join(tmpdir(), "nexus-npm-"))],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (run.status !== 0) throw new Error(`npm run synth failed: ${run.stderr}`);
  return (performance.now() - started) / 1000;
}

const app = Array.from({ length: runs }, appSynth);
const cli = Array.from({ length: runs }, cliSynth);
console.log(`synth benchmark, ${runs} runs each, median (3 stacks: bootstrap, dev, prod)`);
const fig = (key: "appSeconds" | "processSeconds" | "peakRssMb") => median(app.map((r) => r[key]));
console.log(`app synth (imports + constructs + JSON): ${fig("appSeconds").toFixed(2)} s`);
console.log(
  `app synth process (with node startup):   ${fig("processSeconds").toFixed(2)} s, peak RSS ${fig("peakRssMb").toFixed(0)} MB`,
);
console.log(`cdktf synth end to end:                  ${median(cli).toFixed(2)} s`);
const npm = Array.from({ length: runs }, npmSynth);
console.log(
  `npm run synth end to end (unchanged tree): ${median(npm).toFixed(2)} s (range ${Math.min(...npm).toFixed(2)} to ${Math.max(...npm).toFixed(2)})`,
);
