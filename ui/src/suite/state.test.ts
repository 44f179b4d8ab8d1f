import { beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppState } from "../app/state.svelte";
import type { Backend } from "../ipc/bindings";
import { startedApp } from "../test/window";
import { freshBackend } from "../test/bridge";
import { AppState as App } from "../app/state.svelte";

beforeEach(() => localStorage.clear());

const TEMPLATE = "system:\nAnswer in {{ language }}.\nuser:\nWhat is the capital of {{ country }}?";

/** A window with one prompt open whose template reads `language` then `country`. */
async function opened(backend?: Backend): Promise<{ app: AppState; backend: Backend; promptId: number }> {
  backend ??= await freshBackend();
  const prompt = await backend.createPrompt("Capitals");
  await backend.saveDraft(prompt.id, TEMPLATE, null);
  const { app } = await startedApp(backend);
  await app.select(prompt.id);
  await vi.waitFor(() => expect(app.editor.analysis?.variables).toEqual(["language", "country"]));
  await vi.waitFor(() => expect(app.suite.saved).not.toBeNull());
  // The assertion kinds follow the suite, in the background.
  await vi.waitFor(() => expect(app.suite.kinds.length).toBeGreaterThan(0));
  return { app, backend, promptId: prompt.id };
}

describe("suite editor: columns", () => {
  it("has a column per template variable in template order, and flags unread and missing values", async () => {
    const { app, backend, promptId } = await opened();
    app.suite.show(await backend.saveSuite(promptId, [{ id: "old", vars: { country: "France", topic: "x" }, assertions: [] }], []));
    const { suite } = app;
    expect(suite.columns.map((c) => (c.kind === "var" ? c.name : c.kind))).toEqual(["language", "country", "topic", "reference", "description"]);
    expect(suite.extraNames).toEqual(["topic"]);
    const row = suite.rows[0];
    expect("language" in row.vars).toBe(false); // missing: the template reads it
    suite.removeVar(row.key, "topic");
    expect(suite.extraNames).toEqual([]);
  });
});

describe("suite editor: rows and undo", () => {
  it("adds, duplicates, moves and deletes rows, and undoes and redoes each step", async () => {
    const { app } = await opened();
    const { suite } = app;
    suite.addRow();
    const first = suite.rows[0].key;
    suite.setText(first, { kind: "var", name: "country" }, "Fr");
    suite.setText(first, { kind: "var", name: "country" }, "France"); // one step: typing in one field
    suite.duplicateRow(first);
    expect(suite.rows.map((r) => r.vars.country.text)).toEqual(["France", "France"]);
    suite.setText(suite.rows[1].key, { kind: "var", name: "country" }, "Italy");
    suite.moveRow(suite.rows[1].key, -1);
    expect(suite.rows.map((r) => r.vars.country.text)).toEqual(["Italy", "France"]);
    suite.deleteRow(suite.rows[1].key);
    expect(suite.rows.map((r) => r.vars.country.text)).toEqual(["Italy"]);

    suite.undo(); // delete
    expect(suite.rows.map((r) => r.vars.country.text)).toEqual(["Italy", "France"]);
    suite.undo(); // move
    suite.undo(); // Italy typed
    expect(suite.rows.map((r) => r.vars.country.text)).toEqual(["France", "France"]);
    suite.undo(); // duplicate
    suite.undo(); // "France" typed (with "Fr": one step)
    expect(suite.rows.map((r) => r.vars.country.text)).toEqual([""]);
    suite.redo();
    suite.redo();
    expect(suite.rows.map((r) => r.vars.country.text)).toEqual(["France", "France"]);
    expect(suite.dirty).toBe(true);
  });

  it("pastes a spreadsheet's rows from the focused cell on, adding rows, skipping a header", async () => {
    const { app } = await opened();
    const { suite } = app;
    suite.addRow();
    const key = suite.rows[0].key;
    const pasted = suite.paste(key, { kind: "var", name: "language" }, "language\tcountry\treference\nFrench\tFrance\tParis\nItalian\tItaly\t\"Rome,\nthe capital\"\n");
    expect(pasted).toBe(true);
    expect(suite.rows.map((r) => [r.vars.language.text, r.vars.country.text, r.reference])).toEqual([
      ["French", "France", "Paris"],
      ["Italian", "Italy", "Rome,\nthe capital"],
    ]);
    // A single value is typed, not pasted as a table.
    expect(suite.paste(key, { kind: "var", name: "language" }, "German")).toBe(false);
    suite.undo();
    expect(suite.rows).toHaveLength(1);
  });
});

