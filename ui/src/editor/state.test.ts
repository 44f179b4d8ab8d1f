import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUTOSAVE_MS } from "./state.svelte";
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
    expect(saveDraft).toHaveBeenCalledExactlyOnceWith(a.id, "user:\ntyped just now", expect.anything());
    expect((await backend.getPrompt(a.id)).draft).toBe("user:\ntyped just now");
    expect(app.editor.prompt?.id).toBe(b.id);
    // The timer of the old prompt must not write its text into the new one.
    await new Promise((resolve) => setTimeout(resolve, AUTOSAVE_MS * 2));
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect((await backend.getPrompt(b.id)).draft).not.toContain("typed just now");
  });
});

describe("editor: versions", () => {
  it("reports an unchanged version save as a notice, not an error", async () => {
    const { app } = await withTwoPrompts();
    const { editor } = app;
    editor.setDraft("user:\nhi");
    expect(await editor.saveVersion("first")).toBeNull();
    expect(editor.versions.map((v) => v.number)).toEqual([1]);
    expect(editor.dirty).toBe(false);
    expect(await editor.saveVersion("again")).toBeNull();
    expect(editor.versions).toHaveLength(1);
    expect(app.notices.toasts.at(-1)?.text).toContain("nothing changed");
  });
});
