// The open prompt as the editor shows it: its draft (autosaved), its versions, the
// template's analysis and rendered preview, how the draft stands against the newest
// version (the core's rule), and the variable values (text or JSON, kept in the
// library's run setup, which `whet run` reads too). The run panes decide two things
// here (the draft's target, and which versions' variables are asked for too); the
// editor reads them through `PaneSetup`.
import type { Backend } from "../platform/backend";
import { toErrorReply } from "../platform/backend";
import type { DraftStatus, ErrorReply, JsonValue, Message, OpenedPrompt, Prompt, Target, TemplateAnalysis, TemplateError, Version } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";
import { debounced, type Debounced } from "../lib/debounce";

export type SaveState = "saved" | "pending" | "saving" | "error";

/** How a variable's value is typed: plain text, or JSON (objects, lists, numbers …). */
export type VarMode = "text" | "json";

export interface DraftSave {
  id: number;
  draft: string;
  target: Target | null;
}

export const AUTOSAVE_MS = 400;
const ANALYZE_MS = 150;
/** Values are typed; saving each keystroke to the library would be wasted work. */
export const VALUES_SAVE_MS = 400;

/** What the editor needs of the run panes. */
export interface PaneSetup {
  /** The first draft pane's target, saved with the draft; null without a draft pane. */
  draftPaneTarget(): Target | null;
  /** The versions the panes run, in pane order: their variables are asked for too. */
  versionIds(): number[];
}

export interface EditorDeps {
  panes: PaneSetup;
  /** A version was saved or restored: the library's list shows the newest number. */
  promptsChanged: () => Promise<void>;
  /** The draft or a value changed: what a run would send did too. */
  changed: () => void;
}

/** A variable's value as the panel shows it. */
export interface VarEntry {
  mode: VarMode;
  /** What the field holds (for JSON, the text as typed, which may not parse yet). */
  text: string;
  /** Why the JSON text is not JSON (line and column), from the core. */
  error: string | null;
}

function entryFor(value: JsonValue | undefined): VarEntry {
  if (value === undefined || typeof value === "string") return { mode: "text", text: value ?? "", error: null };
  return { mode: "json", text: JSON.stringify(value, null, 2), error: null };
}

export class EditorState {
  prompt = $state<Prompt | null>(null);
  draft = $state("");
  /** Bumped when the editor must replace its text (prompt switch, restore). */
  docEpoch = $state(0);
  saveState = $state<SaveState>("saved");

  versions = $state<Version[]>([]);
  viewingVersion = $state<Version | null>(null);
  /** The draft against the newest version, as the core judges it. */
  draftStatus = $state.raw<DraftStatus | null>(null);

  analysis = $state<TemplateAnalysis | null>(null);
  renderError = $state<TemplateError | null>(null);
  rendered = $state<Message[] | null>(null);
  /** The values sent with a run, by variable; a variable without one is missing. */
  vars = $state.raw<Record<string, JsonValue>>({});
  /** How each variable's field shows its value. */
  entries = $state<Record<string, VarEntry>>({});

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly deps: EditorDeps;
  private readonly draftSaver: Debounced<DraftSave>;
  private readonly analyzer: Debounced<string>;
  private readonly renderer: Debounced<null>;
  private readonly statusChecker: Debounced<null>;
  private readonly valuesSaver: Debounced<{ id: number; vars: Record<string, JsonValue> }>;
  private readonly parsers = new Map<string, Debounced<string>>();
  private analyzeSeq = 0;
  private renderSeq = 0;
  private statusSeq = 0;

  constructor(backend: Backend, notices: Notify, deps: EditorDeps) {
    this.backend = backend;
    this.notices = notices;
    this.deps = deps;
    this.draftSaver = debounced(AUTOSAVE_MS, (d) => this.writeDraft(d));
    this.analyzer = debounced(ANALYZE_MS, (t) => this.analyze(t));
    this.renderer = debounced(ANALYZE_MS, () => this.renderPreview());
    this.statusChecker = debounced(ANALYZE_MS, () => this.refreshStatus());
    this.valuesSaver = debounced(VALUES_SAVE_MS, (v) => this.writeValues(v.id, v.vars));
  }

  // ---- the open prompt -------------------------------------------------------

