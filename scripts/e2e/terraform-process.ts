/** Real Terraform processes that the e2e holds open: an apply waiting at its approval prompt holds the state lock. */
import { spawn } from "node:child_process";
import { terraformEnv } from "../terraform/toolchain";

export interface HeldLock {
  /** Answers "no" at the prompt: Terraform cancels the apply and releases the lock. */
  release(): Promise<void>;
}

export async function holdStateLock(stackDir: string, env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<HeldLock> {
  const full = terraformEnv(env);
  const child = spawn(full.TERRAFORM_BINARY_NAME!, [`-chdir=${stackDir}`, "apply", "-no-color", "-lock-timeout=60s"], {
    env: full,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no approval prompt within ${timeoutMs} ms:\n${output.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (data: Buffer) => {
      output += data;
      if (output.includes("Enter a value:")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`terraform apply exited ${code} before its prompt:\n${output.slice(-2000)}`));
    });
  });
  return {
    release: async () => {
      if (child.exitCode === null) child.stdin!.end("no\n");
      await exited;
    },
  };
}
