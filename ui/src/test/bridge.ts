// Tests talk to the real core through the development bridge (`whet-devbridge`):
// the shared one started by test/bridge.global.ts, reset to an empty library per
// test, or one of their own (another data dir, no keyring). Slow or failing
// providers are the loopback servers of `whet-testkit`.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, inject } from "vitest";
import type { Backend } from "../ipc/bindings";
import { bridgeBackend, resetBridge } from "../platform/bridge";

declare module "vitest" {
  export interface ProvidedContext {
    bridgeUrl: string;
  }
}

/** The shared bridge's backend, on a new empty library. */
export async function freshBackend(): Promise<Backend> {
  const mine = ++generation;
  const url = inject("bridgeUrl");
  await resetBridge(url);
  return quietAfterReset(bridgeBackend(url), mine);
}

/** The shared bridge's backend, on a new library seeded as the window's first start seeds one. */
export async function sampleBackend(): Promise<Backend> {
  const mine = ++generation;
  const url = inject("bridgeUrl");
  await fetch(`${url}/reset`, { method: "POST", body: JSON.stringify({ samples: true }) });
  return quietAfterReset(bridgeBackend(url), mine);
}

/** How many times the shared bridge was reset. */
let generation = 0;

/**
 * `backend`, going quiet once the shared bridge is reset again: a previous test's
 * window (a debounced save still pending) must not write into the next test's
 * library. Its calls then never settle; nothing awaits that window any more.
 */
function quietAfterReset(backend: Backend, mine: number): Backend {
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => (mine === generation ? (value as (...a: unknown[]) => unknown).apply(target, args) : new Promise(() => {}));
    },
  });
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** A binary of the workspace's debug build. */
export function binary(name: string, override?: string): string {
  if (override) return override;
  return path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "debug", name);
}

const running: (() => void)[] = [];
afterEach(() => {
  for (const stop of running.splice(0)) stop();
});

/** Starts `program` (which prints `listening on URL` first); stopped after the test. */
export async function listening(program: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(program, args, { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, ...env } });
  running.push(() => child.stdin.end());
  return new Promise<string>((resolve, reject) => {
    child.on("error", (e) => reject(new Error(`could not start ${program}: ${e.message}`)));
    createInterface({ input: child.stdout }).once("line", (line) => resolve(line.replace(/^listening on /, "")));
  });
}

/** A bridge of the test's own, e.g. on a given library or without a keyring. */
export async function ownBridge(args: string[] = [], env: Record<string, string> = {}): Promise<Backend> {
  return bridgeBackend(await listening(binary("whet-devbridge", process.env.WHET_DEVBRIDGE), args, env));
}

/** A loopback Ollama server (`whet-testkit ollama`); its base URL. */
export function ollamaServer(...args: string[]): Promise<string> {
  return listening(binary("whet-testkit"), ["ollama", ...args]);
}

/** Points the library's Ollama at a port where nothing listens. */
export async function ollamaDown(backend: Backend): Promise<void> {
  const ollama = (await backend.listProviders()).find((p) => p.id === "ollama")!;
  await backend.updateProvider({ ...ollama, base_url: "http://127.0.0.1:9" });
}
