// Vitest global setup: starts `whet-devbridge` (the real core on a temporary
// library) once for the whole run; tests reach it through `inject("bridgeUrl")` and
// start each test from an empty library with `/reset`.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function bridgeBinary(): string {
  if (process.env.WHET_DEVBRIDGE) return process.env.WHET_DEVBRIDGE;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
  return path.join(target, "debug", "whet-devbridge");
}

export default async function setup(project: TestProject): Promise<() => void> {
  const binary = bridgeBinary();
  const child = spawn(binary, [], { stdio: ["pipe", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.on("error", (e) =>
      reject(new Error(`could not start ${binary} (build it with \`cargo build -p whetstone-devbridge\`): ${e.message}`)),
    );
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(line.replace(/^listening on /, "")));
  });
  project.provide("bridgeUrl", url);
  // Closing its stdin stops the bridge.
  return () => child.stdin.end();
}
