import { beforeEach, describe, expect, it, vi } from "vitest";
import type { RunState } from "./state.svelte";
import { AppState } from "../app/state.svelte";
import { freshBackend, ollamaServer, ownBridge } from "../test/bridge";
import { withTwoPrompts } from "../test/window";

beforeEach(() => localStorage.clear());

/** Waits until the run has ended. */
async function runEnded(run: RunState): Promise<void> {
  await vi.waitFor(() => expect(run.running).toBe(false), { timeout: 5000 });
}

describe("run: runs", () => {
  it("runs every pane with the current variables and ends with final states", async () => {
    const backend = await freshBackend();
    // An Ollama that answers, but has not the model pane 2 asks for.
    const other = await ollamaServer("--models", "other");
    await backend.updateProvider({ ...(await backend.listProviders()).find((p) => p.id === "ollama")!, base_url: other });
    const { app, a } = await withTwoPrompts(backend);
    const { editor, run } = app;
    const startRun = vi.spyOn(app.backend, "startRun");
    editor.setDraft("user:\ntell me about {{ topic }}");
    await vi.waitFor(() => expect(editor.analysis?.variables).toEqual(["topic"]));
    editor.setVar("topic", "otters");
    run.updatePane(run.panes[0].key, (p) => {
      p.target.provider = "echo";
      p.target.model = "echo";
    });
    run.updatePane(run.panes[1].key, (p) => {
      p.target.provider = "ollama";
      p.target.model = "llama3.2";
    });
    await run.run();
    const spec = startRun.mock.calls[0][0];
    expect(spec.prompt_id).toBe(a.id);
    expect(spec.cases).toEqual([{ id: "", vars: { topic: "otters" }, assertions: [] }]);
    expect(spec.variants[0].source).toEqual({ kind: "draft", prompt_id: a.id, template: "user:\ntell me about {{ topic }}" });
    await runEnded(run);
    const panes = run.shownRun?.panes ?? [];
    expect(panes[0]?.status).toBe("ok");
    expect(panes[0]?.output).toBe("user:\ntell me about otters");
    expect(panes[1]?.status).toBe("error");
    expect(panes[1]?.error).toContain("llama3.2");
    await vi.waitFor(() => expect(run.runs).toHaveLength(1));
  });

  it("keeps partial output visible after cancel", async () => {
    const backend = await freshBackend();
    const slow = await ollamaServer("--chunk-delay-ms", "100", "--models", "slow", "--reply", "one two three four five six seven eight nine ten");
    await backend.updateProvider({ ...(await backend.listProviders()).find((p) => p.id === "ollama")!, base_url: slow });
    const { app } = await withTwoPrompts(backend);
    const { run } = app;
    app.editor.setDraft("user:\nhello");
    run.updatePane(run.panes[0].key, (p) => {
      p.target.provider = "ollama";
      p.target.model = "slow";
    });
    run.removePane(run.panes[1].key);
    await run.run();
    await vi.waitFor(() => expect(run.shownRun?.panes[0]?.output.length).toBeGreaterThan(0), { timeout: 5000 });
    await run.cancel();
    await runEnded(run);
    expect(run.shownRun?.status).toBe("cancelled");
    expect(run.shownRun?.panes[0]?.status).toBe("cancelled");
    expect(run.shownRun?.panes[0]?.output.length).toBeGreaterThan(0);
    expect(run.shownRun?.panes[0]?.output).not.toContain("ten");
  });
});

describe("run: panes", () => {
  it("saves the first draft pane's target as the draft's target", async () => {
    const { app, a, backend } = await withTwoPrompts();
    const { run } = app;
    run.updatePane(run.panes[0].key, (p) => {
      p.target.provider = "echo";
      p.target.model = "echo";
    });
    await app.editor.flushDraft();
    expect((await backend.getPrompt(a.id)).draft_target).toMatchObject({ provider: "echo", model: "echo" });
  });

  it("adds panes up to four and keeps at least one", async () => {
    const { app } = await withTwoPrompts();
    const { run } = app;
    expect(run.panes).toHaveLength(2);
    run.addPane();
    run.addPane();
    run.addPane();
    run.addPane();
    expect(run.panes).toHaveLength(4);
    for (const pane of [...run.panes]) run.removePane(pane.key);
    expect(run.panes).toHaveLength(1);
  });

  it("remembers the pane setup per prompt", async () => {
    const { app, a, b } = await withTwoPrompts();
    const { run } = app;
    run.addPane();
    run.updatePane(run.panes[2].key, (p) => (p.target.model = "hand-typed:latest"));
    await app.select(b.id);
    expect(run.panes).toHaveLength(2);
    await app.select(a.id);
    expect(run.panes).toHaveLength(3);
    expect(run.panes[2].target.model).toBe("hand-typed:latest");
  });

  it("keeps pane setups of different libraries apart (prompt ids repeat across libraries)", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const [one, two] = [mkdtempSync(`${tmpdir()}/whetstone-ui-`), mkdtempSync(`${tmpdir()}/whetstone-ui-`)];
    const first = await withTwoPrompts(await ownBridge(["--data-dir", one]));
    first.app.run.addPane();
    expect(first.app.run.panes).toHaveLength(3);
    const second = await withTwoPrompts(await ownBridge(["--data-dir", two]));
    expect(second.a.id).toBe(first.a.id);
    expect(second.app.run.panes).toHaveLength(2);
    const again = new AppState(await ownBridge(["--data-dir", one]));
    await again.init();
    await again.select(first.a.id);
    expect(again.run.panes).toHaveLength(3);
  });
});
