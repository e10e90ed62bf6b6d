/**
 * `npm run bench:sdk [-- --calls 2000 --warmup 2000 --reps 2 --delay 50 --sdk-dir DIR]`: the client
 * CPU of the per-file SDK calls, without the emulator. A local HTTPS stand-in (sdk-call.ts serve)
 * answers GetObject and ReceiveMessage(10) + DeleteMessageBatch after a fixed delay; each variant
 * runs in a fresh plain-node process, warms up, then is measured. `--sdk-dir` adds the same calls
 * through another install of @aws-sdk/client-s3 and client-sqs (a directory holding package.json).
 * docs/performance.md has the table.
 */
import { ChildProcess, execFile, fork } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../local/services";
import { CallCost, VARIANTS } from "./sdk-call";
import { certificates } from "./tls-proxy";
import { fmt, median } from "./worker-bench";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const CALLS = arg("calls", "2000");
const WARMUP = arg("warmup", "2000");
const REPS = Number(arg("reps", "2"));
const DELAY = arg("delay", "50");
const OTHER_SDK = process.argv.includes("--sdk-dir") ? join(arg("sdk-dir", ""), "package.json") : undefined;
const SCRIPT = join(REPO_ROOT, "build", "scripts", "bench", "sdk-call.js");
const WORKER_SDK = join(REPO_ROOT, "worker", "package.json");

async function main(): Promise<void> {
  const certs = certificates();
  const server: ChildProcess = fork(SCRIPT, ["serve", "0", DELAY], {
    execArgv: [], // plain node, not this process's loader
    env: { ...process.env, CERT: certs.server, KEY: certs["server-key"] },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  try {
    const { port } = await new Promise<{ port: number }>((resolve) => server.once("message", resolve));
    const contenders = [
      ...VARIANTS.map((variant) => ({ variant, sdk: WORKER_SDK, label: variant })),
      ...(OTHER_SDK
        ? [{ variant: "worker-settings" as const, sdk: OTHER_SDK, label: `worker-settings, ${OTHER_SDK}` }]
        : []),
    ];
    const costs = new Map<string, { s3: CallCost[]; sqs: CallCost[] }>(
      contenders.map((c) => [c.label, { s3: [], sqs: [] }]),
    );
    for (let rep = 0; rep < REPS; rep++) {
      for (const kind of ["s3", "sqs"] as const) {
        for (let i = 0; i < contenders.length; i++) {
          const { variant, sdk, label } = contenders[(i + rep) % contenders.length]; // interleaved
          const { stdout } = await promisify(execFile)(
            process.execPath,
            ["--no-warnings", SCRIPT, "call", variant, kind],
            {
              env: {
                ...process.env,
                ENDPOINT: `https://127.0.0.1:${port}`,
                NODE_EXTRA_CA_CERTS: certs["ca-bundle"],
                SDK_DIR: sdk,
                NEXUS_WORKER_DIR: WORKER_SDK,
                WARMUP,
                CALLS,
              },
            },
          );
          const cost = JSON.parse(stdout) as CallCost;
          costs.get(label)![kind].push(cost);
          console.error(`rep ${rep + 1} ${kind} ${label}: ${cost.cpuMsPerFile.toFixed(3)} CPU ms/file`);
        }
      }
    }
    console.log(
      `\n${CALLS} files per measurement after ${WARMUP} warm-up, ${DELAY} ms server delay, ${REPS} repetitions, medians (ranges); Node ${process.versions.node}\n`,
    );
    console.log(
      "| client | GetObject + read, CPU ms/file | ReceiveMessage(10) + DeleteMessageBatch, CPU ms/file | sum |",
    );
    console.log("|---|---|---|---|");
    for (const [label, { s3, sqs }] of costs) {
      const [a, b] = [s3, sqs].map((costs) => costs.map((c) => c.cpuMsPerFile));
      console.log(`| ${label} | ${fmt(a, 3)} | ${fmt(b, 3)} | ${(median(a) + median(b)).toFixed(3)} |`);
    }
  } finally {
    server.kill();
  }
}

main().catch((err) => {
  console.error(`bench:sdk failed: ${err.stack ?? err}`);
  process.exit(1);
});
