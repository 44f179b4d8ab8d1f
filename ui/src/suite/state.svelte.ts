// The open prompt's suite as the editor shows it: test cases as rows (one column
// per template variable), the suite's default assertions, undo and redo, saving
// (a refusal lands on the assertion it names), and suite files in and out. The
// template's variables are the editor's: they come through `SuiteSource`.
import type { Backend } from "../platform/backend";
import { toErrorReply } from "../platform/backend";
import type { AssertionKind, AssertionKindInfo, Prompt, Suite, SuiteFormat } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";
import type { FileDialogs } from "../platform/files";
import {
  assertionOf,
  casesOf,
  draftOf,
  emptyRow,
  kindOf,
  newDraft,
  newKey,
  parseTsv,
  placeOf,
  rowOf,
  type AssertionDraft,
  type CaseRow,
  type SuiteDraft,
} from "./rows";

/** What the suite needs of the open prompt (the editor's state). */
export interface SuiteSource {
  readonly prompt: Prompt | null;
  /** The variables a run sends, in template order (the draft's and the version panes'). */
  readonly runVariables: string[];
}

/** A column of the table that edits a text of each row. */
export type TextColumn = { kind: "var"; name: string } | { kind: "reference" } | { kind: "description" };

const UNDO_LIMIT = 200;
/** Typing in one field within this long is one undo step. */
const COALESCE_MS = 1000;

export class SuiteState {
  /** The suite as saved in the library. */
  saved = $state<Suite | null>(null);
  rows = $state<CaseRow[]>([]);
  defaults = $state<AssertionDraft[]>([]);
  /** The case whose details (long values, assertions) the side panel edits; null: the suite's defaults. */
  selectedKey = $state<number | null>(null);
  saving = $state(false);
  /** The last refusal, where it points: a row (by key) and an assertion (by key), or the defaults. */
  error = $state<{ message: string; rowKey: number | null; assertionKey: number | null; field: string | null } | null>(null);
  kinds = $state<AssertionKindInfo[]>([]);
  busy = $state<"import" | "export" | null>(null);
  /** Bumped on every change: the dirty check and the undo stack follow it. */
  revision = $state(0);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly source: SuiteSource;
  private readonly files: FileDialogs | null;
  private readonly onSaved: (suite: Suite) => void;
  private undoStack: { snapshot: string; field: string | null; at: number }[] = [];
  private redoStack: string[] = [];
  private savedSnapshot = "";
  /** Unsaved edits of other prompts, kept while the window is open. */
  private readonly unsaved = new Map<number, string>();

  constructor(backend: Backend, notices: Notify, source: SuiteSource, files: FileDialogs | null, onSaved: (suite: Suite) => void) {
    this.backend = backend;
    this.notices = notices;
    this.source = source;
    this.files = files;
    this.onSaved = onSaved;
  }

  // ---- loading ---------------------------------------------------------------

  /** The suite of the prompt just opened (its unsaved edits, if it has some). */
  show(suite: Suite): void {
    this.stash();
    this.loaded(suite);
    const pending = this.unsaved.get(suite.prompt_id);
    if (pending) {
      this.unsaved.delete(suite.prompt_id);
      this.restore(pending);
    }
    // Only the suite editor needs them: not worth a round trip before the first screen.
    if (!this.kinds.length) void this.loadKinds();
  }

  private async loadKinds(): Promise<void> {
    try {
      this.kinds = await this.backend.assertionKinds();
    } catch (e) {
      this.notices.error(e);
    }
  }

  close(): void {
    this.stash();
    this.saved = null;
    this.rows = [];
    this.defaults = [];
    this.undoStack = [];
    this.redoStack = [];
    this.error = null;
  }

  /** Keeps the open suite's unsaved edits for when its prompt is opened again. */
  private stash(): void {
    if (this.saved && this.dirty) this.unsaved.set(this.saved.prompt_id, this.snapshot());
  }

  private loaded(suite: Suite): void {
    this.saved = suite;
    this.rows = suite.cases.map(rowOf);
    this.defaults = suite.assertions.map(draftOf);
    this.savedSnapshot = this.snapshot();
    this.undoStack = [];
    this.redoStack = [];
    this.error = null;
    if (this.selectedKey !== null && !this.rows.some((r) => r.key === this.selectedKey)) this.selectedKey = this.rows[0]?.key ?? null;
    if (this.selectedKey === null) this.selectedKey = this.rows[0]?.key ?? null;
    this.revision++;
  }

