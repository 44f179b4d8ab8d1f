// `npm run preview -w ui`: the UI in a browser tab on the real core. Starts
// `whet-devbridge` on a temporary library (or --data-dir DIR), then Vite's dev server
// pointed at it; stopping this stops both.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
const binary = process.env.WHET_DEVBRIDGE ?? path.join(target, "debug", "whet-devbridge");
const bridge = spawn(binary, process.argv.slice(2), { stdio: ["pipe", "pipe", "inherit"] });
bridge.on("error", (e) => {
  console.error(`could not start ${binary} (cargo build -p whetstone-devbridge): ${e.message}`);
  process.exit(1);
});
const url = await new Promise((resolve) => createInterface({ input: bridge.stdout }).once("line", (l) => resolve(l.replace(/^listening on /, ""))));
console.log(`bridge: ${url}`);
const vite = spawn("npx", ["vite", "--port", "1421", "--strictPort"], {
  stdio: "inherit",
  env: { ...process.env, VITE_BRIDGE_URL: url },
});
vite.on("exit", (code) => {
  bridge.stdin.end();
  process.exit(code ?? 0);
});
