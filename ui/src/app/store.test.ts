import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppStore, AUTOSAVE_MS } from "./store.svelte";
import type { Backend, Prompt } from "../ipc/bindings";
import { freshBackend, ollamaServer, ownBridge } from "../test/bridge";

beforeEach(() => localStorage.clear());
afterEach(() => vi.useRealTimers());

/** A window on `backend` with two prompts, A (selected) and B. */
async function started(backend?: Backend): Promise<{ backend: Backend; store: AppStore; a: Prompt; b: Prompt }> {
  backend ??= await freshBackend();
  const a = await backend.createPrompt("A");
  const b = await backend.createPrompt("B");
  const store = new AppStore(backend);
  await store.init();
  // The library lists the most recently changed prompt first.
  await store.select(a.id);
  return { backend, store, a, b };
}

/** Points the library's Ollama at a port where nothing listens. */
async function ollamaDown(backend: Backend): Promise<void> {
  const ollama = (await backend.listProviders()).find((p) => p.id === "ollama")!;
  await backend.updateProvider({ ...ollama, base_url: "http://127.0.0.1:9" });
}

/** Waits until the store's run has ended. */
async function runEnded(store: AppStore): Promise<void> {
  await vi.waitFor(() => expect(store.running).toBe(false), { timeout: 5000 });
}

describe("AppStore autosave", () => {
  it("saves the draft once, with the latest text, after typing pauses", async () => {
    const { store, a, backend } = await started();
    const saveDraft = vi.spyOn(store.backend, "saveDraft");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    expect(store.prompt?.id).toBe(a.id);
    store.setDraft("user:\n1");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 100);
    store.setDraft("user:\n12");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 1);
    expect(saveDraft).not.toHaveBeenCalled();
    expect(store.saveState).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect(saveDraft.mock.calls[0].slice(0, 2)).toEqual([a.id, "user:\n12"]);
    await vi.waitFor(() => expect(store.saveState).toBe("saved"));
    expect((await backend.getPrompt(a.id)).draft).toBe("user:\n12");
  });

  it("saves a pending draft before switching to another prompt", async () => {
    const { store, a, b, backend } = await started();
    const saveDraft = vi.spyOn(store.backend, "saveDraft");
    store.setDraft("user:\ntyped just now");
    await store.select(b.id);
    expect(saveDraft).toHaveBeenCalledExactlyOnceWith(a.id, "user:\ntyped just now", expect.anything());
    expect((await backend.getPrompt(a.id)).draft).toBe("user:\ntyped just now");
    expect(store.prompt?.id).toBe(b.id);
    // The timer of the old prompt must not write its text into the new one.
    await new Promise((resolve) => setTimeout(resolve, AUTOSAVE_MS * 2));
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect((await backend.getPrompt(b.id)).draft).not.toContain("typed just now");
  });
});

