import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppStore, AUTOSAVE_MS } from "./store.svelte";
import { FakeBackend } from "../platform/fake";

beforeEach(() => {
  vi.useFakeTimers();
  localStorage.clear();
});
afterEach(() => vi.useRealTimers());

async function started(options: ConstructorParameters<typeof FakeBackend>[0] = {}) {
  const backend = new FakeBackend({ tickMs: 5, chunkChars: 50, ...options });
  const a = await backend.createPrompt("A");
  const b = await backend.createPrompt("B");
  const store = new AppStore(backend);
  const init = store.init();
  await vi.runAllTimersAsync();
  await init;
  return { backend, store, a, b, saveDraft: vi.spyOn(backend, "saveDraft") };
}

describe("AppStore autosave", () => {
  it("saves the draft once, with the latest text, after typing pauses", async () => {
    const { store, a, backend, saveDraft } = await started();
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
    expect((await backend.getPrompt(a.id)).draft).toBe("user:\n12");
    expect(store.saveState).toBe("saved");
  });

  it("saves a pending draft before switching to another prompt", async () => {
    const { store, a, b, backend, saveDraft } = await started();
    store.setDraft("user:\ntyped just now");
    await store.select(b.id);
    expect(saveDraft).toHaveBeenCalledExactlyOnceWith(a.id, "user:\ntyped just now", expect.anything());
    expect((await backend.getPrompt(a.id)).draft).toBe("user:\ntyped just now");
    expect(store.prompt?.id).toBe(b.id);
    // The timer of the old prompt must not write its text into the new one.
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2);
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect((await backend.getPrompt(b.id)).draft).not.toContain("typed just now");
  });
});

describe("AppStore runs", () => {
  it("runs every pane with the current variables and ends with final states", async () => {
    const { store, a, backend } = await started();
    const startRun = vi.spyOn(backend, "startRun");
    store.setDraft("user:\ntell me about {{ topic }}");
    await vi.advanceTimersByTimeAsync(500);
    expect(store.analysis?.variables).toEqual(["topic"]);
    store.setVar("topic", "otters");
    store.updatePane(store.panes[0].key, (p) => {
      p.target.provider = "echo";
      p.target.model = "echo";
    });
    store.updatePane(store.panes[1].key, (p) => (p.target.model = "missing-model"));
    const running = store.run();
    await running;
    expect(store.running).toBe(true);
    const spec = startRun.mock.calls[0][0];
    expect(spec.prompt_id).toBe(a.id);
    expect(spec.cases).toEqual([{ vars: { topic: "otters" } }]);
    expect(spec.panes[0].source).toEqual({ kind: "draft", prompt_id: a.id, template: "user:\ntell me about {{ topic }}" });
    await vi.runAllTimersAsync();
    expect(store.running).toBe(false);
    const panes = store.shownRun?.panes ?? [];
    expect(panes[0]?.status).toBe("ok");
    expect(panes[0]?.output).toBe("tell me about otters");
    expect(panes[1]?.status).toBe("error");
    expect(store.runs).toHaveLength(1);
  });

  it("keeps partial output visible after cancel", async () => {
    const { store } = await started({ tickMs: 50, chunkChars: 4 });
    void store.run();
    await vi.advanceTimersByTimeAsync(400);
    expect(store.shownRun?.panes[0]?.output.length).toBeGreaterThan(0);
    await store.cancel();
    await vi.runAllTimersAsync();
    expect(store.running).toBe(false);
    expect(store.shownRun?.status).toBe("cancelled");
    expect(store.shownRun?.panes[0]?.status).toBe("partial");
    expect(store.shownRun?.panes[0]?.output.length).toBeGreaterThan(0);
  });

  it("reports an unchanged version save as a notice, not an error", async () => {
    const { store } = await started();
    expect(await store.saveVersion("first")).toBeNull();
    expect(store.versions.map((v) => v.number)).toEqual([1]);
    expect(store.dirty).toBe(false);
    expect(await store.saveVersion("again")).toBeNull();
    expect(store.versions).toHaveLength(1);
    expect(store.toasts.at(-1)?.text).toContain("Nothing changed");
  });

  it("shows a library error and loads nothing else", async () => {
    const backend = new FakeBackend({ libraryError: "The library was written by a newer Whetstone." });
    const listPrompts = vi.spyOn(backend, "listPrompts");
    const store = new AppStore(backend);
    await store.init();
    expect(store.libraryError).toContain("newer Whetstone");
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
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect((await backend.getPrompt(a.id)).draft_target).toMatchObject({ provider: "echo", model: "echo" });
  });

  it("adds panes up to four and keeps at least one", async () => {
    const { store } = await started();
    expect(store.panes).toHaveLength(2);
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
    const first = await started({ dataDir: "/libraries/one" });
    first.store.addPane();
    expect(first.store.panes).toHaveLength(3);
    const second = await started({ dataDir: "/libraries/two" });
    expect(second.a.id).toBe(first.a.id);
    expect(second.store.panes).toHaveLength(2);
    const again = await started({ dataDir: "/libraries/one" });
    expect(again.store.panes).toHaveLength(3);
  });
});