  // ---- columns ---------------------------------------------------------------

  /** The template's variables, in template order. */
  get variables(): string[] {
    return this.source.runVariables;
  }

  /** Values some case has for a name the template does not read (flagged). */
  get extraNames(): string[] {
    void this.revision;
    const known = new Set(this.variables);
    const extra: string[] = [];
    for (const row of this.rows) for (const name of Object.keys(row.vars)) if (!known.has(name) && !extra.includes(name)) extra.push(name);
    return extra;
  }

  /** The text columns of the table, in order: variables, unread names, reference, description. */
  get columns(): TextColumn[] {
    return [
      ...this.variables.map((name): TextColumn => ({ kind: "var", name })),
      ...this.extraNames.map((name): TextColumn => ({ kind: "var", name })),
      { kind: "reference" },
      { kind: "description" },
    ];
  }

  kind(type: string): AssertionKindInfo | undefined {
    const kind = kindOf(type as AssertionKind);
    return this.kinds.find((k) => k.kind === kind);
  }

  private kindMap(): Map<AssertionKind, AssertionKindInfo> {
    return new Map(this.kinds.map((k) => [k.kind, k]));
  }

  get selected(): CaseRow | null {
    return this.rows.find((r) => r.key === this.selectedKey) ?? null;
  }

  // ---- edits, undo -----------------------------------------------------------

  private snapshot(): string {
    return JSON.stringify({ rows: $state.snapshot(this.rows), defaults: $state.snapshot(this.defaults) } satisfies SuiteDraft);
  }

  private restore(snapshot: string): void {
    const draft = JSON.parse(snapshot) as SuiteDraft;
    this.rows = draft.rows;
    this.defaults = draft.defaults;
    if (!this.rows.some((r) => r.key === this.selectedKey)) this.selectedKey = this.rows[0]?.key ?? null;
    this.revision++;
  }

  /**
   * Applies one edit as an undo step. Edits of the same `field` in quick succession
   * (typing) are one step.
   */
  edit(change: () => void, field: string | null = null): void {
    const now = Date.now();
    const last = this.undoStack.at(-1);
    if (!(field !== null && last && last.field === field && now - last.at < COALESCE_MS)) {
      this.undoStack.push({ snapshot: this.snapshot(), field, at: now });
      if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
    } else {
      last.at = now;
    }
    this.redoStack = [];
    change();
    this.revision++;
  }

  get canUndo(): boolean {
    void this.revision;
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    void this.revision;
    return this.redoStack.length > 0;
  }

  undo(): void {
    const step = this.undoStack.pop();
    if (!step) return;
    this.redoStack.push(this.snapshot());
    this.restore(step.snapshot);
  }

  redo(): void {
    const next = this.redoStack.pop();
    if (next === undefined) return;
    this.undoStack.push({ snapshot: this.snapshot(), field: null, at: 0 });
    this.restore(next);
  }

  /** The rows or defaults differ from the saved suite (computed once per change). */
  readonly dirty = $derived.by(() => {
    void this.revision;
    return this.saved !== null && this.snapshot() !== this.savedSnapshot;
  });

  addRow(): void {
    const row = emptyRow(this.variables);
    this.edit(() => {
      const at = this.rows.findIndex((r) => r.key === this.selectedKey);
      if (at < 0) this.rows.push(row);
      else this.rows.splice(at + 1, 0, row);
    });
    this.selectedKey = row.key;
  }

  duplicateRow(key: number): void {
    const at = this.rows.findIndex((r) => r.key === key);
    if (at < 0) return;
    const copy: CaseRow = { ...structuredClone($state.snapshot(this.rows[at])), key: newKey(), id: "" };
    copy.assertions = copy.assertions.map((a) => ({ ...a, key: newKey() }));
    this.edit(() => this.rows.splice(at + 1, 0, copy));
    this.selectedKey = copy.key;
  }

  deleteRow(key: number): void {
    const at = this.rows.findIndex((r) => r.key === key);
    if (at < 0) return;
    this.edit(() => this.rows.splice(at, 1));
    if (this.selectedKey === key) this.selectedKey = this.rows[Math.min(at, this.rows.length - 1)]?.key ?? null;
  }

