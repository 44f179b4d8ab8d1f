import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AppState } from "../app/state.svelte";
import type { Backend, ProviderConfig, Target } from "../ipc/bindings";
import { freshBackend, ollamaDown, ownBridge } from "../test/bridge";
import { startedApp } from "../test/window";

beforeEach(() => localStorage.clear());

/** The window with its settings open, on `backend` (a fresh library by default). */
async function started(backend?: Backend) {
  const { app, backend: used } = await startedApp(backend);
  const { settings, providers } = app;
  settings.open();
  await vi.waitFor(() => expect(settings.entriesLoaded && settings.pricesLoaded).toBe(true));
  return { backend: used, app, settings, providers };
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
    const { settings, providers } = await started();
    expect(settings.entries.map((e) => e.config.id)).toEqual(["ollama", "echo"]);

    expect(await settings.saveProvider(provider(), true)).toBeNull();
    expect(settings.entries.find((e) => e.config.id === "anthropic")?.key).toBe("not_set");
    expect(providers.list.map((p) => p.id)).toContain("anthropic");

    expect(await settings.saveProvider(provider({ name: "Claude", limits: { ...limits, concurrency: 2 } }), false)).toBeNull();
    expect(settings.entries.find((e) => e.config.id === "anthropic")?.config).toMatchObject({ name: "Claude", limits: { concurrency: 2 } });
    expect(providers.list.find((p) => p.id === "anthropic")?.name).toBe("Claude");

    expect(await settings.removeProvider("anthropic")).toBe(true);
    expect(settings.entries.map((e) => e.config.id)).toEqual(["ollama", "echo"]);
    expect(providers.list.map((p) => p.id)).toEqual(["ollama", "echo"]);
  });

  it("returns validation refusals to the form instead of saving", async () => {
    const { settings, backend } = await started();
    const noUrl = await settings.saveProvider(provider({ id: "vllm", name: "vLLM", kind: "openai-compatible", key: { kind: "none" } }), true);
    expect(noUrl?.code).toBe("invalid");
    expect(noUrl?.message).toContain("base URL");
    const taken = await settings.saveProvider(provider({ id: "ollama" }), true);
    expect(taken?.message).toContain("already exists");
    expect((await backend.providerEntries()).map((e) => e.config.id)).toEqual(["ollama", "echo"]);
    expect(settings.entries).toHaveLength(2);
  });

  it("shows a connection test's models and latency, or the provider's error", async () => {
    const backend = await freshBackend();
    await ollamaDown(backend);
    const { settings } = await started(backend);
    await settings.testConnection("echo");
    const ok = settings.connections.echo;
    expect(ok?.status).toBe("ok");
    if (ok?.status === "ok") {
      expect(ok.result.model_count).toBe(1);
      expect(ok.result.latency_ms).toBeGreaterThan(0);
    }
    await settings.testConnection("ollama");
    const failed = settings.connections.ollama;
    expect(failed?.status === "error" && failed.message).toContain("not reachable");
  });
});

