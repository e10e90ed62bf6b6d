import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Folders that are build output or installs, not sources: they never change the image tag. */
const IGNORED = new Set(["node_modules", "dist", "coverage", ".turbo"]);

function listFiles(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (IGNORED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(root, path, out);
    else if (entry.isFile()) out.push(relative(root, path));
  }
}

/**
 * A content hash of the files an image is built from (paths relative to `root`, so the
 * hash is the same on every machine). Unchanged sources give an unchanged tag, and
 * Terraform sees nothing to rebuild.
 */
export function sourceHash(root: string, entries: readonly string[]): string {
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(root, entry);
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) listFiles(root, path, files);
    else if (statSync(path, { throwIfNoEntry: false })?.isFile()) files.push(entry);
  }
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    hash
      .update(file.split("\\").join("/"))
      .update("\0")
      .update(readFileSync(join(root, file)))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}
