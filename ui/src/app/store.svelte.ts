// The window's state and the actions on it. Components read fields and call
// methods; every backend call goes through `backend` so tests can use the fake.
import type { Backend } from "../platform/backend";
import { toErrorReply } from "../platform/backend";
import type {
  ConnectionTest,
  ErrorReply,
  JsonValue,
  KindInfo,
  Message,
  ModelInfo,
  Price,
  Prompt,
  PromptSummary,
  ProviderConfig,
  ProviderEntry,
  Run,
  RunSpec,
  RunSummary,
  Target,
  TemplateAnalysis,
  TemplateError,
  Version,
} from "../ipc/bindings";
import { debounced, type Debounced } from "../lib/debounce";
import { formatErrorReply } from "../lib/errors";
import { isStringRecord, loadJson, panesKey, saveJson, varsKey } from "../lib/storage";
import { applyRunEvent, viewFromRun, type RunView } from "../run/runState";
import {
  MAX_PANES,
  defaultPanes,
  defaultTarget,
  isStoredPanes,
  newPaneKey,
  restorePanes,
  toVariant,
  type PaneConfig,
  type StoredPane,
} from "../run/panes";

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

export interface ModelList {
  loading: boolean;
  models: ModelInfo[];
  error: string | null;
}

/** The last "Test connection" of a provider in the settings screen. */
export type ConnectionState =
  | { status: "testing" }
  | { status: "ok"; result: ConnectionTest }
  | { status: "error"; message: string };

export type SaveState = "saved" | "pending" | "saving" | "error";

export interface DraftSave {
  id: number;
  draft: string;
  target: Target | null;
}

export const AUTOSAVE_MS = 400;
const ANALYZE_MS = 150;

export class AppStore {
  readonly backend: Backend;

  ready = $state(false);
  libraryError = $state<string | null>(null);
  appVersion = $state("");
  /** The library's folder: scopes per-prompt UI state kept in the webview's storage. */
  library = "";

  providers = $state<ProviderConfig[]>([]);
  /** What the core says about each provider kind (defaults, whether it needs a key). */
  kinds = $state<KindInfo[]>([]);
  models = $state<Record<string, ModelList>>({});

  prompts = $state<PromptSummary[]>([]);
  search = $state("");
  promptsLoaded = $state(false);

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

  panes = $state<PaneConfig[]>([]);
  liveRun = $state<RunView | null>(null);
  /** The prompt the live run belongs to; its results show only there. */
  liveRunPrompt = $state<number | null>(null);
  running = $state(false);
  cancelling = $state(false);
  runs = $state<RunSummary[]>([]);
  historyRun = $state<{ run: Run; view: RunView } | null>(null);

  toasts = $state<Toast[]>([]);
  saveDialogOpen = $state(false);
  /** The sidebar shows its inline name field for a new prompt. */
  creatingPrompt = $state(false);

  settingsOpen = $state(false);
  /** Providers with key status, as the settings screen lists them. */
  providerEntries = $state<ProviderEntry[]>([]);
  entriesLoaded = $state(false);
  /** The library's default target: where panes of prompts without a setup start. */
  defaultTarget = $state<Target | null>(null);
  connections = $state<Record<string, ConnectionState>>({});
  /** The price table (US dollars per million tokens), by provider then model. */
  prices = $state<Price[]>([]);
  pricesLoaded = $state(false);
  /** A pane's "no price" asked the settings screen to open the price form on this model. */
  priceRequest = $state<{ provider: string; model: string } | null>(null);

  private draftSaver: Debounced<DraftSave>;
  private analyzer: Debounced<string>;
  private renderer: Debounced<null>;
  private analyzeSeq = 0;
  private renderSeq = 0;
  private toastSeq = 0;
  private searchSeq = 0;
  private activeRunId: number | null = null;
  private runSeq = 0;

  constructor(backend: Backend) {
    this.backend = backend;
    this.draftSaver = debounced(AUTOSAVE_MS, (d) => this.writeDraft(d));
    this.analyzer = debounced(ANALYZE_MS, (t) => this.analyze(t));
    this.renderer = debounced(ANALYZE_MS, () => this.renderPreview());
  }

  // ---- startup -------------------------------------------------------------