describe("settings: keys", () => {
  it("sets and deletes a key without the secret reaching the window's state or the library", async () => {
    const { app, settings, providers } = await started();
    const id = `anthropic-${Date.now()}`;
    await settings.saveProvider(provider({ id }), true);
    const secret = `sk-ant-SECRET-${Date.now()}`;
    expect(await settings.setKey(id, secret)).toBeNull();
    expect(settings.entries.find((e) => e.config.id === id)?.key).toBe("set");
    // Nothing the window keeps, and no file of the library, contains the text.
    const kept = JSON.stringify({
      entries: settings.entries, providers: providers.list, toasts: app.notices.toasts, connections: settings.connections, models: providers.models,
    });
    expect(kept).not.toContain("SECRET");
    for (const { file, bytes } of filesUnder((await app.backend.windowStart()).status.data_dir)) {
      expect(bytes.includes(secret), file).toBe(false);
    }
    expect(localStorage.length === 0 || !JSON.stringify({ ...localStorage }).includes("SECRET")).toBe(true);

    await settings.deleteKey(id);
    expect(settings.entries.find((e) => e.config.id === id)?.key).toBe("not_set");
    await settings.removeProvider(id);
  });

  it("surfaces a missing keyring as an error and leaves the status alone", async () => {
    const { app, settings } = await started(await ownBridge([], { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" }));
    await settings.saveProvider(provider(), true);
    expect(settings.entries.find((e) => e.config.id === "anthropic")?.key).toBe("unavailable");
    const err = await settings.setKey("anthropic", "sk-ant-x");
    expect(err?.code).toBe("keyring");
    expect(err?.message).toContain("keyring");
    expect(settings.entries.find((e) => e.config.id === "anthropic")?.key).toBe("unavailable");
    await settings.deleteKey("anthropic");
    expect(app.notices.toasts.at(-1)).toMatchObject({ kind: "error" });
  });

  it("refuses an empty key", async () => {
    const { settings } = await started();
    await settings.saveProvider(provider(), true);
    expect((await settings.setKey("anthropic", ""))?.code).toBe("invalid");
    expect(settings.entries.find((e) => e.config.id === "anthropic")?.key).toBe("not_set");
  });
});

describe("settings: default target", () => {
  it("starts panes of a prompt without a pane setup on the saved default target", async () => {
    const { app, settings, backend } = await started();
    expect(await settings.saveDefaultTarget(target("echo", "echo"))).toBe(true);
    expect(await backend.defaultTarget()).toMatchObject({ provider: "echo", model: "echo" });
    await app.library.create("Fresh");
    expect(app.run.panes.length).toBeGreaterThan(0);
    for (const pane of app.run.panes) expect(pane.target).toMatchObject({ provider: "echo", model: "echo" });
  });

  it("is read at startup, and a prompt's own target still wins", async () => {
    const backend = await freshBackend();
    await backend.setDefaultTarget(target("echo", "echo"));
    const own = await backend.createPrompt("Own target");
    await backend.saveDraft(own.id, own.draft, target("ollama", "gemma3:4b"));
    const plain = await backend.createPrompt("Plain");
    const app = new AppState(backend);
    await app.init();
    expect(app.providers.defaultTarget).toMatchObject({ provider: "echo", model: "echo" });
    await app.select(own.id);
    expect(app.run.panes[0].target).toMatchObject({ provider: "ollama", model: "gemma3:4b" });
    await app.select(plain.id);
    expect(app.run.panes[0].target).toMatchObject({ provider: "echo", model: "echo" });
  });
});

describe("settings: prices", () => {
  it("loads the table with the settings, adds, edits and removes prices", async () => {
    const backend = await freshBackend();
    await backend.addProvider(provider({ id: "openai", name: "OpenAI", kind: "openai" }));
    await backend.setPrice({ provider: "openai", model: "gpt-4o-mini", input_per_mtok: 0.15, output_per_mtok: 0.6 });
    const { settings } = await started(backend);
    expect(settings.pricesLoaded).toBe(true);
    const seeded = settings.prices.length;
    expect(seeded).toBe(1);

    expect(await settings.savePrice({ provider: "openai", model: "o4-mini", input_per_mtok: 1.1, output_per_mtok: 4.4 })).toBeNull();
    expect(settings.prices.find((p) => p.model === "o4-mini")).toMatchObject({ input_per_mtok: 1.1, output_per_mtok: 4.4 });

    // Editing a row into another model replaces it rather than leaving the old one.
    const old = { provider: "openai", model: "o4-mini" };
    expect(await settings.savePrice({ provider: "openai", model: "o3", input_per_mtok: 2, output_per_mtok: 8 }, old)).toBeNull();
    expect(settings.prices.map((p) => p.model)).toContain("o3");
    expect(settings.prices.map((p) => p.model)).not.toContain("o4-mini");

    expect(await settings.removePrice("openai", "o3")).toBe(true);
    expect(settings.prices).toHaveLength(seeded);
  });

  it("returns the backend's refusal for the form, and saves nothing", async () => {
    const { settings } = await started();
    const err = await settings.savePrice({ provider: "echo", model: "echo", input_per_mtok: -1, output_per_mtok: 0 });
    expect(err).toMatchObject({ code: "invalid", field: "input_per_mtok" });
    expect(err?.message).toContain("input price");
    const empty = await settings.savePrice({ provider: "echo", model: " ", input_per_mtok: 1, output_per_mtok: 1 });
    expect(empty).toMatchObject({ code: "invalid", field: "model" });
    expect(settings.prices).toEqual([]);
  });

  it("drops a removed provider's prices", async () => {
    const backend = await freshBackend();
    await backend.addProvider(provider({ id: "openai", name: "OpenAI", kind: "openai", key: { kind: "none" } }));
    await backend.setPrice({ provider: "openai", model: "gpt-4o-mini", input_per_mtok: 0.15, output_per_mtok: 0.6 });
    const { settings } = await started(backend);
    expect(settings.prices).toHaveLength(1);
    await settings.removeProvider("openai");
    expect(settings.prices.filter((p) => p.provider === "openai")).toEqual([]);
  });

  it("opens the settings on a model without a price", async () => {
    const { settings } = await started();
    settings.close();
    settings.openPriceFor("echo", "echo");
    expect(settings.isOpen).toBe(true);
    expect(settings.priceRequest).toEqual({ provider: "echo", model: "echo" });
  });
});