  moveRow(key: number, by: number): void {
    const at = this.rows.findIndex((r) => r.key === key);
    const to = at + by;
    if (at < 0 || to < 0 || to >= this.rows.length) return;
    this.edit(() => {
      const [row] = this.rows.splice(at, 1);
      this.rows.splice(to, 0, row);
    });
  }

  private row(key: number): CaseRow | undefined {
    return this.rows.find((r) => r.key === key);
  }

  text(row: CaseRow, column: TextColumn): string {
    if (column.kind === "var") return row.vars[column.name]?.text ?? "";
    return column.kind === "reference" ? row.reference : row.description;
  }

  setText(key: number, column: TextColumn, text: string): void {
    const field = `${key}.${column.kind === "var" ? `var.${column.name}` : column.kind}`;
    this.edit(() => {
      const row = this.row(key);
      if (!row) return;
      if (column.kind === "var") row.vars[column.name] = { text, json: row.vars[column.name]?.json ?? false };
      else if (column.kind === "reference") row.reference = text;
      else row.description = text;
    }, field);
  }

  setJson(key: number, name: string, json: boolean): void {
    this.edit(() => {
      const row = this.row(key);
      if (row) row.vars[name] = { text: row.vars[name]?.text ?? "", json };
    });
  }

  /** Drops a value the template does not read. */
  removeVar(key: number, name: string): void {
    this.edit(() => {
      const row = this.row(key);
      if (row) delete row.vars[name];
    });
  }

  setThreshold(key: number, threshold: number | null): void {
    this.edit(() => {
      const row = this.row(key);
      if (row) row.threshold = threshold;
    }, `${key}.threshold`);
  }

  // Assertions: of a case (`rowKey`), or of the suite (`null`).
  private list(rowKey: number | null): AssertionDraft[] | undefined {
    return rowKey === null ? this.defaults : this.row(rowKey)?.assertions;
  }

  addAssertion(rowKey: number | null, kind: AssertionKind): void {
    const info = this.kinds.find((k) => k.kind === kind);
    if (!info) return;
    this.edit(() => this.list(rowKey)?.push(newDraft(info)));
  }

  updateAssertion(rowKey: number | null, key: number, change: (a: AssertionDraft) => void, field: string | null = null): void {
    this.edit(
      () => {
        const a = this.list(rowKey)?.find((x) => x.key === key);
        if (a) change(a);
      },
      field === null ? null : `${rowKey}.${key}.${field}`,
    );
  }

  removeAssertion(rowKey: number | null, key: number): void {
    this.edit(() => {
      const list = this.list(rowKey);
      const at = list?.findIndex((a) => a.key === key) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
    });
  }

  /**
   * Cells pasted from a spreadsheet at (`key`, `column`): each line fills a row from
   * there on (rows are added past the end), each tab-separated cell the next
   * column. A first line that repeats the column names is a header and skipped.
   * Returns false when the text is a single value (the field takes it as typed).
   */
  paste(key: number, column: TextColumn, text: string): boolean {
    if (!text.includes("\t") && !text.replace(/\r?\n$/, "").includes("\n")) return false;
    const table = parseTsv(text);
    const columns = this.columns;
    const first = columns.findIndex((c) => c.kind === column.kind && (c.kind !== "var" || (column.kind === "var" && c.name === column.name)));
    const names = columns.map((c) => (c.kind === "var" ? c.name : c.kind));
    if (table.length > 1 && table[0].every((cell, i) => cell.trim() === names[first + i])) table.shift();
    const start = this.rows.findIndex((r) => r.key === key);
    if (start < 0 || first < 0 || table.length === 0) return false;
    this.edit(() => {
      for (const [i, cells] of table.entries()) {
        let row = this.rows[start + i];
        if (!row) {
          row = emptyRow(this.variables);
          this.rows.push(row);
        }
        for (const [j, value] of cells.entries()) {
          const col = columns[first + j];
          if (!col) break;
          if (col.kind === "var") row.vars[col.name] = { text: value, json: row.vars[col.name]?.json ?? false };
          else if (col.kind === "reference") row.reference = value;
          else row.description = value;
        }
      }
    });
    return true;
  }

  // ---- saving ----------------------------------------------------------------

