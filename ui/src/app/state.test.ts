import { describe, expect, it, vi } from "vitest";
import { AppState } from "./state.svelte";
import { ollamaDown, ownBridge, sampleBackend } from "../test/bridge";
import { startedApp } from "../test/window";

describe("start-up", () => {
  it("shows a library error and loads nothing else", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(`${tmpdir()}/whetstone-ui-`);
    writeFileSync(`${dir}/library.sqlite3`, "not a database, just text");
    const backend = await ownBridge(["--data-dir", dir]);
    const listPrompts = vi.spyOn(backend, "listPrompts");
    const app = new AppState(backend);
    await app.init();
    expect(app.libraryError).toContain("not a readable Whetstone database");
    expect(listPrompts).not.toHaveBeenCalled();
  });

  it("the first screen waits on one call: the prompt, its values and preview come with it", async () => {
    const backend = await sampleBackend();
    const calls: string[] = [];
    let app: AppState | null = null;
    // Every call the window makes before its first screen is ready.
    const counted = new Proxy(backend, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (!app?.ready) calls.push(String(name));
          return value.apply(target, args);
        };
      },
    });
    app = new AppState(counted);
    await app.init();
    // What follows in the background, not waited for: which providers answer, the
    // panes' models, the suite editor's assertion kinds.
    const background = ["providerStatus", "listModels", "assertionKinds"];
    expect(calls[0]).toBe("windowStart");
    expect(calls.filter((name) => !background.includes(name))).toEqual(["windowStart"]);
    const first = app.library.prompts[0];
    expect(app.editor.prompt?.id).toBe(first.id);
    expect(app.editor.analysis?.variables.length).toBeGreaterThan(0);
    expect(app.editor.runVariables.every((name) => name in app!.editor.vars)).toBe(true);
    expect(app.editor.rendered).toEqual(await backend.renderTemplate(app.editor.draft, app.editor.varsForRun()));
    expect(app.run.panes.length).toBeGreaterThan(0);
    expect(app.suite.saved?.prompt_id).toBe(first.id);
    // The draft's status came with it: the version badge is right from the first frame.
    expect(app.editor.draftStatus).toEqual(await backend.draftStatus(first.id, app.editor.draft, app.editor.prompt?.draft_target ?? null));
  });

  it("a first start with no model: the samples, the providers' status once, and a run on echo", async () => {
    const backend = await sampleBackend();
    await ollamaDown(backend);
    const status = vi.spyOn(backend, "providerStatus");
    const { app } = await startedApp(backend);
    // An untouched sample opens as its newest version, before the providers' status is in.
    expect(app.editor.draftStatus?.changed).toBe(false);
    expect(app.editor.dirty).toBe(false);
    expect(app.library.prompts.map((p) => p.name)).toContain("Start here");
    expect(app.editor.prompt?.name).toBe(app.library.prompts[0].name);
    // The status is asked once, in the background, not per pane.
    await vi.waitFor(() => expect(app.providers.status).not.toBeNull());
    expect(status).toHaveBeenCalledTimes(1);
    expect(app.providers.onlyEcho).toBe(true);
    expect(app.providers.status?.summary).toMatch(/not reachable/);
    expect(app.providers.status?.summary).toMatch(/Echo/);
    expect(app.providers.suggested).toMatchObject({ provider: "echo", model: "echo" });
    // An untouched sample is not "changed since v1", whenever the status arrived.
    await vi.waitFor(() => expect(app.editor.draftStatus?.changed).toBe(false));
    // The samples' panes are on echo, with their values: Run works at once.
    expect(app.run.panes.every((p) => p.target.provider === "echo")).toBe(true);
    await vi.waitFor(() => expect(app.run.check?.runnable).toBe(true));
    expect(app.run.canRun).toBe(true);
    await app.run.run();
    await vi.waitFor(() => expect(app.run.running).toBe(false));
    const output = app.run.shownRun?.panes[0]?.output ?? "";
    expect(output).toContain("user:");
    expect(app.run.shownRun?.panes[0]?.status).toBe("ok");
  });
});