  async init(): Promise<void> {
    try {
      const status = await this.backend.appStatus();
      this.appVersion = status.version;
      this.library = status.data_dir;
      if (status.library_error) {
        this.libraryError = status.library_error;
        return;
      }
      const [providers, target, kinds] = await Promise.all([
        this.backend.listProviders(),
        // Not worth failing the window over: panes then start on the first provider.
        this.backend.defaultTarget().catch(() => null),
        this.backend.providerKinds(),
        this.loadPrompts(),
      ]);
      this.providers = providers;
      this.kinds = kinds;
      this.defaultTarget = target;
      for (const p of providers) void this.loadModels(p.id);
      const first = this.prompts[0];
      if (first) await this.select(first.id);
    } catch (e) {
      const err = toErrorReply(e);
      if (err.code === "library") this.libraryError = err.message;
      else this.notifyError(err);
    } finally {
      this.ready = true;
    }
  }

  // ---- notifications -------------------------------------------------------

  notify(text: string, kind: Toast["kind"] = "info"): void {
    const id = ++this.toastSeq;
    this.toasts = [...this.toasts, { id, kind, text }];
    setTimeout(() => this.dismiss(id), kind === "error" ? 8000 : 3500);
  }

  notifyError(e: unknown): void {
    this.notify(formatErrorReply(toErrorReply(e)), "error");
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  // ---- library -------------------------------------------------------------

  async loadPrompts(): Promise<void> {
    const seq = ++this.searchSeq;
    const list = await this.backend.listPrompts(this.search.trim() || null);
    if (seq !== this.searchSeq) return; // a newer search answered first
    this.prompts = list;
    this.promptsLoaded = true;
  }

  async setSearch(text: string): Promise<void> {
    this.search = text;
    try {
      await this.loadPrompts();
    } catch (e) {
      this.notifyError(e);
    }
  }

  async select(id: number): Promise<void> {
    if (this.prompt?.id === id) return;
    await this.draftSaver.flush();
    try {
      const [prompt, versions, runs] = await Promise.all([
        this.backend.getPrompt(id),
        this.backend.listVersions(id),
        this.backend.listRuns(id, null),
      ]);
      this.prompt = prompt;
      this.versions = versions;
      this.runs = runs;
      this.draft = prompt.draft;
      this.docEpoch++;
      this.saveState = "saved";
      this.viewingVersion = null;
      this.historyRun = null;
      this.vars = loadJson(varsKey(this.library, id), {}, isStringRecord);
      const stored = loadJson<StoredPane[] | null>(panesKey(this.library, id), null, (v): v is StoredPane[] => isStoredPanes(v));
      this.panes = stored ? restorePanes(stored, versions) : defaultPanes(this.providers, prompt.draft_target ?? $state.snapshot(this.defaultTarget), versions);
      this.fillModels();
      this.analysis = null;
      this.renderError = null;
      this.rendered = null;
      this.analyzer.schedule(prompt.draft);
      await this.analyzer.flush();
    } catch (e) {
      this.notifyError(e);
    }
  }

  async createPrompt(name: string): Promise<boolean> {
    try {
      const prompt = await this.backend.createPrompt(name);
      this.search = "";
      await this.loadPrompts();
      await this.select(prompt.id);
      return true;
    } catch (e) {
      this.notifyError(e);
      return false;
    }
  }

  async renamePrompt(id: number, name: string): Promise<boolean> {
    try {
      const prompt = await this.backend.renamePrompt(id, name);
      if (this.prompt?.id === id) this.prompt = { ...this.prompt, name: prompt.name };
      await this.loadPrompts();
      return true;
    } catch (e) {
      this.notifyError(e);
      return false;
    }
  }

  async duplicatePrompt(id: number): Promise<void> {
    try {
      if (this.prompt?.id === id) await this.draftSaver.flush();
      const copy = await this.backend.duplicatePrompt(id);
      await this.loadPrompts();
      await this.select(copy.id);
      this.notify(`Created “${copy.name}”`);
    } catch (e) {
      this.notifyError(e);
    }
  }

  async deletePrompt(id: number): Promise<void> {
    try {
      if (this.prompt?.id === id) this.draftSaver.cancel();
      await this.backend.deletePrompt(id);
      const index = this.prompts.findIndex((p) => p.id === id);
      await this.loadPrompts();
      if (this.prompt?.id === id) {
        this.prompt = null;
        this.versions = [];
        this.runs = [];
        this.panes = [];
        this.liveRun = null;
        this.historyRun = null;
        this.viewingVersion = null;
        const next = this.prompts[Math.min(index, this.prompts.length - 1)];
        if (next) await this.select(next.id);
      }
    } catch (e) {
      this.notifyError(e);
    }
  }

  // ---- editor --------------------------------------------------------------

  /** The target saved with the draft and new versions: the first draft pane's. */
  get draftTarget(): Target | null {
    const pane = this.panes.find((p) => p.source === "draft");
    return pane ? $state.snapshot(pane.target) : (this.prompt?.draft_target ?? null);
  }

  setDraft(text: string): void {
    if (!this.prompt || text === this.draft) return;
    this.draft = text;
    this.saveState = "pending";
    this.draftSaver.schedule({ id: this.prompt.id, draft: text, target: this.draftTarget });
    this.analyzer.schedule(text);
  }

  /** Saves a pending draft now (before quitting or switching). */
  flushDraft(): Promise<void> {
    return this.draftSaver.flush();
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
      this.notifyError(e);
    }
  }

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
      if (seq === this.analyzeSeq) this.notifyError(e);
    }
  }

  /** The values sent with a run: one per variable the draft and the panes' versions use. */
  get runVariables(): string[] {
    const names = [...(this.analysis?.variables ?? [])];
    for (const pane of this.panes) {
      if (pane.source === "draft") continue;
      const v = this.versions.find((x) => x.id === pane.source);
      for (const name of v?.inputs ?? []) if (!names.includes(name)) names.push(name);
    }
    return names;
  }

  private varsForRun(): Record<string, JsonValue> {
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

  setVar(name: string, value: string): void {
    this.vars = { ...this.vars, [name]: value };
    if (this.prompt) saveJson(varsKey(this.library, this.prompt.id), this.vars);
    if (!this.analysis?.error) this.renderer.schedule(null);
  }

  /** The error the editor shows: the syntax error, else the render error. */
  get templateError(): TemplateError | null {
    return this.analysis?.error ?? this.renderError;
  }

  get latestVersion(): Version | null {
    return this.versions[0] ?? null;
  }

  /** True when the draft differs from the newest version (or there is none yet). */
  get dirty(): boolean {
    const latest = this.latestVersion;
    return latest ? latest.template !== this.draft : this.draft.trim().length > 0;
  }

  // ---- versions ------------------------------------------------------------

  async saveVersion(message: string): Promise<ErrorReply | null> {
    if (!this.prompt) return null;
    const id = this.prompt.id;
    try {
      await this.draftSaver.flush();
      const version = await this.backend.saveVersion(id, { template: this.draft, default_target: this.draftTarget, message: message.trim() });
      this.versions = await this.backend.listVersions(id);
      if (this.prompt?.id === id) this.prompt = { ...this.prompt, latest_version: version.number };
      void this.loadPrompts();
      this.notify(`Saved v${version.number}`);
      return null;
    } catch (e) {
      const err = toErrorReply(e);
      if (err.code === "unchanged") {
        this.notify(err.message || "Nothing changed since the last version.");
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
      void this.loadPrompts();
      this.notify(`Restored v${version.number} as v${restored.number}`);
    } catch (e) {
      this.notifyError(e);
    }
  }

  // ---- panes ---------------------------------------------------------------

  private persistPanes(): void {
    if (!this.prompt) return;
    saveJson(panesKey(this.library, this.prompt.id), this.panes.map((p) => ({ source: p.source, target: $state.snapshot(p.target) })));
  }

  updatePane(key: number, change: (pane: PaneConfig) => void): void {
    const pane = this.panes.find((p) => p.key === key);
    if (!pane) return;
    change(pane);
    this.persistPanes();
    if (pane.source !== "draft" && !this.analysis?.error) this.renderer.schedule(null);
    // The first draft pane's target is the draft's default target: save it with the draft.
    if (this.prompt && this.panes.find((p) => p.source === "draft")?.key === key) {
      this.saveState = "pending";
      this.draftSaver.schedule({ id: this.prompt.id, draft: this.draft, target: this.draftTarget });
    }
  }

  addPane(): void {
    if (this.panes.length >= MAX_PANES || this.running) return;
    const last = this.panes.at(-1);
    const target = last ? $state.snapshot(last.target) : defaultTarget(this.providers, $state.snapshot(this.defaultTarget));
    const models = this.models[target.provider]?.models ?? [];
    const used = new Set(this.panes.map((p) => p.target.model));
    const fresh = models.find((m) => !used.has(m.id));
    if (fresh) target.model = fresh.id;
    this.panes = [...this.panes, { key: newPaneKey(), source: "draft", target }];
    if (this.liveRun) this.liveRun = { ...this.liveRun, panes: [...this.liveRun.panes, null] };
    this.persistPanes();
  }

  removePane(key: number): void {
    if (this.panes.length <= 1 || this.running) return;
    const index = this.panes.findIndex((p) => p.key === key);
    if (index < 0) return;
    this.panes = this.panes.filter((p) => p.key !== key);
    if (this.liveRun) this.liveRun = { ...this.liveRun, panes: this.liveRun.panes.filter((_, i) => i !== index) };
    this.persistPanes();
  }

  async loadModels(providerId: string): Promise<void> {
    this.models = { ...this.models, [providerId]: { loading: true, models: this.models[providerId]?.models ?? [], error: null } };
    try {
      const models = await this.backend.listModels(providerId);
      this.models = { ...this.models, [providerId]: { loading: false, models, error: null } };
      this.fillModels();
    } catch (e) {
      this.models = { ...this.models, [providerId]: { loading: false, models: [], error: toErrorReply(e).message } };
    }
  }

  /** Gives panes without a model the provider's models, a different one per pane where possible. */
  private fillModels(): void {
    let changed = false;
    const used = new Set(this.panes.map((p) => p.target.model).filter(Boolean));
    for (const pane of this.panes) {
      if (pane.target.model) continue;
      const models = this.models[pane.target.provider]?.models ?? [];
      const pick = models.find((m) => !used.has(m.id)) ?? models[0];
      if (pick) {
        pane.target.model = pick.id;
        used.add(pick.id);
        changed = true;
      }
    }
    if (changed) this.persistPanes();
  }

  // ---- runs ----------------------------------------------------------------

  get canRun(): boolean {
    return !!this.prompt && !this.running && this.panes.length > 0;
  }

  async run(): Promise<void> {
    if (!this.prompt || this.running || this.panes.length === 0) return;
    const promptId = this.prompt.id;
    await this.draftSaver.flush();
    const spec: RunSpec = {
      prompt_id: promptId,
      variants: this.panes.map((p) => toVariant($state.snapshot(p) as PaneConfig, promptId, this.draft)),
      cases: [{ id: "", vars: this.varsForRun(), assertions: [] }],
      assertions: [],
      suite_hash: null,
      samples: 1,
      use_cache: true,
    };
    this.historyRun = null;
    this.running = true;
    this.cancelling = false;
    this.liveRun = null;
    this.liveRunPrompt = promptId;
    this.activeRunId = null;
    const seq = ++this.runSeq;
    try {
      const runId = await this.backend.startRun(spec, (event) => {
        if (seq !== this.runSeq) return; // a straggler from an earlier run
        if (event.event === "started") this.activeRunId = event.run.id;
        this.liveRun = applyRunEvent(this.liveRun, event);
        if (event.event === "finished") {
          this.running = false;
          this.cancelling = false;
          if (this.prompt?.id === promptId) void this.refreshRuns();
        }
      });
      if (seq === this.runSeq) this.activeRunId = runId;
    } catch (e) {
      if (seq === this.runSeq) this.running = false;
      this.notifyError(e);
    }
  }

  /** The run the panes show: an opened past run, else this prompt's live run. */
  get shownRun(): RunView | null {
    if (this.historyRun) return this.historyRun.view;
    return this.prompt && this.liveRunPrompt === this.prompt.id ? this.liveRun : null;
  }

  async cancel(): Promise<void> {
    const runId = this.activeRunId;
    if (!this.running || runId === null) return;
    this.cancelling = true;
    try {
      await this.backend.cancelRun(runId);
    } catch (e) {
      this.cancelling = false;
      this.notifyError(e);
    }
  }

  async refreshRuns(): Promise<void> {
    if (!this.prompt) return;
    try {
      this.runs = await this.backend.listRuns(this.prompt.id, null);
    } catch (e) {
      this.notifyError(e);
    }
  }

  async openRun(runId: number): Promise<void> {
    try {
      const run = await this.backend.getRun(runId);
      this.historyRun = { run, view: viewFromRun(run) };
    } catch (e) {
      this.notifyError(e);
    }
  }

  backToLive(): void {
    this.historyRun = null;
  }

  // ---- settings ------------------------------------------------------------

  openSettings(): void {
    if (this.settingsOpen) return;
    void this.flushDraft();
    this.settingsOpen = true;
    void this.loadSettings();
  }

  closeSettings(): void {
    this.settingsOpen = false;
  }

  /** Opens the settings with the price form on `provider` and `model`. */
  openPriceFor(provider: string, model: string): void {
    this.priceRequest = { provider, model };
    this.openSettings();
  }

  async loadSettings(): Promise<void> {
    void this.loadPrices();
    try {
      const [entries, target] = await Promise.all([this.backend.providerEntries(), this.backend.defaultTarget()]);
      this.providerEntries = entries;
      this.defaultTarget = target;
    } catch (e) {
      this.notifyError(e);
    } finally {
      this.entriesLoaded = true;
    }
  }

  async loadPrices(): Promise<void> {
    try {
      this.prices = await this.backend.listPrices();
    } catch (e) {
      this.notifyError(e);
    } finally {
      this.pricesLoaded = true;
    }
  }

  /**
   * Adds or replaces a price. `replacing` is the row being edited: when its provider
   * or model changed, the old row is removed once the new one is saved. Returns the
   * refusal for the form to show.
   */
  async savePrice(price: Price, replacing: { provider: string; model: string } | null = null): Promise<ErrorReply | null> {
    try {
      await this.backend.setPrice(price);
    } catch (e) {
      return toErrorReply(e);
    }
    if (replacing && (replacing.provider !== price.provider || replacing.model !== price.model.trim())) {
      try {
        await this.backend.deletePrice(replacing.provider, replacing.model);
      } catch (e) {
        this.notifyError(e);
      }
    }
    await this.loadPrices();
    return null;
  }

  async removePrice(provider: string, model: string): Promise<boolean> {
    try {
      await this.backend.deletePrice(provider, model);
      this.prices = this.prices.filter((p) => p.provider !== provider || p.model !== model);
      this.notify(`Removed the price of ${model}`);
      return true;
    } catch (e) {
      this.notifyError(e);
      await this.loadPrices();
      return false;
    }
  }

  private putEntry(entry: ProviderEntry): void {
    const i = this.providerEntries.findIndex((x) => x.config.id === entry.config.id);
    this.providerEntries = i < 0 ? [...this.providerEntries, entry] : this.providerEntries.map((x, j) => (j === i ? entry : x));
  }

  /** The panes' provider picker reads list_providers: keep it in step with the settings. */
  private async refreshProviders(): Promise<void> {
    try {
      this.providers = await this.backend.listProviders();
    } catch (e) {
      this.notifyError(e);
    }
  }

  /** Adds (`isNew`) or updates a provider. Returns the refusal for the form to show. */
  async saveProvider(config: ProviderConfig, isNew: boolean): Promise<ErrorReply | null> {
    try {
      const entry = isNew ? await this.backend.addProvider(config) : await this.backend.updateProvider(config);
      this.putEntry(entry);
      const { [config.id]: _, ...rest } = this.connections;
      this.connections = rest;
      await this.refreshProviders();
      void this.loadModels(config.id);
      this.notify(isNew ? `Added ${entry.config.name}` : `Saved ${entry.config.name}`);
      return null;
    } catch (e) {
      return toErrorReply(e);
    }
  }

  async removeProvider(id: string): Promise<boolean> {
    try {
      await this.backend.deleteProvider(id);
      this.providerEntries = this.providerEntries.filter((x) => x.config.id !== id);
      const { [id]: _, ...rest } = this.connections;
      this.connections = rest;
      const { [id]: __, ...models } = this.models;
      this.models = models;
      // The table's rows go with their provider (ON DELETE CASCADE).
      this.prices = this.prices.filter((p) => p.provider !== id);
      await this.refreshProviders();
      return true;
    } catch (e) {
      this.notifyError(e);
      return false;
    }
  }

  async testConnection(id: string): Promise<void> {
    this.connections = { ...this.connections, [id]: { status: "testing" } };
    let state: ConnectionState;
    try {
      state = { status: "ok", result: await this.backend.testConnection(id) };
    } catch (e) {
      state = { status: "error", message: toErrorReply(e).message };
    }
    // The provider may have been removed while the test ran.
    if (this.providerEntries.some((x) => x.config.id === id)) this.connections = { ...this.connections, [id]: state };
  }

  /**
   * Hands the key to the OS keyring. The secret is an argument only: nothing here
   * keeps, logs or shows it, and the caller clears its field when this returns.
   */
  async setKey(providerId: string, secret: string): Promise<ErrorReply | null> {
    try {
      this.putEntry(await this.backend.setKey(providerId, secret));
      void this.loadModels(providerId);
      return null;
    } catch (e) {
      return toErrorReply(e);
    }
  }

  async deleteKey(providerId: string): Promise<void> {
    try {
      this.putEntry(await this.backend.deleteKey(providerId));
    } catch (e) {
      this.notifyError(e);
    }
  }

  async saveDefaultTarget(target: Target | null): Promise<boolean> {
    try {
      await this.backend.setDefaultTarget(target);
      this.defaultTarget = target;
      this.notify(target ? `New panes start on ${target.model}` : "Default target cleared");
      return true;
    } catch (e) {
      this.notifyError(e);
      return false;
    }
  }
}
