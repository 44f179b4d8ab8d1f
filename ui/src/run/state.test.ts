import { describe, expect, it, vi } from "vitest";
import type { RunState } from "./state.svelte";
import type { AppState } from "../app/state.svelte";
import type { Backend } from "../ipc/bindings";
import { freshBackend, ollamaDown, ollamaServer, ownBridge } from "../test/bridge";
import { startedApp, withTwoPrompts } from "../test/window";

/** Waits until the run has ended. */
async function runEnded(run: RunState): Promise<void> {
  await vi.waitFor(() => expect(run.running).toBe(false), { timeout: 5000 });
}

/** Waits until the run check answers what the window holds now. */
async function checked(app: AppState): Promise<void> {
  await app.editor.analyzeNow();
  await vi.waitFor(async () => {
    app.run.changed();
    // The check is debounced; its answer lands on `check`.
    await new Promise((r) => setTimeout(r, 250));
    expect(app.run.check).not.toBeNull();
  });
  await new Promise((r) => setTimeout(r, 300));
}

/** The library's Ollama points at a loopback test server with these arguments. */
async function ollamaAt(backend: Backend, ...args: string[]): Promise<void> {
  const url = await ollamaServer(...args);
  const ollama = (await backend.listProviders()).find((p) => p.id === "ollama")!;
  await backend.updateProvider({ ...ollama, base_url: url });
}

function onEcho(run: RunState): void {
  for (const pane of run.panes) {
    run.updatePane(pane.key, (p) => {
      p.target.provider = "echo";
      p.target.model = "echo";
    });
  }
}

describe("run: runs", () => {
  it("runs every pane with the current variables and ends with final states", async () => {
    const backend = await freshBackend();
    // An Ollama that answers, but has not the model pane 2 asks for.
    await ollamaAt(backend, "--models", "other");
    const { app, a } = await withTwoPrompts(backend);
    const { editor, run } = app;
    const startRun = vi.spyOn(app.backend, "startRun");
    editor.setDraft("user:\ntell me about {{ topic }}");
    await vi.waitFor(() => expect(editor.analysis?.variables).toEqual(["topic"]));
    editor.setVarText("topic", "otters");
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
    // The default asks the core's rule: cache only what cannot vary.
    expect(spec.use_cache).toBeNull();
    await runEnded(run);
    const panes = run.shownRun?.panes ?? [];
    expect(panes[0]?.status).toBe("ok");
    expect(panes[0]?.output).toBe("user:\ntell me about otters");
    expect(panes[1]?.status).toBe("error");
    expect(panes[1]?.error).toContain("llama3.2");
    await vi.waitFor(() => expect(run.runs).toHaveLength(1));
  });

  it("keeps partial output visible after Stop", async () => {
    const backend = await freshBackend();
    await ollamaAt(backend, "--chunk-delay-ms", "100", "--models", "slow", "--reply", "one two three four five six seven eight nine ten");
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
    // While streaming the pane counts tokens with the core's estimate.
    expect(run.shownRun?.panes[0]?.liveTokens).toBeGreaterThan(0);
    await run.stop();
    await runEnded(run);
    expect(run.shownRun?.status).toBe("cancelled");
    expect(run.shownRun?.panes[0]?.status).toBe("cancelled");
    expect(run.shownRun?.panes[0]?.output.length).toBeGreaterThan(0);
    expect(run.shownRun?.panes[0]?.output).not.toContain("ten");
  });

  it("asks for fresh answers on demand and for cached ones with the switch", async () => {
    const backend = await freshBackend();
    await ollamaAt(backend, "--models", "m");
    const { app } = await withTwoPrompts(backend);
    const { run } = app;
    app.editor.setDraft("user:\nsame question");
    for (const pane of run.panes) {
      run.updatePane(pane.key, (p) => {
        p.target.provider = "ollama";
        p.target.model = "m";
        // Temperature 0: a request that cannot vary, which the cache answers by default.
        p.target.params = { ...p.target.params, temperature: 0 };
      });
    }
    run.removePane(run.panes[1].key);
    const startRun = vi.spyOn(app.backend, "startRun");
    await run.run();
    await runEnded(run);
    expect(run.shownRun?.panes[0]?.cached).toBe(false);
    await run.run();
    await runEnded(run);
    expect(run.shownRun?.panes[0]?.cached).toBe(true);
    await run.run({ fresh: true });
    await runEnded(run);
    expect(startRun.mock.calls[2][0].use_cache).toBe(false);
    expect(run.shownRun?.panes[0]?.status).toBe("ok");
    expect(run.shownRun?.panes[0]?.cached).toBe(false);
    run.useCache = true;
    await run.run();
    await runEnded(run);
    expect(startRun.mock.calls[3][0].use_cache).toBe(true);
  });
});

