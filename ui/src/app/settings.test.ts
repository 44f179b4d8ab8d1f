import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AppStore } from "./store.svelte";
import type { Backend, ProviderConfig, Target } from "../ipc/bindings";
import { freshBackend, ownBridge } from "../test/bridge";

beforeEach(() => localStorage.clear());

/** The window with its settings open, on `backend` (a fresh library by default). */
async function started(backend?: Backend) {
  backend ??= await freshBackend();
  const store = new AppStore(backend);
  await store.init();
  store.openSettings();
  await vi.waitFor(() => expect(store.entriesLoaded && store.pricesLoaded).toBe(true));
  return { backend, store };
}

/** Points the library's Ollama at a port where nothing listens. */
async function ollamaDown(backend: Backend): Promise<void> {
  const ollama = (await backend.listProviders()).find((p) => p.id === "ollama")!;
  await backend.updateProvider({ ...ollama, base_url: "http://127.0.0.1:9" });
}

/** Every file under `dir`, read whole. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [{ file, bytes: readFileSync(file) }];
  });
}

const limits = { concurrency: null, requests_per_minute: null, tokens_per_minute: null, timeout_secs: null, max_retries: null };
const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  id: "anthropic", name: "Anthropic", kind: "anthropic", base_url: null, key: { kind: "keyring" }, api_version: null, region: null, limits, ...over,
});
const target = (provider: string, model: string): Target => ({ provider, model, params: { temperature: null, top_p: null, max_tokens: null, seed: null, stop: [] } });

describe("settings: providers", () => {
  it("adds, edits and removes a provider, keeping the panes' provider list in step", async () => {
    const { store } = await started();
    expect(store.providerEntries.map((e) => e.config.id)).toEqual(["ollama", "echo"]);

    expect(await store.saveProvider(provider(), true)).toBeNull();
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.key).toBe("not_set");
    expect(store.providers.map((p) => p.id)).toContain("anthropic");

    expect(await store.saveProvider(provider({ name: "Claude", limits: { ...limits, concurrency: 2 } }), false)).toBeNull();
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.config).toMatchObject({ name: "Claude", limits: { concurrency: 2 } });
    expect(store.providers.find((p) => p.id === "anthropic")?.name).toBe("Claude");

    expect(await store.removeProvider("anthropic")).toBe(true);
    expect(store.providerEntries.map((e) => e.config.id)).toEqual(["ollama", "echo"]);
    expect(store.providers.map((p) => p.id)).toEqual(["ollama", "echo"]);
  });

  it("returns validation refusals to the form instead of saving", async () => {
    const { store, backend } = await started();
    const noUrl = await store.saveProvider(provider({ id: "vllm", name: "vLLM", kind: "openai-compatible", key: { kind: "none" } }), true);
    expect(noUrl?.code).toBe("invalid");
    expect(noUrl?.message).toContain("base URL");
    const taken = await store.saveProvider(provider({ id: "ollama" }), true);
    expect(taken?.message).toContain("already exists");
    expect((await backend.providerEntries()).map((e) => e.config.id)).toEqual(["ollama", "echo"]);
    expect(store.providerEntries).toHaveLength(2);
  });

  it("shows a connection test's models and latency, or the provider's error", async () => {
    const backend = await freshBackend();
    await ollamaDown(backend);
    const { store } = await started(backend);
    await store.testConnection("echo");
    const ok = store.connections.echo;
    expect(ok?.status).toBe("ok");
    if (ok?.status === "ok") {
      expect(ok.result.model_count).toBe(1);
      expect(ok.result.latency_ms).toBeGreaterThan(0);
    }
    await store.testConnection("ollama");
    const failed = store.connections.ollama;
    expect(failed?.status === "error" && failed.message).toContain("not reachable");
  });
});

describe("settings: keys", () => {
  it("sets and deletes a key without the secret reaching the window's state or the library", async () => {
    const { store } = await started();
    const id = `anthropic-${Date.now()}`;
    await store.saveProvider(provider({ id }), true);
    const secret = `sk-ant-SECRET-${Date.now()}`;
    expect(await store.setKey(id, secret)).toBeNull();
    expect(store.providerEntries.find((e) => e.config.id === id)?.key).toBe("set");
    // Nothing the window keeps, and no file of the library, contains the text.
    const kept = JSON.stringify({
      entries: store.providerEntries, providers: store.providers, toasts: store.toasts, connections: store.connections, models: store.models,
    });
    expect(kept).not.toContain("SECRET");
    for (const { file, bytes } of filesUnder((await store.backend.appStatus()).data_dir)) {
      expect(bytes.includes(secret), file).toBe(false);
    }
    expect(localStorage.length === 0 || !JSON.stringify({ ...localStorage }).includes("SECRET")).toBe(true);

    await store.deleteKey(id);
    expect(store.providerEntries.find((e) => e.config.id === id)?.key).toBe("not_set");
    await store.removeProvider(id);
  });

  it("surfaces a missing keyring as an error and leaves the status alone", async () => {
    const { store } = await started(await ownBridge([], { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" }));
    await store.saveProvider(provider(), true);
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.key).toBe("unavailable");
    const err = await store.setKey("anthropic", "sk-ant-x");
    expect(err?.code).toBe("keyring");
    expect(err?.message).toContain("keyring");
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.key).toBe("unavailable");
    await store.deleteKey("anthropic");
    expect(store.toasts.at(-1)).toMatchObject({ kind: "error" });
  });

  it("refuses an empty key", async () => {
    const { store } = await started();
    await store.saveProvider(provider(), true);
    expect((await store.setKey("anthropic", ""))?.code).toBe("invalid");
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.key).toBe("not_set");
  });
});

describe("settings: default target", () => {
  it("starts panes of a prompt without a pane setup on the saved default target", async () => {
    const { store, backend } = await started();
    expect(await store.saveDefaultTarget(target("echo", "echo"))).toBe(true);
    expect(await backend.defaultTarget()).toMatchObject({ provider: "echo", model: "echo" });
    await store.createPrompt("Fresh");
    expect(store.panes.length).toBeGreaterThan(0);
    for (const pane of store.panes) expect(pane.target).toMatchObject({ provider: "echo", model: "echo" });
  });

  it("is read at startup, and a prompt's own target still wins", async () => {
    const backend = await freshBackend();
    await backend.setDefaultTarget(target("echo", "echo"));
    const own = await backend.createPrompt("Own target");
    await backend.saveDraft(own.id, own.draft, target("ollama", "gemma3:4b"));
    const plain = await backend.createPrompt("Plain");
    const store = new AppStore(backend);
    await store.init();
    expect(store.defaultTarget).toMatchObject({ provider: "echo", model: "echo" });
    await store.select(own.id);
    expect(store.panes[0].target).toMatchObject({ provider: "ollama", model: "gemma3:4b" });
    await store.select(plain.id);
    expect(store.panes[0].target).toMatchObject({ provider: "echo", model: "echo" });
  });
});

describe("settings: prices", () => {
  it("loads the table with the settings, adds, edits and removes prices", async () => {
    const backend = await freshBackend();
    await backend.addProvider(provider({ id: "openai", name: "OpenAI", kind: "openai" }));
    await backend.setPrice({ provider: "openai", model: "gpt-4o-mini", input_per_mtok: 0.15, output_per_mtok: 0.6 });
    const { store } = await started(backend);
    expect(store.pricesLoaded).toBe(true);
    const seeded = store.prices.length;
    expect(seeded).toBe(1);

    expect(await store.savePrice({ provider: "openai", model: "o4-mini", input_per_mtok: 1.1, output_per_mtok: 4.4 })).toBeNull();
    expect(store.prices.find((p) => p.model === "o4-mini")).toMatchObject({ input_per_mtok: 1.1, output_per_mtok: 4.4 });

    // Editing a row into another model replaces it rather than leaving the old one.
    const old = { provider: "openai", model: "o4-mini" };
    expect(await store.savePrice({ provider: "openai", model: "o3", input_per_mtok: 2, output_per_mtok: 8 }, old)).toBeNull();
    expect(store.prices.map((p) => p.model)).toContain("o3");
    expect(store.prices.map((p) => p.model)).not.toContain("o4-mini");

    expect(await store.removePrice("openai", "o3")).toBe(true);
    expect(store.prices).toHaveLength(seeded);
  });

  it("returns the backend's refusal for the form, and saves nothing", async () => {
    const { store } = await started();
    const err = await store.savePrice({ provider: "echo", model: "echo", input_per_mtok: -1, output_per_mtok: 0 });
    expect(err).toMatchObject({ code: "invalid", field: "input_per_mtok" });
    expect(err?.message).toContain("input price");
    const empty = await store.savePrice({ provider: "echo", model: " ", input_per_mtok: 1, output_per_mtok: 1 });
    expect(empty).toMatchObject({ code: "invalid", field: "model" });
    expect(store.prices).toEqual([]);
  });

  it("drops a removed provider's prices", async () => {
    const backend = await freshBackend();
    await backend.addProvider(provider({ id: "openai", name: "OpenAI", kind: "openai", key: { kind: "none" } }));
    await backend.setPrice({ provider: "openai", model: "gpt-4o-mini", input_per_mtok: 0.15, output_per_mtok: 0.6 });
    const { store } = await started(backend);
    expect(store.prices).toHaveLength(1);
    await store.removeProvider("openai");
    expect(store.prices.filter((p) => p.provider === "openai")).toEqual([]);
  });

  it("opens the settings on a model without a price", async () => {
    const { store } = await started();
    store.closeSettings();
    store.openPriceFor("echo", "echo");
    expect(store.settingsOpen).toBe(true);
    expect(store.priceRequest).toEqual({ provider: "echo", model: "echo" });
  });
});