  /** Shows a prompt just opened (the core's `open_prompt`): its draft already analysed, rendered and compared with the newest version. */
  show(opened: OpenedPrompt): void {
    const { prompt, versions, setup } = opened;
    this.prompt = prompt;
    this.versions = versions;
    this.draft = prompt.draft;
    this.docEpoch++;
    this.saveState = "saved";
    this.viewingVersion = null;
    this.draftStatus = opened.draft_status;
    this.parsers.clear();
    const vars = setup.vars as Record<string, JsonValue>;
    this.vars = vars;
    this.entries = Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, entryFor(value)]));
    // What the previous prompt had pending is not this one's.
    this.analyzer.cancel();
    this.renderer.cancel();
    this.analyzeSeq++;
    this.renderSeq++;
    this.analysis = opened.analysis;
    this.rendered = opened.preview;
    this.renderError = opened.preview_error;
    // A status asked before now is of the previous prompt.
    this.statusChecker.cancel();
    this.statusSeq++;
  }

  /** Analyses (and renders) the draft, and asks how it stands, now rather than after the pause. */
  async analyzeNow(): Promise<void> {
    await Promise.all([this.analyzer.flush(), this.statusChecker.flush()]);
  }

  close(): void {
    this.prompt = null;
    this.versions = [];
    this.viewingVersion = null;
    this.draftStatus = null;
  }

  renamed(name: string): void {
    if (this.prompt) this.prompt = { ...this.prompt, name };
  }

  // ---- the draft -------------------------------------------------------------

  /** The target the draft is saved with: the first draft pane's, else the prompt's. */
  get draftTarget(): Target | null {
    return this.deps.panes.draftPaneTarget() ?? this.prompt?.draft_target ?? null;
  }

  setDraft(text: string): void {
    if (!this.prompt || text === this.draft) return;
    this.draft = text;
    this.saveState = "pending";
    this.draftSaver.schedule({ id: this.prompt.id, draft: text, target: this.draftTarget });
    this.analyzer.schedule(text);
    this.statusChecker.schedule(null);
    this.deps.changed();
  }

  /** "Start from an example": the core's starter text, into an empty draft (undo takes it back). */
  async startFromExample(): Promise<void> {
    try {
      const text = await this.backend.starterTemplate();
      if (this.draft.trim() === "") this.setDraft(text);
    } catch (e) {
      this.notices.error(e);
    }
  }

  /**
   * Asks again how the draft stands: whether the draft's target is the prompt's own
   * depends on the providers' status (the core's suggestion for new panes), which may
   * arrive after the prompt was shown.
   */
  recheckStatus(): void {
    if (this.prompt) this.statusChecker.schedule(null);
  }

  /** The first draft pane's target changed: save it with the draft. */
  targetChanged(): void {
    if (!this.prompt) return;
    this.saveState = "pending";
    this.draftSaver.schedule({ id: this.prompt.id, draft: this.draft, target: this.draftTarget });
    this.statusChecker.schedule(null);
  }

  /** Saves a pending draft and values now (before quitting, switching or running). */
  async flushDraft(): Promise<void> {
    await Promise.all([this.draftSaver.flush(), this.valuesSaver.flush()]);
  }

  /** Forgets a pending draft (its prompt is being deleted). */
  dropDraft(): void {
    this.draftSaver.cancel();
    this.valuesSaver.cancel();
  }

  private async writeDraft(d: DraftSave): Promise<void> {
    this.saveState = "saving";
    try {
      const kept = await this.backend.saveDraft(d.id, d.draft, d.target);
      if (this.prompt?.id === d.id) {
        this.prompt = { ...this.prompt, draft: d.draft, draft_target: kept };
        if (!this.draftSaver.pending) this.saveState = "saved";
      }
    } catch (e) {
      if (this.prompt?.id === d.id) this.saveState = "error";
      this.notices.error(e);
    }
  }

  /** Asks the core how the draft stands against the newest version. */
  private async refreshStatus(): Promise<void> {
    const prompt = this.prompt;
    if (!prompt) return;
    const seq = ++this.statusSeq;
    try {
      const status = await this.backend.draftStatus(prompt.id, this.draft, this.draftTarget);
      if (seq === this.statusSeq && this.prompt?.id === prompt.id) this.draftStatus = status;
    } catch (e) {
      if (seq === this.statusSeq) this.notices.error(e);
    }
  }

  /** The draft's status, asked now (before deciding whether Save version has anything to save). */
  async currentStatus(): Promise<DraftStatus | null> {
    this.statusChecker.schedule(null);
    await this.statusChecker.flush();
    return this.draftStatus;
  }

  // ---- analysis, variables, preview -----------------------------------------

  private async analyze(template: string): Promise<void> {
    const seq = ++this.analyzeSeq;
    try {
      const analysis = await this.backend.analyzeTemplate(template);
      if (seq !== this.analyzeSeq) return;
      this.analysis = analysis;
      if (analysis.error) {
        this.renderError = null;
        this.rendered = null;
      } else {
        await this.renderPreview();
      }
    } catch (e) {
      if (seq === this.analyzeSeq) this.notices.error(e);
    }
  }

  /** The variables a run asks for: the draft's, then the panes' versions' own. */
  get runVariables(): string[] {
    const names = [...(this.analysis?.variables ?? [])];
    for (const id of this.deps.panes.versionIds()) {
      const v = this.versions.find((x) => x.id === id);
      for (const name of v?.inputs ?? []) if (!names.includes(name)) names.push(name);
    }
    return names;
  }

  /** The values sent with a run: each variable a run asks for that has one. */
  varsForRun(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const name of this.runVariables) {
      const value = this.vars[name];
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  /** Values whose JSON does not parse: a run would not send what the field shows. */
  invalidValues(): { name: string; message: string }[] {
    return this.runVariables.flatMap((name) => {
      const error = this.entries[name]?.error;
      return error ? [{ name, message: `the value of \`${name}\` is ${error}` }] : [];
    });
  }

  private async renderPreview(): Promise<void> {
    const seq = ++this.renderSeq;
    const template = this.draft;
    try {
      const messages = await this.backend.renderTemplate(template, this.varsForRun());
      if (seq !== this.renderSeq) return;
      this.rendered = messages;
      this.renderError = null;
    } catch (e) {
      if (seq !== this.renderSeq) return;
      const err = toErrorReply(e);
      this.rendered = null;
      this.renderError = err.template ?? { kind: "render", message: err.message, line: null, column: null, variable: null };
    }
  }

  /** A version pane changed: the variables a run sends, and so the preview, may have too. */
  inputsChanged(): void {
    if (!this.analysis?.error) this.renderer.schedule(null);
  }

  /** The field of `name` now shows `text` (typed as its mode says). */
  setVarText(name: string, text: string): void {
    const entry = this.entries[name] ?? { mode: "text", text: "", error: null };
    this.entries[name] = { ...entry, text };
    if (entry.mode === "text") {
      this.setValue(name, text);
      return;
    }
    let parser = this.parsers.get(name);
    if (!parser) {
      parser = debounced(ANALYZE_MS, (t) => this.parseJson(name, t));
      this.parsers.set(name, parser);
    }
    parser.schedule(text);
  }

  /** Types `name`'s value as text or JSON; the value carries over where it can. */
  async setVarMode(name: string, mode: VarMode): Promise<void> {
    const entry = this.entries[name] ?? { mode: "text", text: "", error: null };
    if (entry.mode === mode) return;
    const value = this.vars[name];
    if (mode === "json") {
      // Text that reads as JSON (`42`, `[1, 2]`) becomes that value; other text a JSON string.
      const text = entry.text.trim() === "" ? "" : entry.text;
      this.entries[name] = { mode, text: value === undefined ? "" : text, error: null };
      if (text) await this.parseJson(name, text, true);
    } else {
      const text = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
      this.entries[name] = { mode, text, error: null };
      if (value !== undefined) this.setValue(name, text);
    }
  }

  /** Gives `name` no value at all (a run then names it as missing). */
  unsetVar(name: string): void {
    this.parsers.get(name)?.cancel();
    this.entries[name] = { mode: this.entries[name]?.mode ?? "text", text: "", error: null };
    const { [name]: _, ...rest } = this.vars;
    this.commitValues(rest);
  }

  /** Replaces the values with `vars` (a past cell's "load these inputs"). */
  loadValues(vars: Record<string, JsonValue>): void {
    for (const parser of this.parsers.values()) parser.cancel();
    this.entries = { ...this.entries, ...Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, entryFor(v)])) };
    this.commitValues({ ...this.vars, ...vars });
  }

  private async parseJson(name: string, text: string, fromText = false): Promise<void> {
    const promptId = this.prompt?.id;
    if (text.trim() === "") {
      if (this.entries[name]) this.entries[name] = { ...this.entries[name], error: null };
      this.unsetValueOnly(name);
      return;
    }
    try {
      const value = (await this.backend.parseValue(text)) as JsonValue;
      if (this.prompt?.id !== promptId || this.entries[name]?.text !== text) return;
      this.entries[name] = { ...this.entries[name], error: null };
      this.setValue(name, value);
    } catch (e) {
      if (this.prompt?.id !== promptId || this.entries[name]?.text !== text) return;
      if (fromText) {
        // Switching plain text to JSON: text that is not JSON is a JSON string.
        this.entries[name] = { mode: "json", text: JSON.stringify(text), error: null };
        this.setValue(name, text);
        return;
      }
      this.entries[name] = { ...this.entries[name], error: toErrorReply(e).message };
      this.deps.changed();
    }
  }

  private unsetValueOnly(name: string): void {
    if (!(name in this.vars)) return;
    const { [name]: _, ...rest } = this.vars;
    this.commitValues(rest);
  }

  private setValue(name: string, value: JsonValue): void {
    this.commitValues({ ...this.vars, [name]: value });
  }

  private commitValues(vars: Record<string, JsonValue>): void {
    this.vars = vars;
    if (this.prompt) this.valuesSaver.schedule({ id: this.prompt.id, vars });
    if (!this.analysis?.error) this.renderer.schedule(null);
    this.deps.changed();
  }

  private async writeValues(id: number, vars: Record<string, JsonValue>): Promise<void> {
    try {
      await this.backend.saveRunSetup(id, vars, null);
    } catch (e) {
      this.notices.error(e);
    }
  }

  /**
   * The error the editor shows: the syntax error, else the render error. A variable
   * without a value is no fault of the template: its field and Run's reason say so.
   */
  get templateError(): TemplateError | null {
    if (this.analysis?.error) return this.analysis.error;
    return this.renderError?.kind === "undefined_variable" ? null : this.renderError;
  }

  // ---- versions --------------------------------------------------------------

  get latestVersion(): Version | null {
    return this.versions[0] ?? null;
  }

  /** True when saving would make a new version (the core's rule: template, target, inputs). */
  get dirty(): boolean {
    return this.draftStatus?.changed ?? false;
  }

  async saveVersion(message: string): Promise<ErrorReply | null> {
    if (!this.prompt) return null;
    const id = this.prompt.id;
    try {
      await this.draftSaver.flush();
      // The target the core kept with the draft, as `draftStatus` compared it.
      const version = await this.backend.saveVersion(id, { template: this.draft, default_target: this.prompt?.draft_target ?? null, message: message.trim() });
      this.versions = await this.backend.listVersions(id);
      if (this.prompt?.id === id) this.prompt = { ...this.prompt, latest_version: version.number };
      this.statusChecker.schedule(null);
      void this.statusChecker.flush();
      void this.deps.promptsChanged();
      this.notices.info(`Saved v${version.number}`);
      return null;
    } catch (e) {
      const err = toErrorReply(e);
      if (err.code === "unchanged") {
        this.notices.info(err.message || "Nothing changed since the last version.");
        return null;
      }
      return err;
    }
  }

  openVersion(version: Version): void {
    this.viewingVersion = version;
  }

  backToDraft(): void {
    this.viewingVersion = null;
  }

  async restoreVersion(version: Version): Promise<void> {
    if (!this.prompt) return;
    const id = this.prompt.id;
    try {
      await this.draftSaver.flush();
      const restored = await this.backend.restoreVersion(version.id);
      this.versions = await this.backend.listVersions(id);
      // The restored text becomes the draft, so editing continues from it.
      this.draft = restored.template;
      this.docEpoch++;
      this.viewingVersion = null;
      this.draftSaver.schedule({ id, draft: restored.template, target: this.draftTarget });
      await this.draftSaver.flush();
      this.analyzer.schedule(restored.template);
      this.statusChecker.schedule(null);
      void this.deps.promptsChanged();
      this.deps.changed();
      this.notices.info(`Restored v${version.number} as v${restored.number}`);
    } catch (e) {
      this.notices.error(e);
    }
  }
}
