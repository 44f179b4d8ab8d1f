// The open prompt as the editor shows it: its draft (autosaved), its versions, the
// template's analysis and rendered preview, and the variable values. The run panes
// decide two things here (the draft's target, and which versions' variables are
// asked for too); the editor reads them through `PaneSetup`.
import type { Backend } from "../platform/backend";
import { toErrorReply } from "../platform/backend";
import type { ErrorReply, JsonValue, Message, Prompt, Target, TemplateAnalysis, TemplateError, Version } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";
import { debounced, type Debounced } from "../lib/debounce";
import { isStringRecord, loadJson, saveJson, varsKey } from "../lib/storage";

export type SaveState = "saved" | "pending" | "saving" | "error";

export interface DraftSave {
  id: number;
  draft: string;
  target: Target | null;
}

export const AUTOSAVE_MS = 400;
const ANALYZE_MS = 150;

/** What the editor needs of the run panes. */
export interface PaneSetup {
  /** The first draft pane's target, saved with the draft; null without a draft pane. */
  draftPaneTarget(): Target | null;
  /** The versions the panes run, in pane order: their variables are asked for too. */
  versionIds(): number[];
}

export interface EditorDeps {
  panes: PaneSetup;
  /** The library's folder: scopes the variable values kept in the webview's storage. */
  dataDir: () => string;
  /** A version was saved or restored: the library's list shows the newest number. */
  promptsChanged: () => Promise<void>;
}

export class EditorState {
  prompt = $state<Prompt | null>(null);
  draft = $state("");
  /** Bumped when the editor must replace its text (prompt switch, restore). */
  docEpoch = $state(0);
  saveState = $state<SaveState>("saved");

  versions = $state<Version[]>([]);
  viewingVersion = $state<Version | null>(null);

  analysis = $state<TemplateAnalysis | null>(null);
  renderError = $state<TemplateError | null>(null);
  rendered = $state<Message[] | null>(null);
  vars = $state<Record<string, string>>({});

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly deps: EditorDeps;
  private readonly draftSaver: Debounced<DraftSave>;
  private readonly analyzer: Debounced<string>;
  private readonly renderer: Debounced<null>;
  private analyzeSeq = 0;
  private renderSeq = 0;

  constructor(backend: Backend, notices: Notify, deps: EditorDeps) {
    this.backend = backend;
    this.notices = notices;
    this.deps = deps;
    this.draftSaver = debounced(AUTOSAVE_MS, (d) => this.writeDraft(d));
    this.analyzer = debounced(ANALYZE_MS, (t) => this.analyze(t));
    this.renderer = debounced(ANALYZE_MS, () => this.renderPreview());
  }

  // ---- the open prompt -------------------------------------------------------

  /** Shows `prompt` (just fetched) and schedules its analysis; `analyzeNow` runs it. */
  show(prompt: Prompt, versions: Version[]): void {
    this.prompt = prompt;
    this.versions = versions;
    this.draft = prompt.draft;
    this.docEpoch++;
    this.saveState = "saved";
    this.viewingVersion = null;
    this.vars = loadJson(varsKey(this.deps.dataDir(), prompt.id), {}, isStringRecord);
    this.analysis = null;
    this.renderError = null;
    this.rendered = null;
    this.analyzer.schedule(prompt.draft);
  }

  /** Analyses (and renders) what `show` or a restore scheduled, now. */
  analyzeNow(): Promise<void> {
    return this.analyzer.flush();
  }

  close(): void {
    this.prompt = null;
    this.versions = [];
    this.viewingVersion = null;
  }

  renamed(name: string): void {
    if (this.prompt) this.prompt = { ...this.prompt, name };
  }

  // ---- the draft -------------------------------------------------------------

  /** The target saved with the draft and new versions: the first draft pane's. */
  get draftTarget(): Target | null {
    return this.deps.panes.draftPaneTarget() ?? this.prompt?.draft_target ?? null;
  }

  setDraft(text: string): void {
    if (!this.prompt || text === this.draft) return;
    this.draft = text;
    this.saveState = "pending";
    this.draftSaver.schedule({ id: this.prompt.id, draft: text, target: this.draftTarget });
    this.analyzer.schedule(text);
  }

  /** The first draft pane's target changed: save it with the draft. */
  targetChanged(): void {
    if (!this.prompt) return;
    this.saveState = "pending";
    this.draftSaver.schedule({ id: this.prompt.id, draft: this.draft, target: this.draftTarget });
  }

  /** Saves a pending draft now (before quitting, switching or running). */
  flushDraft(): Promise<void> {
    return this.draftSaver.flush();
  }

  /** Forgets a pending draft (its prompt is being deleted). */
  dropDraft(): void {
    this.draftSaver.cancel();
  }

  private async writeDraft(d: DraftSave): Promise<void> {
    this.saveState = "saving";
    try {
      await this.backend.saveDraft(d.id, d.draft, d.target);
      if (this.prompt?.id === d.id) {
        this.prompt = { ...this.prompt, draft: d.draft, draft_target: d.target };
        if (!this.draftSaver.pending) this.saveState = "saved";
      }
    } catch (e) {
      if (this.prompt?.id === d.id) this.saveState = "error";
      this.notices.error(e);
    }
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

  /** The values sent with a run: one per variable the draft and the panes' versions use. */
  get runVariables(): string[] {
    const names = [...(this.analysis?.variables ?? [])];
    for (const id of this.deps.panes.versionIds()) {
      const v = this.versions.find((x) => x.id === id);
      for (const name of v?.inputs ?? []) if (!names.includes(name)) names.push(name);
    }
    return names;
  }

  varsForRun(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const name of this.runVariables) out[name] = this.vars[name] ?? "";
    return out;
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

  setVar(name: string, value: string): void {
    this.vars = { ...this.vars, [name]: value };
    if (this.prompt) saveJson(varsKey(this.deps.dataDir(), this.prompt.id), this.vars);
    if (!this.analysis?.error) this.renderer.schedule(null);
  }

  /** The error the editor shows: the syntax error, else the render error. */
  get templateError(): TemplateError | null {
    return this.analysis?.error ?? this.renderError;
  }

  // ---- versions --------------------------------------------------------------

  get latestVersion(): Version | null {
    return this.versions[0] ?? null;
  }

  /** True when the draft differs from the newest version (or there is none yet). */
  get dirty(): boolean {
    const latest = this.latestVersion;
    return latest ? latest.template !== this.draft : this.draft.trim().length > 0;
  }

  async saveVersion(message: string): Promise<ErrorReply | null> {
    if (!this.prompt) return null;
    const id = this.prompt.id;
    try {
      await this.draftSaver.flush();
      const version = await this.backend.saveVersion(id, { template: this.draft, default_target: this.draftTarget, message: message.trim() });
      this.versions = await this.backend.listVersions(id);
      if (this.prompt?.id === id) this.prompt = { ...this.prompt, latest_version: version.number };
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
      void this.deps.promptsChanged();
      this.notices.info(`Restored v${version.number} as v${restored.number}`);
    } catch (e) {
      this.notices.error(e);
    }
  }
}
