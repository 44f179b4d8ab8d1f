// The run area: the panes' setup (kept per prompt in the webview's storage), the run
// they start, its live view, and the prompt's past runs. The open prompt (draft,
// versions, variable values) is the editor's: the panes reach it through `RunSource`,
// and the providers through `Targets`.
import type { Backend } from "../platform/backend";
import type { JsonValue, KindInfo, ProviderConfig, ProviderKind, Prompt, Run, RunSpec, RunSummary, Target, Version } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";
import type { ModelList } from "../providers/state.svelte";
import { loadJson, panesKey, saveJson } from "../lib/storage";
import { applyRunEvent, viewFromRun, type RunView } from "./runView";
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
} from "./panes";

/** What the run area needs of the open prompt (the editor's state). */
export interface RunSource {
  readonly prompt: Prompt | null;
  readonly draft: string;
  readonly versions: Version[];
  /** Saves a pending draft now: a run reads the saved prompt. */
  flushDraft(): Promise<void>;
  /** The values of the variables a run sends. */
  varsForRun(): Record<string, JsonValue>;
  /** The first draft pane's target changed: it is saved with the draft. */
  targetChanged(): void;
  /** A version pane changed: the variables a run sends may have too. */
  inputsChanged(): void;
}

/** What the panes need of the providers. */
export interface Targets {
  readonly list: ProviderConfig[];
  readonly models: Record<string, ModelList>;
  readonly defaultTarget: Target | null;
  loadModels(providerId: string): Promise<void>;
  onModelsLoaded(listener: () => void): void;
  kind(kind: ProviderKind): KindInfo;
  name(id: string): string;
}

export class RunState {
  panes = $state<PaneConfig[]>([]);
  liveRun = $state<RunView | null>(null);
  /** The prompt the live run belongs to; its results show only there. */
  liveRunPrompt = $state<number | null>(null);
  running = $state(false);
  cancelling = $state(false);
  runs = $state<RunSummary[]>([]);
  historyRun = $state<{ run: Run; view: RunView } | null>(null);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly source: RunSource;
  private readonly targets: Targets;
  /** The library's folder: scopes the pane setups kept in the webview's storage. */
  private readonly dataDir: () => string;
  private activeRunId: number | null = null;
  private runSeq = 0;

  constructor(backend: Backend, notices: Notify, source: RunSource, targets: Targets, dataDir: () => string) {
    this.backend = backend;
    this.notices = notices;
    this.source = source;
    this.targets = targets;
    this.dataDir = dataDir;
    targets.onModelsLoaded(() => this.fillModels());
  }

  // ---- the open prompt -------------------------------------------------------

  /** The panes and past runs of the prompt the editor just showed. */
  show(prompt: Prompt, versions: Version[], runs: RunSummary[]): void {
    this.runs = runs;
    this.historyRun = null;
    const stored = loadJson<StoredPane[] | null>(panesKey(this.dataDir(), prompt.id), null, (v): v is StoredPane[] => isStoredPanes(v));
    this.panes = stored
      ? restorePanes(stored, versions)
      : defaultPanes(this.targets.list, prompt.draft_target ?? $state.snapshot(this.targets.defaultTarget), versions);
    this.fillModels();
  }

  close(): void {
    this.runs = [];
    this.panes = [];
    this.liveRun = null;
    this.historyRun = null;
  }

  /** The versions a pane can run: the open prompt's. */
  get versions(): Version[] {
    return this.source.versions;
  }

  // ---- panes -----------------------------------------------------------------

  /** The first draft pane's target, which is saved with the draft; null without a draft pane. */
  draftPaneTarget(): Target | null {
    const pane = this.panes.find((p) => p.source === "draft");
    return pane ? $state.snapshot(pane.target) : null;
  }

  /** The versions the panes run, in pane order. */
  versionIds(): number[] {
    return this.panes.flatMap((p) => (p.source === "draft" ? [] : [p.source]));
  }

  private persistPanes(): void {
    const prompt = this.source.prompt;
    if (!prompt) return;
    saveJson(panesKey(this.dataDir(), prompt.id), this.panes.map((p) => ({ source: p.source, target: $state.snapshot(p.target) })));
  }

  updatePane(key: number, change: (pane: PaneConfig) => void): void {
    const pane = this.panes.find((p) => p.key === key);
    if (!pane) return;
    change(pane);
    this.persistPanes();
    if (pane.source !== "draft") this.source.inputsChanged();
    // The first draft pane's target is the draft's default target: save it with the draft.
    if (this.panes.find((p) => p.source === "draft")?.key === key) this.source.targetChanged();
  }

  addPane(): void {
    if (this.panes.length >= MAX_PANES || this.running) return;
    const last = this.panes.at(-1);
    const target = last ? $state.snapshot(last.target) : defaultTarget(this.targets.list, $state.snapshot(this.targets.defaultTarget));
    const models = this.targets.models[target.provider]?.models ?? [];
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

  /** Gives panes without a model the provider's models, a different one per pane where possible. */
  private fillModels(): void {
    let changed = false;
    const used = new Set(this.panes.map((p) => p.target.model).filter(Boolean));
    for (const pane of this.panes) {
      if (pane.target.model) continue;
      const models = this.targets.models[pane.target.provider]?.models ?? [];
      const pick = models.find((m) => !used.has(m.id)) ?? models[0];
      if (pick) {
        pane.target.model = pick.id;
        used.add(pick.id);
        changed = true;
      }
    }
    if (changed) this.persistPanes();
  }

  // ---- runs ------------------------------------------------------------------

  get canRun(): boolean {
    return !!this.source.prompt && !this.running && this.panes.length > 0;
  }

  async run(): Promise<void> {
    const prompt = this.source.prompt;
    if (!prompt || this.running || this.panes.length === 0) return;
    const promptId = prompt.id;
    await this.source.flushDraft();
    const spec: RunSpec = {
      prompt_id: promptId,
      variants: this.panes.map((p) => toVariant($state.snapshot(p) as PaneConfig, promptId, this.source.draft)),
      cases: [{ id: "", vars: this.source.varsForRun(), assertions: [] }],
      samples: 1,
      use_cache: null,
      assertions: [],
      suite_hash: null,
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
          if (this.source.prompt?.id === promptId) void this.refreshRuns();
        }
      });
      if (seq === this.runSeq) this.activeRunId = runId;
    } catch (e) {
      if (seq === this.runSeq) this.running = false;
      this.notices.error(e);
    }
  }

  /** The run the panes show: an opened past run, else this prompt's live run. */
  get shownRun(): RunView | null {
    if (this.historyRun) return this.historyRun.view;
    const prompt = this.source.prompt;
    return prompt && this.liveRunPrompt === prompt.id ? this.liveRun : null;
  }

  async cancel(): Promise<void> {
    const runId = this.activeRunId;
    if (!this.running || runId === null) return;
    this.cancelling = true;
    try {
      await this.backend.cancelRun(runId);
    } catch (e) {
      this.cancelling = false;
      this.notices.error(e);
    }
  }

  async refreshRuns(): Promise<void> {
    const prompt = this.source.prompt;
    if (!prompt) return;
    try {
      this.runs = await this.backend.listRuns(prompt.id, null);
    } catch (e) {
      this.notices.error(e);
    }
  }

  async openRun(runId: number): Promise<void> {
    try {
      const run = await this.backend.getRun(runId);
      this.historyRun = { run, view: viewFromRun(run) };
    } catch (e) {
      this.notices.error(e);
    }
  }

  backToLive(): void {
    this.historyRun = null;
  }
}
