import { beforeEach, describe, expect, it } from "vitest";
import { AUTOSAVE_MS } from "../editor/state.svelte";
import { freshBackend } from "../test/bridge";
import { startedApp, withTwoPrompts } from "../test/window";

beforeEach(() => localStorage.clear());

// The library acts on the prompt the window has open through the root: these check
// that wiring against the real core.
describe("library: the open prompt", () => {
  it("creates a prompt, clears the search and opens it", async () => {
    const { app } = await withTwoPrompts();
    await app.library.setSearch("A");
    expect(app.library.prompts.map((p) => p.name)).toEqual(["A"]);
    expect(await app.library.create("Fresh")).toBe(true);
    expect(app.library.search).toBe("");
    expect(app.library.prompts.map((p) => p.name)).toContain("B");
    expect(app.editor.prompt?.name).toBe("Fresh");
    expect(app.library.openId).toBe(app.editor.prompt?.id);
    expect(app.run.panes).toHaveLength(2);
  });

  it("renames the open prompt in the editor too", async () => {
    const { app, a } = await withTwoPrompts();
    expect(await app.library.rename(a.id, "Renamed")).toBe(true);
    expect(app.editor.prompt?.name).toBe("Renamed");
    expect(app.library.prompts.find((p) => p.id === a.id)?.name).toBe("Renamed");
  });

  it("duplicates the open prompt with its draft typed just now, and opens the copy", async () => {
    const { app, a } = await withTwoPrompts();
    app.editor.setDraft("user:\ntyped just now");
    await app.library.duplicate(a.id);
    expect(app.editor.prompt?.id).not.toBe(a.id);
    expect(app.editor.draft).toBe("user:\ntyped just now");
    expect(app.notices.toasts.at(-1)?.text).toContain(app.editor.prompt?.name);
  });

  it("deletes the open prompt without saving its pending draft, and opens the next one", async () => {
    const backend = await freshBackend();
    const c = await backend.createPrompt("C");
    const { app, a, b } = await withTwoPrompts(backend);
    // Most recently changed first: B, A, C.
    expect(app.library.prompts.map((p) => p.id)).toEqual([b.id, a.id, c.id]);
    app.editor.setDraft("user:\nnever saved");
    await app.library.remove(a.id);
    expect(app.library.prompts.map((p) => p.id)).toEqual([b.id, c.id]);
    expect(app.editor.prompt?.id).toBe(c.id);
    // A save of the deleted prompt's draft would fail (not found) with an error toast.
    await new Promise((resolve) => setTimeout(resolve, AUTOSAVE_MS * 2));
    expect(app.notices.toasts.filter((t) => t.kind === "error")).toEqual([]);
    expect((await backend.getPrompt(c.id)).draft).not.toContain("never saved");
  });

  it("shows no prompt once the last one is deleted", async () => {
    const backend = await freshBackend();
    const only = await backend.createPrompt("Only");
    const { app } = await startedApp(backend);
    expect(app.editor.prompt?.id).toBe(only.id);
    await app.library.remove(only.id);
    expect(app.library.prompts).toEqual([]);
    expect(app.editor.prompt).toBeNull();
    expect(app.editor.versions).toEqual([]);
    expect(app.run.panes).toEqual([]);
    expect(app.run.runs).toEqual([]);
  });
});
