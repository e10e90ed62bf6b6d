/**
 * A Docker engine for the build mode, started and stopped by the e2e: Debian's dockerd (npm run setup
 * installs docker.io without starting its service) as root, with its own socket, data root and exec
 * root, touching no host networking (`--iptables=false --ip6tables=false --bridge=none`: builds run with
 * `--network host`, containers with the host's network). Its data root stays in .toolchain/docker, so
 * the base image (scripts/docker/base-images.sh) and the build cache outlive one run. Stopped by PID.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { REPO_ROOT } from "../local/services";

/** Debian's client, the same release as its engine (the machine's /usr/local/bin/docker is newer). */
export const DOCKER_CLI = "/usr/bin/docker";
const DOCKERD = "/usr/sbin/dockerd";
const STATE = join(REPO_ROOT, ".toolchain", "docker");

export interface Engine {
  /** DOCKER_HOST for the CLI and the Terraform provider. */
  readonly host: string;
  readonly version: string;
  /** The engine's CLI with DOCKER_HOST set; throws with its output when it fails. */
  docker(args: string[], options?: { input?: string }): string;
  stop(): Promise<void>;
}

/**
 * Why this machine cannot run the engine, in one line; undefined when it can. The paths and uid are
 * parameters for the tests only.
 */
export function engineMissing(
  machine: { dockerd: string; cli: string; uid?: number } = {
    dockerd: DOCKERD,
    cli: DOCKER_CLI,
    uid: process.getuid?.(),
  },
): string | undefined {
  const missing = [machine.dockerd, machine.cli].filter((path) => !existsSync(path));
  if (missing.length > 0)
    return `no Docker engine: ${missing.join(" and ")} missing (npm run setup installs Debian's docker.io as root)`;
  if (machine.uid !== 0) return "no Docker engine: dockerd needs root here (the e2e starts its own engine)";
  return undefined;
}

export async function startEngine(log: (line: string) => void): Promise<Engine> {
  const missing = engineMissing();
  if (missing) throw new Error(missing);
  // Socket and exec root under /run or /tmp: a unix socket path has at most 107 bytes.
  const id = createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 8);
  const exec = join("/tmp", `nexus-docker-${id}`);
  const socket = join(exec, "docker.sock");
  unmountUnder(exec); // what an engine that was killed left mounted (its network namespace)
  rmSync(exec, { recursive: true, force: true });
  mkdirSync(exec, { recursive: true });
  mkdirSync(join(STATE, "data"), { recursive: true });
  const logFile = join(STATE, "dockerd.log");
  const child: ChildProcess = spawn(
    DOCKERD,
    [
      `--host=unix://${socket}`,
      `--data-root=${join(STATE, "data")}`,
      `--exec-root=${join(exec, "exec")}`,
      `--pidfile=${join(exec, "dockerd.pid")}`,
      "--iptables=false",
      "--ip6tables=false",
      "--bridge=none",
    ],
    { stdio: ["ignore", openSync(logFile, "w"), openSync(logFile, "a")] },
  );
  const host = `unix://${socket}`;
  const docker = (args: string[], options: { input?: string } = {}) =>
    execFileSync(DOCKER_CLI, args, {
      env: { ...process.env, DOCKER_HOST: host },
      encoding: "utf8",
      input: options.input,
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 << 20,
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    unmountUnder(exec); // dockerd leaves its network namespace mounted
    rmSync(exec, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}: ${tail(logFile)}`);
    try {
      const version = docker(["version", "--format", "{{.Server.Version}}"]).trim();
      log(
        `Docker engine ${version} (pid ${child.pid}, ${host}, storage ${docker(["info", "--format", "{{.Driver}}"]).trim()})`,
      );
      return { host, version, docker, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`dockerd did not answer within 60 s: ${tail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Makes the Dockerfile's base image in the engine unless it has it (scripts/docker/base-images.sh). */
export function ensureBaseImage(engine: Engine): string {
  return execFileSync("bash", [join(REPO_ROOT, "scripts", "docker", "base-images.sh")], {
    env: { ...process.env, DOCKER_HOST: engine.host, DOCKER_CLI },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1])
    .filter((point) => point?.startsWith(`${dir}/`));
  for (const point of mounts.reverse()) execFileSync("umount", [point]);
}

const tail = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").slice(-5).join(" | ") : "";