describe("run: the run check", () => {
  it("disables Run with the core's reason for each refusal", async () => {
    const backend = await freshBackend();
    // An Ollama that answers, so "no model" is the only refusal of pane 2 until it goes down.
    await ollamaAt(backend, "--models", "llama3.2");
    const { app } = await withTwoPrompts(backend);
    const { editor, run } = app;
    onEcho(run);
    const startRun = vi.spyOn(app.backend, "startRun");
    const reasons = () => run.block?.reasons.join(" | ") ?? "";

    // An empty template renders no message.
    editor.setDraft("");
    await checked(app);
    expect(run.canRun).toBe(false);
    expect(reasons()).toContain("renders no message");

    // A syntax error.
    editor.setDraft("user:\n{% if x %}");
    await checked(app);
    expect(run.canRun).toBe(false);
    expect(reasons()).toContain("does not parse");

    // Missing values, all named at once.
    editor.setDraft("user:\n{{ a }} and {{ b }}");
    await checked(app);
    expect(reasons()).toContain("no value for the variables `a` and `b`");
    expect(run.block?.overridable).toBe(false);

    // An empty value: a warning Run stops for, with "run anyway".
    editor.setVarText("a", "x");
    editor.setVarText("b", "");
    await checked(app);
    expect(reasons()).toContain("the variable `b` is empty");
    expect(run.block?.overridable).toBe(true);
    await run.run();
    expect(startRun).not.toHaveBeenCalled();
    await run.run({ anyway: true });
    expect(startRun).toHaveBeenCalledTimes(1);
    await runEnded(run);

    // No model.
    editor.setVarText("b", "y");
    run.updatePane(run.panes[1].key, (p) => {
      p.target.provider = "ollama";
      p.target.model = "";
    });
    await checked(app);
    expect(reasons()).toContain("no model is chosen for Ollama");
    expect(run.paneProblems(1).map((p) => p.kind)).toEqual(["no_model"]);
    expect(run.paneProblems(0)).toEqual([]);

    // A provider known unreachable.
    await ollamaDown(backend);
    run.updatePane(run.panes[1].key, (p) => (p.target.model = "llama3.2"));
    await checked(app);
    expect(reasons()).toMatch(/not reachable/);
    expect(run.paneProblems(1).map((p) => p.kind)).toContain("provider_unreachable");

    // Back on echo, everything is in order.
    onEcho(run);
    await checked(app);
    expect(run.block).toBeNull();
    expect(run.canRun).toBe(true);
  });

  it("refuses JSON that does not parse, naming where it stops", async () => {
    const { app } = await withTwoPrompts();
    const { editor, run } = app;
    onEcho(run);
    editor.setDraft("user:\nHello {{ customer.name }}");
    await editor.analyzeNow();
    await editor.setVarMode("customer", "json");
    editor.setVarText("customer", '{"name": "Grace",');
    await vi.waitFor(() => expect(editor.entries.customer?.error).toMatch(/line 1, column \d+/));
    expect(run.block?.reasons[0]).toMatch(/the value of `customer` is not JSON/);
    expect(run.canRun).toBe(false);
    editor.setVarText("customer", '{"name": "Grace"}');
    await vi.waitFor(() => expect(editor.vars.customer).toEqual({ name: "Grace" }));
    await checked(app);
    expect(run.canRun).toBe(true);
    await run.run();
    await runEnded(run);
    expect(run.shownRun?.panes[0]?.output).toBe("user:\nHello Grace");
  });

  it("flags a template without a user message but lets it run", async () => {
    const { app } = await withTwoPrompts();
    const { editor, run } = app;
    onEcho(run);
    editor.setDraft("Summarize this: {{ text }}");
    await editor.analyzeNow();
    editor.setVarText("text", "a long article");
    await checked(app);
    const problem = run.check?.problems.find((p) => p.kind === "no_user_message");
    expect(problem?.blocking).toBe(false);
    expect(problem?.suggestion).toContain("user:");
    expect(run.checkedDraft).toBe(editor.draft);
    expect(run.canRun).toBe(true);
    // The fix is one call away: the core's suggestion becomes the draft.
    editor.setDraft(problem!.suggestion!);
    await checked(app);
    expect(run.check?.problems.some((p) => p.kind === "no_user_message")).toBe(false);
  });
});