  /** Saves the suite; false when it was refused (the refusal is shown where it points). */
  async save(): Promise<boolean> {
    const prompt = this.source.prompt;
    if (!prompt || !this.saved || this.saving) return false;
    const rows = $state.snapshot(this.rows) as CaseRow[];
    const built = casesOf(rows, this.kindMap());
    if ("problem" in built) {
      this.showError(built.problem.message, built.problem.field, rows);
      return false;
    }
    const kinds = this.kindMap();
    const defaults = (this.defaults as AssertionDraft[]).map((a) => assertionOf(a, kinds.get(kindOf(a.type))));
    this.saving = true;
    try {
      const suite = await this.backend.saveSuite(prompt.id, built.cases, defaults);
      if (this.source.prompt?.id !== prompt.id) return true;
      // New cases got ids; everything else is as typed.
      this.saved = suite;
      for (const [i, row] of this.rows.entries()) if (suite.cases[i]) row.id = suite.cases[i].id;
      this.savedSnapshot = this.snapshot();
      this.error = null;
      this.revision++;
      this.onSaved(suite);
      return true;
    } catch (e) {
      const err = toErrorReply(e);
      if (err.code === "invalid") this.showError(err.message, err.field, rows);
      else this.notices.error(err);
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** Saves first when there are unsaved edits; false when that was refused. */
  async saveIfDirty(): Promise<boolean> {
    return this.dirty ? this.save() : true;
  }

  private showError(message: string, field: string | null, rows: CaseRow[]): void {
    const place = placeOf(field);
    let rowKey: number | null = null;
    let assertionKey: number | null = null;
    if (place?.scope === "case") {
      const row = rows[place.row];
      rowKey = row?.key ?? null;
      if (place.assertion !== null) assertionKey = row?.assertions[place.assertion]?.key ?? null;
    } else if (place?.scope === "suite") {
      assertionKey = this.defaults[place.assertion]?.key ?? null;
    }
    this.error = { message, rowKey, assertionKey, field };
    // Show the place: the case (or the defaults) opens in the side panel.
    if (place?.scope === "case" && rowKey !== null) this.selectedKey = rowKey;
    else if (place?.scope === "suite") this.selectedKey = null;
  }

  // ---- files -----------------------------------------------------------------

  /** Reads a CSV or JSONL file into the suite (merged by id, or replacing it). All or nothing. */
  async importFile(file: File, replace: boolean): Promise<boolean> {
    const prompt = this.source.prompt;
    if (!prompt || this.busy) return false;
    const format: SuiteFormat = /\.jsonl?$/i.test(file.name) || file.type === "application/jsonl" ? "jsonl" : "csv";
    if (this.dirty && !(await this.save())) return false;
    this.busy = "import";
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        this.notices.error(`${file.name} was not imported: it is not UTF-8 text. Save it as UTF-8 (CSV UTF-8 in a spreadsheet) and import it again.`);
        return false;
      }
      const suite = await this.backend.importSuite(prompt.id, format, text, replace);
      if (this.source.prompt?.id !== prompt.id) return true;
      const before = this.rows.length;
      this.loaded(suite);
      this.onSaved(suite);
      this.notices.info(replace ? `Imported ${suite.cases.length} test cases from ${file.name}` : `Imported ${file.name}: ${suite.cases.length} test cases (${suite.cases.length - before} new)`);
      return true;
    } catch (e) {
      this.notices.error(e);
      return false;
    } finally {
      this.busy = null;
    }
  }

  /**
   * Writes the suite as a file: through the window's save dialog (the core writes
   * the file), or, where there is none (the browser preview), as a download.
   */
  async exportFile(format: SuiteFormat): Promise<void> {
    const prompt = this.source.prompt;
    if (!prompt || this.busy) return;
    if (this.dirty && !(await this.save())) return;
    this.busy = "export";
    const name = `${prompt.name.replace(/[\\/:*?"<>|]+/g, "_") || "suite"}.${format}`;
    try {
      if (this.files) {
        const path = await this.files.savePath(name, format);
        if (path === null) return;
        const bytes = await this.backend.exportSuiteFile(prompt.id, format, path);
        this.notices.info(`Saved ${this.rows.length} test cases to ${path} (${bytes} bytes)`);
      } else {
        const text = await this.backend.exportSuite(prompt.id, format);
        download(name, text, format);
      }
    } catch (e) {
      this.notices.error(e);
    } finally {
      this.busy = null;
    }
  }
}

function download(name: string, text: string, format: SuiteFormat): void {
  const url = URL.createObjectURL(new Blob([text], { type: format === "csv" ? "text/csv" : "application/jsonl" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
