// Shared set-up for the end-to-end tests: the loopback Ollama test server, a
// scratch data dir, tauri-driver, and a WebDriver session on the real app.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdtempSync, mkdirSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import net from "node:net";
import { remote } from "webdriverio";

export const root = resolve(import.meta.dirname, "../..");
/** The app the tests drive: the debug build, or `WHETSTONE_APP` (a path, absolute or from the root). */
export const appBinary = resolve(root, process.env.WHETSTONE_APP ?? "target/debug/whetstone");
export const testkitBinary = join(root, "target/debug/whet-testkit");
export const whetBinary = join(root, "target/debug/whet");
export const artifacts = join(root, "artifacts/e2e");
mkdirSync(artifacts, { recursive: true });

/**
 * Starts `whet-testkit KIND …` (ollama, openai, azure, anthropic, gemini, bedrock);
 * resolves to { url, stop() }, `url` being what a provider of that kind takes as its
 * base URL.
 */
export async function startTestServer(kind, args = []) {
  const child = spawn(testkitBinary, [kind, "--addr", "127.0.0.1:0", ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = await once(lines, "line");
  const match = /listening on (\S+)/.exec(first);
  if (!match) throw new Error(`unexpected first line from whet-testkit ${kind}: ${first}`);
  return {
    url: match[1],
    async stop() {
      child.kill("SIGTERM");
      await once(child, "exit").catch(() => {});
    },
  };
}

export const startOllama = (args = []) => startTestServer("ollama", args);

/** Runs `whet --data-dir DIR …` and returns its stdout; throws with stderr on failure. */
export function whet(dataDir, args) {
  return execFileSync(whetBinary, ["--data-dir", dataDir, ...args], { encoding: "utf8" });
}

export function scratchDir(prefix) {
  return mkdtempSync(join(tmpdir(), `whetstone-${prefix}-`));
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((res) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), res(true)));
      socket.once("error", () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

let nextPort = 4444;

/**
 * Launches `binary` (the app by default) through tauri-driver with `env` for the app
 * (it inherits tauri-driver's environment) and returns { browser, driver, startedAt,
 * close() }.
 */
export async function launchApp({ dataDir, env = {}, binary = appBinary }) {
  const port = nextPort;
  const nativePort = nextPort + 1;
  nextPort += 2;
  // Own process group, killed as a whole: an app that outlives its WebDriver session
  // must not linger. Output goes to a log file, never to the test runner's pipes,
  // which a stray WebKit process would otherwise hold open and hang the run.
  const log = openSync(join(artifacts, `tauri-driver-${port}.log`), "w");
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    // The webview keeps its storage under XDG_DATA_HOME: a fresh one per launch keeps
    // tests independent of each other and of earlier runs on this machine.
    env: {
      ...process.env,
      WHETSTONE_DATA_DIR: dataDir,
      XDG_DATA_HOME: join(dataDir, "xdg-data"),
      XDG_CACHE_HOME: join(dataDir, "xdg-cache"),
      ...env,
    },
    stdio: ["ignore", log, log],
    detached: true,
  });
  await waitForPort(port, 15000);
  const startedAt = performance.now();
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "warn",
    connectionRetryTimeout: 120000,
    capabilities: { "tauri:options": { application: binary } },
  });
  return {
    browser,
    driver,
    startedAt,
    async close() {
      await browser.deleteSession().catch(() => {});
      // SIGTERM to the whole group (tauri-driver, WebKitWebDriver, the app and its
      // WebKit processes), then SIGKILL whatever is left after a grace period.
      const killGroup = (signal) => {
        try {
          process.kill(-driver.pid, signal);
        } catch {
          // the group is already gone
        }
      };
      killGroup("SIGTERM");
      await Promise.race([once(driver, "exit").catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
      killGroup("SIGKILL");
      closeSync(log);
    },
  };
}

export const byTestId = (id) => `[data-testid="${id}"]`;

/**
 * Types `text` at the end of a content-editable element (the editor), newlines as
 * Enter presses. Element Send Keys, not key actions: WebKitWebDriver's key actions
 * drop a key that repeats the previous one ("ll", "{{").
 */
export async function typeInto(element, text) {
  await element.addValue(text.replaceAll("\n", "\uE007"));
}

export async function screenshot(browser, name) {
  const path = join(artifacts, `${name}.png`);
  await browser.saveScreenshot(path);
  return path;
}
