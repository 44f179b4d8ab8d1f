import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUTOSAVE_MS, VALUES_SAVE_MS } from "./state.svelte";
import { withTwoPrompts } from "../test/window";

beforeEach(() => localStorage.clear());
afterEach(() => vi.useRealTimers());

describe("editor: autosave", () => {
  it("saves the draft once, with the latest text, after typing pauses", async () => {
    const { app, a, backend } = await withTwoPrompts();
    const { editor } = app;
    const saveDraft = vi.spyOn(app.backend, "saveDraft");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    expect(editor.prompt?.id).toBe(a.id);
    editor.setDraft("user:\n1");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 100);
    editor.setDraft("user:\n12");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 1);
    expect(saveDraft).not.toHaveBeenCalled();
    expect(editor.saveState).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect(saveDraft.mock.calls[0].slice(0, 2)).toEqual([a.id, "user:\n12"]);
    await vi.waitFor(() => expect(editor.saveState).toBe("saved"));
    expect((await backend.getPrompt(a.id)).draft).toBe("user:\n12");
  });

  it("saves a pending draft before switching to another prompt", async () => {
    const { app, a, b, backend } = await withTwoPrompts();
    const saveDraft = vi.spyOn(app.backend, "saveDraft");
    app.editor.setDraft("user:\ntyped just now");
    await app.select(b.id);
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect(saveDraft.mock.calls[0].slice(0, 2)).toEqual([a.id, "user:\ntyped just now"]);
    expect((await backend.getPrompt(a.id)).draft).toBe("user:\ntyped just now");
    expect(app.editor.prompt?.id).toBe(b.id);
    // The timer of the old prompt must not write its text into the new one.
    await new Promise((resolve) => setTimeout(resolve, AUTOSAVE_MS * 2));
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect((await backend.getPrompt(b.id)).draft).not.toContain("typed just now");
  });

  it("starts an empty prompt from the core's example, not from a placeholder", async () => {
    const { app, backend } = await withTwoPrompts();
    const { editor } = app;
    expect(editor.draft).toBe("");
    await editor.startFromExample();
    expect(editor.draft).toBe(await backend.starterTemplate());
    await editor.analyzeNow();
    expect(editor.analysis?.variables.length).toBeGreaterThan(0);
    // Only into an empty draft: typed text is never replaced.
    editor.setDraft("user:\nmine");
    await editor.startFromExample();
    expect(editor.draft).toBe("user:\nmine");
  });
});

describe("editor: versions", () => {
  it("reports an unchanged version save as a notice, not an error", async () => {
    const { app } = await withTwoPrompts();
    const { editor } = app;
    editor.setDraft("user:\nhi");
    expect(await editor.saveVersion("first")).toBeNull();
    expect(editor.versions.map((v) => v.number)).toEqual([1]);
    await editor.analyzeNow();
    expect(editor.dirty).toBe(false);
    expect(await editor.saveVersion("again")).toBeNull();
    expect(editor.versions).toHaveLength(1);
    expect(app.notices.toasts.at(-1)?.text).toContain("nothing changed");
  });

  it("says there is nothing to save before asking for a message", async () => {
    const { app } = await withTwoPrompts();
    const { editor } = app;
    editor.setDraft("user:\nhi");
    expect(await app.canSaveVersion()).toBe(true);
    expect(await editor.saveVersion("first")).toBeNull();
    expect(await app.canSaveVersion()).toBe(false);
    expect(app.notices.toasts.at(-1)?.text).toBe("Nothing changed since v1");
  });

  it("counts a new default target as a change, as the core does", async () => {
    const { app } = await withTwoPrompts();
    const { editor, run } = app;
    editor.setDraft("user:\nhi");
    await editor.saveVersion("first");
    await editor.analyzeNow();
    expect(editor.dirty).toBe(false);
    // The first draft pane's target is the draft's default target.
    run.updatePane(run.panes[0].key, (p) => (p.target.model = "another-model"));
    expect(await editor.currentStatus()).toMatchObject({ changed: true, target_changed: true, template_changed: false });
    expect(editor.dirty).toBe(true);
    expect(await app.canSaveVersion()).toBe(true);
  });

  it("does not offer to save an empty template", async () => {
    const { app } = await withTwoPrompts();
    expect(app.editor.draft).toBe("");
    expect(await app.canSaveVersion()).toBe(false);
    expect(app.notices.toasts.at(-1)?.text).toMatch(/^An empty template cannot be saved/);
  });
});

