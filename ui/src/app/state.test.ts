import { describe, expect, it, vi } from "vitest";
import { AppState } from "./state.svelte";
import { ownBridge } from "../test/bridge";

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
});
