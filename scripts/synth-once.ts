/**
 * Builds and synthesizes the whole app once, in this process, and prints one JSON line:
 *  - appSeconds: the app's own synth (imports of cdktf, providers and stacks, construct tree, JSON);
 *  - processSeconds: the same from process start, so Node and tsx startup count too;
 *  - peakRssMb: the process's peak resident memory.
 * Used by bench-synth.ts; run alone with `npx tsx scripts/synth-once.ts <outdir>`.
 */
import type { App as AppType } from "cdktf";
import type * as AppModule from "../stacks/app/app";

const started = performance.now();
// Required here, not imported at the top, so module loading falls inside the timed region.
/* eslint-disable @typescript-eslint/no-require-imports -- a static import would load before `started` */
const { App } = require("cdktf") as { App: typeof AppType };
const { buildApp, repoRoot } = require("../stacks/app/app") as typeof AppModule;
/* eslint-enable @typescript-eslint/no-require-imports */

const app = new App({ outdir: process.argv[2] ?? "cdktf.out" });
buildApp(app, { repoRoot: repoRoot(), env: {} });
app.synth();
const now = performance.now(); // performance's time origin is process start
console.log(
  JSON.stringify({
    appSeconds: (now - started) / 1000,
    processSeconds: now / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