describe("editor: typed values", () => {
  it("keeps text and JSON values in the library, where `whet run` reads them", async () => {
    const { app, a, backend } = await withTwoPrompts();
    const { editor } = app;
    editor.setDraft("user:\n{{ customer.name }} wrote: {{ message }}");
    await editor.analyzeNow();
    editor.setVarText("message", "It cracked.");
    await editor.setVarMode("customer", "json");
    editor.setVarText("customer", '{"name": "Grace", "plan": "pro"}');
    await vi.waitFor(() => expect(editor.vars.customer).toEqual({ name: "Grace", plan: "pro" }));
    await editor.flushDraft();
    expect((await backend.getRunSetup(a.id)).vars).toEqual({ message: "It cracked.", customer: { name: "Grace", plan: "pro" } });
    await vi.waitFor(() => expect(editor.rendered?.[0]?.content).toBe("Grace wrote: It cracked."));
  });

  it("names the line and column where a JSON value stops being JSON, and keeps the last good value", async () => {
    const { app } = await withTwoPrompts();
    const { editor } = app;
    editor.setDraft("user:\n{{ items | length }}");
    await editor.analyzeNow();
    await editor.setVarMode("items", "json");
    editor.setVarText("items", "[1, 2]");
    await vi.waitFor(() => expect(editor.vars.items).toEqual([1, 2]));
    editor.setVarText("items", "[1,\n  2,,]");
    await vi.waitFor(() => expect(editor.entries.items.error).toMatch(/not JSON: .* at line 2, column 5/));
    expect(editor.vars.items).toEqual([1, 2]);
    expect(editor.invalidValues()).toEqual([{ name: "items", message: expect.stringContaining("the value of `items` is not JSON") }]);
  });

  it("switches a value between text and JSON without losing it", async () => {
    const { app } = await withTwoPrompts();
    const { editor } = app;
    editor.setDraft("user:\n{{ n }}");
    await editor.analyzeNow();
    editor.setVarText("n", "42");
    expect(editor.vars.n).toBe("42");
    await editor.setVarMode("n", "json");
    expect(editor.vars.n).toBe(42);
    await editor.setVarMode("n", "text");
    expect(editor.vars.n).toBe("42");
    editor.setVarText("n", "not json");
    await editor.setVarMode("n", "json");
    // Text that is not JSON becomes a JSON string, the same value.
    expect(editor.vars.n).toBe("not json");
    expect(editor.entries.n.text).toBe('"not json"');
    editor.unsetVar("n");
    expect("n" in editor.vars).toBe(false);
    expect(editor.varsForRun()).toEqual({});
  });

  it("saves values once typing pauses, not at every key", async () => {
    const { app } = await withTwoPrompts();
    const { editor } = app;
    editor.setDraft("user:\n{{ x }}");
    await editor.analyzeNow();
    const save = vi.spyOn(app.backend, "saveRunSetup");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    for (const text of ["a", "ab", "abc"]) editor.setVarText("x", text);
    await vi.advanceTimersByTimeAsync(VALUES_SAVE_MS + 10);
    const valueSaves = save.mock.calls.filter((c) => c[1] !== null);
    expect(valueSaves).toHaveLength(1);
    expect(valueSaves[0][1]).toEqual({ x: "abc" });
  });
});
