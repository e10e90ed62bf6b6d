/** `npm run synth` (scripts/synth.mjs) writes exactly what `cdktf synth` writes, without the CLI's start-up. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { repoRoot } from "../stacks/app/app";

jest.setTimeout(120000);
const ROOT = repoRoot();

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) =>
    readdirSync(d, { withFileTypes: true }).forEach((e) =>
      e.isDirectory()
        ? walk(join(d, e.name))
        : (out[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name), "utf8")),
    );
  walk(dir);
  return out;
}

test("npm run synth's output is byte-identical to cdktf synth's, every stack and the manifest", () => {
  const work = mkdtempSync(join(tmpdir(), "nexus-synth-"));
  const env = {
    ...process.env,
    CHECKPOINT_DISABLE: "1",
    CDKTF_HOME: join(ROOT, ".toolchain", "cdktf"),
    TF_CLI_CONFIG_FILE: join(ROOT, ".toolchain", "terraform", "cli.tfrc"),
  };
  const cli = spawnSync(join(ROOT, "node_modules", ".bin", "cdktf"), ["synth", "--output", join(work, "cli")], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  expect(cli.status).toBe(0);
  const fast = spawnSync(process.execPath, [join(ROOT, "scripts", "synth.mjs"), "--output", join(work, "fast")], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  expect(fast.status).toBe(0);
  const [a, b] = [files(join(work, "cli")), files(join(work, "fast"))];
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  expect(Object.keys(a)).toContain(join("stacks", "nexus-dev", "cdk.tf.json"));
  for (const name of Object.keys(a)) expect([name, b[name]]).toEqual([name, a[name]]);
});