describe("AppStore runs", () => {
  it("runs every pane with the current variables and ends with final states", async () => {
    const backend = await freshBackend();
    await ollamaDown(backend);
    const { store, a } = await started(backend);
    const startRun = vi.spyOn(store.backend, "startRun");
    store.setDraft("user:\ntell me about {{ topic }}");
    await vi.waitFor(() => expect(store.analysis?.variables).toEqual(["topic"]));
    store.setVar("topic", "otters");
    store.updatePane(store.panes[0].key, (p) => {
      p.target.provider = "echo";
      p.target.model = "echo";
    });
    store.updatePane(store.panes[1].key, (p) => {
      p.target.provider = "ollama";
      p.target.model = "llama3.2";
    });
    await store.run();
    const spec = startRun.mock.calls[0][0];
    expect(spec.prompt_id).toBe(a.id);
    expect(spec.cases).toEqual([{ id: "", vars: { topic: "otters" }, assertions: [] }]);
    expect(spec.variants[0].source).toEqual({ kind: "draft", prompt_id: a.id, template: "user:\ntell me about {{ topic }}" });
    await runEnded(store);
    const panes = store.shownRun?.panes ?? [];
    expect(panes[0]?.status).toBe("ok");
    expect(panes[0]?.output).toBe("user:\ntell me about otters");
    expect(panes[1]?.status).toBe("error");
    expect(panes[1]?.error).toContain("not reachable");
    await vi.waitFor(() => expect(store.runs).toHaveLength(1));
  });

  it("keeps partial output visible after cancel", async () => {
    const backend = await freshBackend();
    const slow = await ollamaServer("--chunk-delay-ms", "100", "--models", "slow", "--reply", "one two three four five six seven eight nine ten");
    await backend.updateProvider({ ...(await backend.listProviders()).find((p) => p.id === "ollama")!, base_url: slow });
    const { store } = await started(backend);
    store.setDraft("user:\nhello");
    store.updatePane(store.panes[0].key, (p) => {
      p.target.provider = "ollama";
      p.target.model = "slow";
    });
    store.removePane(store.panes[1].key);
    await store.run();
    await vi.waitFor(() => expect(store.shownRun?.panes[0]?.output.length).toBeGreaterThan(0), { timeout: 5000 });
    await store.cancel();
    await runEnded(store);
    expect(store.shownRun?.status).toBe("cancelled");
    expect(store.shownRun?.panes[0]?.status).toBe("cancelled");
    expect(store.shownRun?.panes[0]?.output.length).toBeGreaterThan(0);
    expect(store.shownRun?.panes[0]?.output).not.toContain("ten");
  });

  it("reports an unchanged version save as a notice, not an error", async () => {
    const { store } = await started();
    store.setDraft("user:\nhi");
    expect(await store.saveVersion("first")).toBeNull();
    expect(store.versions.map((v) => v.number)).toEqual([1]);
    expect(store.dirty).toBe(false);
    expect(await store.saveVersion("again")).toBeNull();
    expect(store.versions).toHaveLength(1);
    expect(store.toasts.at(-1)?.text).toContain("nothing changed");
  });

  it("shows a library error and loads nothing else", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(`${tmpdir()}/whetstone-ui-`);
    writeFileSync(`${dir}/library.sqlite3`, "not a database, just text");
    const backend = await ownBridge(["--data-dir", dir]);
    const listPrompts = vi.spyOn(backend, "listPrompts");
    const store = new AppStore(backend);
    await store.init();
    expect(store.libraryError).toContain("not a readable Whetstone database");
    expect(listPrompts).not.toHaveBeenCalled();
  });
});

describe("AppStore panes", () => {
  it("saves the first draft pane's target as the draft's target", async () => {
    const { store, a, backend } = await started();
    store.updatePane(store.panes[0].key, (p) => {
      p.target.provider = "echo";
      p.target.model = "echo";
    });
    await store.flushDraft();
    expect((await backend.getPrompt(a.id)).draft_target).toMatchObject({ provider: "echo", model: "echo" });
  });

  it("adds panes up to four and keeps at least one", async () => {
    const { store } = await started();
    expect(store.panes).toHaveLength(2);
    store.addPane();
    store.addPane();
    store.addPane();
    store.addPane();
    expect(store.panes).toHaveLength(4);
    for (const pane of [...store.panes]) store.removePane(pane.key);
    expect(store.panes).toHaveLength(1);
  });

  it("remembers the pane setup per prompt", async () => {
    const { store, a, b } = await started();
    store.addPane();
    store.updatePane(store.panes[2].key, (p) => (p.target.model = "hand-typed:latest"));
    await store.select(b.id);
    expect(store.panes).toHaveLength(2);
    await store.select(a.id);
    expect(store.panes).toHaveLength(3);
    expect(store.panes[2].target.model).toBe("hand-typed:latest");
  });

  it("keeps pane setups of different libraries apart (prompt ids repeat across libraries)", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const [one, two] = [mkdtempSync(`${tmpdir()}/whetstone-ui-`), mkdtempSync(`${tmpdir()}/whetstone-ui-`)];
    const first = await started(await ownBridge(["--data-dir", one]));
    first.store.addPane();
    expect(first.store.panes).toHaveLength(3);
    const second = await started(await ownBridge(["--data-dir", two]));
    expect(second.a.id).toBe(first.a.id);
    expect(second.store.panes).toHaveLength(2);
    const again = new AppStore(await ownBridge(["--data-dir", one]));
    await again.init();
    await again.select(first.a.id);
    expect(again.panes).toHaveLength(3);
  });
});