describe("run: panes", () => {
  it("saves the first draft pane's target as the draft's target", async () => {
    const { app, a, backend } = await withTwoPrompts();
    const { run } = app;
    // Not the core's suggestion (echo as it comes), which is no choice of the prompt's own.
    run.updatePane(run.panes[0].key, (p) => {
      p.target.provider = "echo";
      p.target.model = "echo";
      p.target.params.temperature = 0.5;
    });
    await app.editor.flushDraft();
    expect((await backend.getPrompt(a.id)).draft_target).toMatchObject({ provider: "echo", model: "echo", params: { temperature: 0.5 } });
  });

  it("keeps no draft target while the first draft pane is on the core's suggestion", async () => {
    // The providers' status (the real one) answers only when let through: the edit
    // comes before it, when the window cannot tell the suggestion from a choice.
    const backend = await freshBackend();
    const status = backend.providerStatus.bind(backend);
    let letThrough = () => {};
    const gate = new Promise<void>((resolve) => (letThrough = resolve));
    backend.providerStatus = async () => (await gate, status());
    const { app, a } = await withTwoPrompts(backend);
    expect(app.providers.suggested).toBeNull();
    app.editor.setDraft("user:\nhello");
    await app.editor.flushDraft();
    expect((await backend.getPrompt(a.id)).draft_target).toBeNull();
    expect(app.editor.prompt?.draft_target).toBeNull();

    letThrough();
    await vi.waitFor(() => expect(app.providers.suggested).not.toBeNull());
    expect(app.run.panes[0].target).toMatchObject({ provider: app.providers.suggested?.provider });
    app.editor.setDraft("user:\nhello again");
    await app.editor.flushDraft();
    expect((await backend.getPrompt(a.id)).draft_target).toBeNull();
  });

  it("adds panes up to the core's limit and keeps at least one", async () => {
    const { app, backend } = await withTwoPrompts();
    const { run } = app;
    const max = (await backend.windowStart()).status.max_panes;
    expect(run.maxPanes).toBe(max);
    expect(run.panes).toHaveLength(2);
    for (let i = 0; i < max + 2; i++) run.addPane();
    expect(run.panes).toHaveLength(max);
    for (const pane of [...run.panes]) run.removePane(pane.key);
    expect(run.panes).toHaveLength(1);
  });

  it("keeps the pane setup per prompt in the library", async () => {
    const { app, a, b, backend } = await withTwoPrompts();
    const { run } = app;
    run.addPane();
    run.updatePane(run.panes[2].key, (p) => (p.target.model = "hand-typed:latest"));
    await app.select(b.id);
    expect(run.panes).toHaveLength(2);
    await app.select(a.id);
    expect(run.panes).toHaveLength(3);
    expect(run.panes[2].target.model).toBe("hand-typed:latest");
    // Where `whet run` reads it too.
    const setup = await backend.getRunSetup(a.id);
    expect(setup.saved).toBe(true);
    expect(setup.variants[2].target.model).toBe("hand-typed:latest");
  });

  it("keeps pane setups of different libraries apart (prompt ids repeat across libraries)", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const [one, two] = [mkdtempSync(`${tmpdir()}/whetstone-ui-`), mkdtempSync(`${tmpdir()}/whetstone-ui-`)];
    const first = await withTwoPrompts(await ownBridge(["--data-dir", one]));
    first.app.run.addPane();
    await first.app.run.flushSetup();
    expect(first.app.run.panes).toHaveLength(3);
    const second = await withTwoPrompts(await ownBridge(["--data-dir", two]));
    expect(second.a.id).toBe(first.a.id);
    expect(second.app.run.panes).toHaveLength(2);
    const again = await startedApp(await ownBridge(["--data-dir", one]));
    await again.app.select(first.a.id);
    expect(again.app.run.panes).toHaveLength(3);
  });
});

