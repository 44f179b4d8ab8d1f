import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppStore } from "./store.svelte";
import { FakeBackend } from "../platform/fake";
import type { ProviderConfig, Target } from "../ipc/bindings";

beforeEach(() => {
  vi.useFakeTimers();
  localStorage.clear();
});
afterEach(() => vi.useRealTimers());

async function started(options: ConstructorParameters<typeof FakeBackend>[0] = {}) {
  const backend = new FakeBackend({ tickMs: 5, chunkChars: 50, ...options });
  const store = new AppStore(backend);
  const init = store.init();
  await vi.runAllTimersAsync();
  await init;
  store.openSettings();
  await vi.runAllTimersAsync();
  return { backend, store };
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
    const { store } = await started({ ollamaDown: true });
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
  it("sets and deletes a key without the secret reaching the store or the fake", async () => {
    const { store, backend } = await started();
    await store.saveProvider(provider(), true);
    const secret = "sk-ant-SECRET-0123456789";
    expect(await store.setKey("anthropic", secret)).toBeNull();
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.key).toBe("set");
    // Nothing the window or the fake keeps contains the text.
    const kept = JSON.stringify({
      entries: store.providerEntries, providers: store.providers, toasts: store.toasts, connections: store.connections, models: store.models,
      backend: Object.fromEntries(Object.entries(backend).map(([k, v]) => [k, v instanceof Set ? [...v] : v])),
    });
    expect(kept).not.toContain("SECRET");
    expect(localStorage.length === 0 || !JSON.stringify({ ...localStorage }).includes("SECRET")).toBe(true);

    await store.deleteKey("anthropic");
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.key).toBe("not_set");
  });

  it("surfaces a missing keyring as an error and leaves the status alone", async () => {
    const { store } = await started({ keyringDown: true });
    await store.saveProvider(provider(), true);
    expect(store.providerEntries.find((e) => e.config.id === "anthropic")?.key).toBe("unavailable");
    const err = await store.setKey("anthropic", "sk-ant-x");
    expect(err?.code).toBe("keys");
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
    const backend = new FakeBackend();
    await backend.setDefaultTarget(target("echo", "echo"));
    const own = await backend.createPrompt("Own target");
    await backend.saveDraft(own.id, own.draft, target("ollama", "gemma3:4b"));
    const plain = await backend.createPrompt("Plain");
    const store = new AppStore(backend);
    const init = store.init();
    await vi.runAllTimersAsync();
    await init;
    expect(store.defaultTarget).toMatchObject({ provider: "echo", model: "echo" });
    await store.select(own.id);
    expect(store.panes[0].target).toMatchObject({ provider: "ollama", model: "gemma3:4b" });
    await store.select(plain.id);
    expect(store.panes[0].target).toMatchObject({ provider: "echo", model: "echo" });
  });
});

describe("settings: prices", () => {
  it("loads the table with the settings, adds, edits and removes prices", async () => {
    const { store } = await started({ seed: true });
    expect(store.pricesLoaded).toBe(true);
    const seeded = store.prices.length;
    expect(seeded).toBeGreaterThan(0);

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
    expect(err).toMatchObject({ code: "invalid" });
    expect(err?.message).toContain("input price");
    expect(store.prices).toEqual([]);
  });

  it("drops a removed provider's prices", async () => {
    const { store } = await started({ seed: true });
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
