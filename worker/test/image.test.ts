/**
 * The Dockerfile's recipe, exercised without a Docker engine: scripts/image-steps.sh performs
 * the same stages, and the runtime tree it leaves is run against the local services.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMigration } from "../../scripts/local/pipeline";
import { REPO_ROOT } from "../../scripts/local/services";
import { eventually, freshPipeline, upload, useServices } from "./harness";

jest.setTimeout(180000);
const out = mkdtempSync(join(tmpdir(), "nexus-image-"));

beforeAll(() => {
  execFileSync(join(REPO_ROOT, "scripts", "image-steps.sh"), [out], { stdio: "inherit" });
});
const ctx = useServices();

test("the runtime tree holds the compiled worker and production dependencies only", () => {
  const app = join(out, "app");
  expect(existsSync(join(app, "dist", "index.js"))).toBe(true);
  expect(existsSync(join(app, "dist", "healthcheck.js"))).toBe(true);
  expect(existsSync(join(app, "dist", "migrate.js"))).toBe(true);
  expect(existsSync(join(app, "node_modules", "pg"))).toBe(true);
  expect(existsSync(join(app, "node_modules", "@aws-sdk", "rds-signer"))).toBe(true);
  expect(existsSync(join(app, "node_modules", "typescript"))).toBe(false); // dev dependency pruned
  expect(existsSync(join(app, "src"))).toBe(false);
});

test("the built migration runs (again: idempotent), then the built worker processes an upload and its health check passes", async () => {
  const { pipeline, env, migration, rows, name } = await freshPipeline(ctx.services);
  const migrated = await runMigration({ ...migration, LOG_LEVEL: "info" }, join(out, "app", "dist", "migrate.js"));
  expect(JSON.parse(migrated.trim().split("\n").pop()!)).toMatchObject({ msg: "migrations done", applied: 0 });
  const worker = spawn(process.execPath, ["dist/index.js"], {
    cwd: join(out, "app"),
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
  try {
    await upload(pipeline, "from-image.txt", "built without docker");
    await eventually("the row", async () => (await rows()).length === 1, 60000);
    const health = () =>
      execFileSync(process.execPath, ["dist/healthcheck.js"], {
        cwd: join(out, "app"),
        env: { ...process.env, HEALTH_FILE: `/tmp/${name}.health` },
      });
    expect(health).not.toThrow();
  } finally {
    worker.kill("SIGTERM");
  }
  const code = await new Promise((resolve) => worker.once("exit", resolve));
  expect(code).toBe(0);
});

test("the health check fails when the poll loop has not stamped recently", () => {
  const stale = join(out, "stale.health");
  execFileSync("bash", ["-c", `echo ${Date.now() - 600_000} > ${stale}`]);
  expect(() =>
    execFileSync(process.execPath, ["dist/healthcheck.js"], {
      cwd: join(out, "app"),
      env: { ...process.env, HEALTH_FILE: stale },
      stdio: "pipe",
    }),
  ).toThrow();
});