describe("run: a relaunch", () => {
  it("reopens the panes, the typed values and the last run's outputs", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(`${tmpdir()}/whetstone-ui-`);
    const { app, a } = await withTwoPrompts(await ownBridge(["--data-dir", dir]));
    onEcho(app.run);
    app.run.addPane();
    app.editor.setDraft("user:\n{{ who }} ordered {{ order.items | length }} items");
    await app.editor.analyzeNow();
    app.editor.setVarText("who", "Ada");
    await app.editor.setVarMode("order", "json");
    app.editor.setVarText("order", '{"items": [1, 2, 3]}');
    await vi.waitFor(() => expect(app.editor.vars.order).toEqual({ items: [1, 2, 3] }));
    await app.run.run();
    await runEnded(app.run);
    expect(app.run.shownRun?.panes[2]?.output).toBe("user:\nAda ordered 3 items");

    // Another process on the same library, as after quitting and starting again.
    const again = await startedApp(await ownBridge(["--data-dir", dir]));
    await again.app.select(a.id);
    const { editor, run } = again.app;
    expect(run.panes).toHaveLength(3);
    expect(run.panes.map((p) => p.target.provider)).toEqual(["echo", "echo", "echo"]);
    expect(editor.vars).toEqual({ who: "Ada", order: { items: [1, 2, 3] } });
    expect(editor.entries.order.mode).toBe("json");
    expect(editor.entries.who.mode).toBe("text");
    expect(run.shownRun?.panes.map((p) => p?.output)).toEqual(Array(3).fill("user:\nAda ordered 3 items"));
    expect(run.restoredRun).toBe(run.shownRun);
  });
});

describe("run: what produced a cell", () => {
  it("opens a past cell's values, messages and request, and loads its values back", async () => {
    const backend = await freshBackend();
    await ollamaAt(backend, "--models", "m");
    const { app } = await withTwoPrompts(backend);
    const { editor, run } = app;
    editor.setDraft("system:\nBe brief.\nuser:\nAbout {{ topic }}");
    await editor.analyzeNow();
    editor.setVarText("topic", "whetstones");
    run.updatePane(run.panes[0].key, (p) => {
      p.target.provider = "ollama";
      p.target.model = "m";
      p.target.params = { ...p.target.params, temperature: 0.3, seed: 7 };
    });
    run.removePane(run.panes[1].key);
    await run.run();
    await runEnded(run);
    await vi.waitFor(() => expect(run.runs).toHaveLength(1));
    editor.setVarText("topic", "something else");

    await run.openRun(run.runs[0].id);
    const cell = run.shownRun!.panes[0]!;
    await run.openDetails(cell.cellId);
    const details = run.details!;
    expect(details.cell.vars).toEqual({ topic: "whetstones" });
    expect(details.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(details.template).toContain("About {{ topic }}");
    expect(details.cell.target.params).toMatchObject({ temperature: 0.3, seed: 7 });
    expect(details.request?.curl).toMatch(/^curl /);
    expect(details.request?.curl).toContain("/api/chat");
    expect(JSON.parse(details.request!.json).body.messages[1].content).toBe("About whetstones");

    run.loadInputs();
    expect(run.details).toBeNull();
    expect(editor.vars.topic).toBe("whetstones");
    expect(editor.entries.topic.text).toBe("whetstones");
  });
});

describe("run: cost", () => {
  it("takes the run's cost from the core's numbers", async () => {
    const backend = await freshBackend();
    await ollamaAt(backend, "--models", "m");
    const { app } = await withTwoPrompts(backend);
    const { run } = app;
    app.editor.setDraft("user:\nhi");
    for (const pane of run.panes) {
      run.updatePane(pane.key, (p) => {
        p.target.provider = "ollama";
        p.target.model = "m";
      });
    }
    const runStats = vi.spyOn(app.backend, "runStats");
    await run.run();
    await runEnded(run);
    await vi.waitFor(() => expect(run.cost).not.toBeNull());
    expect(runStats).toHaveBeenCalledWith(run.shownRun!.runId);
    const stats = await backend.runStats(run.shownRun!.runId);
    expect(run.cost).toEqual({
      runId: run.shownRun!.runId,
      usd: stats.reduce((s, v) => s + v.cost_usd, 0),
      unpriced: stats.reduce((s, v) => s + v.unpriced, 0),
    });
  });
});