describe("suite editor: saving", () => {
  it("saves JSON values typed, gives new cases ids, and keeps them through a reload", async () => {
    const { app, backend, promptId } = await opened();
    const { suite } = app;
    suite.addRow();
    const key = suite.rows[0].key;
    suite.setText(key, { kind: "var", name: "country" }, '{"name": "France", "pop": 68}');
    suite.setJson(key, "country", true);
    suite.setText(key, { kind: "var", name: "language" }, "French");
    suite.addAssertion(key, "icontains");
    suite.updateAssertion(key, suite.rows[0].assertions[0].key, (a) => ((a.value = "paris"), (a.valueEdited = true)));
    suite.addAssertion(null, "latency");
    suite.updateAssertion(null, suite.defaults[0].key, (a) => (a.threshold = 5000));
    expect(await suite.save()).toBe(true);
    expect(suite.dirty).toBe(false);
    const saved = await backend.getSuite(promptId);
    expect(saved.cases[0].vars).toEqual({ country: { name: "France", pop: 68 }, language: "French" });
    expect(saved.cases[0].id).toMatch(/^c-[0-9a-f]{8}$/);
    expect(suite.rows[0].id).toBe(saved.cases[0].id);
    expect(saved.cases[0].assertions).toEqual([{ type: "icontains", value: "paris" }]);
    expect(saved.assertions).toEqual([{ type: "latency", threshold: 5000 }]);
  });

  it("puts a refusal on the assertion it names and changes nothing in the library", async () => {
    const { app, backend, promptId } = await opened();
    const { suite } = app;
    suite.addRow();
    suite.addRow();
    const second = suite.rows[1];
    suite.addAssertion(second.key, "contains");
    suite.updateAssertion(second.key, second.assertions[0].key, (a) => ((a.value = "Paris"), (a.valueEdited = true)));
    suite.addAssertion(second.key, "regex");
    suite.updateAssertion(second.key, suite.rows[1].assertions[1].key, (a) => ((a.value = "(unclosed"), (a.valueEdited = true)));
    expect(await suite.save()).toBe(false);
    expect(suite.error?.field).toBe("cases.1.assertions.1");
    expect(suite.error?.rowKey).toBe(suite.rows[1].key);
    expect(suite.error?.assertionKey).toBe(suite.rows[1].assertions[1].key);
    expect(suite.error?.message).toMatch(/regex/);
    expect(suite.selectedKey).toBe(suite.rows[1].key);
    expect((await backend.getSuite(promptId)).cases).toEqual([]);
    // A value typed as JSON that is not JSON is named before anything is sent.
    suite.removeAssertion(suite.rows[1].key, suite.rows[1].assertions[1].key);
    suite.setText(suite.rows[0].key, { kind: "var", name: "country" }, "{");
    suite.setJson(suite.rows[0].key, "country", true);
    expect(await suite.save()).toBe(false);
    expect(suite.error?.field).toBe("cases.0.vars.country");
    suite.setJson(suite.rows[0].key, "country", false);
    expect(await suite.save()).toBe(true);
    expect(suite.error).toBeNull();
    expect((await backend.getSuite(promptId)).cases).toHaveLength(2);
  });

  it("keeps unsaved edits of a prompt while another is open", async () => {
    const { app, backend } = await opened();
    const other = await backend.createPrompt("Other");
    app.suite.addRow();
    app.suite.setText(app.suite.rows[0].key, { kind: "var", name: "country" }, "Peru");
    const first = app.editor.prompt!.id;
    await app.select(other.id);
    await vi.waitFor(() => expect(app.suite.saved?.prompt_id).toBe(other.id));
    expect(app.suite.rows).toHaveLength(0);
    await app.select(first);
    await vi.waitFor(() => expect(app.suite.rows).toHaveLength(1));
    expect(app.suite.rows[0].vars.country.text).toBe("Peru");
    expect(app.suite.dirty).toBe(true);
  });
});

describe("suite editor: files", () => {
  it("imports a CSV merged by id, refuses a bad file or one that is not UTF-8 whole", async () => {
    const { app, backend, promptId } = await opened();
    const { suite } = app;
    const csv = "__id,language,country,__expected\nfr,French,France,icontains: paris\nit,Italian,Italy,\n";
    expect(await suite.importFile(new File([csv], "cases.csv", { type: "text/csv" }), false)).toBe(true);
    expect(suite.rows.map((r) => r.id)).toEqual(["fr", "it"]);
    expect(suite.rows[0].assertions[0].type).toBe("icontains");

    const errors = vi.spyOn(app.notices, "error");
    const bad = "__id,country,__expected\nes,Spain,regex:(\n";
    expect(await suite.importFile(new File([bad], "bad.csv"), true)).toBe(false);
    expect(JSON.stringify(errors.mock.calls.at(-1)?.[0])).toMatch(/row 1.*__expected|__expected.*row 1/);
    const latin1 = new Uint8Array([...new TextEncoder().encode("country\n"), 0x53, 0xe3, 0x6f, 0x0a]);
    expect(await suite.importFile(new File([latin1], "latin1.csv"), true)).toBe(false);
    expect(String(errors.mock.calls.at(-1)?.[0])).toMatch(/not UTF-8/);
    expect((await backend.getSuite(promptId)).cases.map((c) => c.id)).toEqual(["fr", "it"]);

    const jsonl = '{"id":"it","vars":{"language":"Italian","country":"Italia"}}\n{"id":"de","vars":{"country":"Germany"}}\n';
    expect(await suite.importFile(new File([jsonl], "more.jsonl"), false)).toBe(true);
    expect(suite.rows.map((r) => [r.id, r.vars.country.text])).toEqual([
      ["fr", "France"],
      ["it", "Italia"],
      ["de", "Germany"],
    ]);
  });

  it("exports through the save dialog: the core writes the file where it said", async () => {
    const backend = await freshBackend();
    const dir = mkdtempSync(join(tmpdir(), "whetstone-export-"));
    const path = join(dir, "capitals.csv");
    const savePath = vi.fn(async () => path);
    const app = new App(backend, { savePath });
    await app.init();
    const prompt = await backend.createPrompt("Capitals");
    await backend.saveDraft(prompt.id, TEMPLATE, null);
    await backend.saveSuite(prompt.id, [{ id: "fr", vars: { language: "French", country: "France" }, reference: "Paris", assertions: [{ type: "icontains", value: "paris" }] }], []);
    await app.select(prompt.id);
    await vi.waitFor(() => expect(app.suite.rows).toHaveLength(1));
    await app.suite.exportFile("csv");
    expect(savePath).toHaveBeenCalledWith("Capitals.csv", "csv");
    expect(readFileSync(path, "utf8")).toBe(await backend.exportSuite(prompt.id, "csv"));
    expect(readFileSync(path, "utf8")).toContain("fr,France,French,Paris,icontains:paris");
  });
});
