// The run area: the panes (kept per prompt in the library's run setup, which `whet
// run` shares), the run check (every reason a run would fail, from the core, as the
// user types), the run they start, its live view, the prompt's past runs, and what
// produced a cell. The open prompt (draft, versions, variable values) is the
// editor's: the panes reach it through `RunSource`, and the providers through `Targets`.
import type { Backend } from "../platform/backend";
import type {
  CellDetails,
  JsonValue,
  KindInfo,
  ProviderConfig,
  ProviderKind,
  Prompt,
  Run,
  RunCheck,
  RunProblem,
  RunSetup,
  RunSpec,
  RunSummary,
  Target,
  VariantStats,
  Version,
} from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";
import type { ModelList } from "../providers/state.svelte";
import { debounced, type Debounced } from "../lib/debounce";
import { shortDateTime } from "../lib/time";
import { applyRunEvent, viewFromRun, type RunView } from "./runView";
import { newPaneKey, panesFromSetup, toSetupVariant, toVariant, type PaneConfig } from "./panes";

/** What the run area needs of the open prompt (the editor's state). */
export interface RunSource {
  readonly prompt: Prompt | null;
  readonly draft: string;
  readonly versions: Version[];
  /** Saves a pending draft and values now: a run reads the saved prompt. */
  flushDraft(): Promise<void>;
  /** The values of the variables a run sends (a variable without a value is left out). */
  varsForRun(): Record<string, JsonValue>;
  /** Values typed as JSON that do not parse: a run would not send what the field shows. */
  invalidValues(): { name: string; message: string }[];
  /** The first draft pane's target changed: it is saved with the draft. */
  targetChanged(): void;
  /** A version pane changed: the variables a run sends may have too. */
  inputsChanged(): void;
  /** Puts a past cell's values into the variables panel. */
  loadValues(vars: Record<string, JsonValue>): void;
}

/** What the panes need of the providers. */
export interface Targets {
  readonly list: ProviderConfig[];
  readonly models: Record<string, ModelList>;
  /** The core's pick for a pane with nothing to copy: a local model that answers, else echo. */
  readonly suggested: Target | null;
  ensureModels(providerId: string): void;
  loadModels(providerId: string): Promise<void>;
  onModelsLoaded(listener: () => void): void;
  /** Calls `listener` when the providers' status was asked again. */
  onStatus(listener: () => void): void;
  kind(kind: ProviderKind): KindInfo;
  name(id: string): string;
}

/** How a run is asked for: the cache rule, and past the warnings or not. */
export interface RunOptions {
  /** Every request goes to the provider (`use_cache: false`). */
  fresh?: boolean;
  /** Run although variables are empty. */
  anyway?: boolean;
}

/** Why Run is disabled, or null when it is not. */
export interface RunBlock {
  /** The sentences to show, most important first. */
  reasons: string[];
  /** Only warnings the user may override stand in the way ("Run anyway"). */
  overridable: boolean;
}

/** One thing the check (or a value that is not JSON) says about a run. */
export interface Issue {
  message: string;
  /** The run cannot start. */
  blocking: boolean;
  /** Run stops for it, but the user may run anyway (empty values). */
  overridable: boolean;
  /** The panes it concerns, by index; empty when it is the whole run's. */
  variants: number[];
}

/** A run's cost from the core's numbers (`run_stats`). */
export interface RunCost {
  runId: number;
  usd: number;
  /** Cells without a price, not counted. */
  unpriced: number;
}

const CHECK_MS = 200;
const SETUP_SAVE_MS = 300;

export class RunState {
  panes = $state<PaneConfig[]>([]);
  /** The most panes a setup holds (the core's limit, from `window_start`). */
  maxPanes = $state(4);
  /** The run started in this window, while it goes (and after, while its prompt is shown). */
  liveRun = $state.raw<RunView | null>(null);
  /** The prompt the live run belongs to; its results show only there. */
  liveRunPrompt = $state<number | null>(null);
  /** The shown prompt's newest run from the library, reopened in the panes. */
  restoredRun = $state.raw<RunView | null>(null);
  running = $state(false);
  cancelling = $state(false);
  runs = $state.raw<RunSummary[]>([]);
  historyRun = $state.raw<{ run: Run; view: RunView } | null>(null);
  /** The run check of the panes as they are now; null until the first answer. */
  check = $state.raw<RunCheck | null>(null);
  /** The draft text the shown check was made for (its suggestions fix that text). */
  checkedDraft = $state<string | null>(null);
  /** Ask for kept answers of sampled requests too (`use_cache: true`); off: the core's default. */
  useCache = $state(false);
  /** What produced a cell, while its details are open. */
  details = $state.raw<CellDetails | null>(null);
  /** The shown run's cost, from the core. */
  cost = $state.raw<RunCost | null>(null);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly source: RunSource;
  private readonly targets: Targets;
  private readonly checker: Debounced<null>;
  private readonly setupSaver: Debounced<{ id: number; panes: PaneConfig[] }>;
  private activeRunId: number | null = null;
  private runSeq = 0;
  private checkSeq = 0;
  /** The spec (as JSON) the shown check answers, or null. */
  private checkedKey = $state<string | null>(null);

  constructor(backend: Backend, notices: Notify, source: RunSource, targets: Targets) {
    this.backend = backend;
    this.notices = notices;
    this.source = source;
    this.targets = targets;
    this.checker = debounced(CHECK_MS, () => this.checkNow());
    this.setupSaver = debounced(SETUP_SAVE_MS, (s) => this.writeSetup(s.id, s.panes));
    targets.onModelsLoaded(() => this.fillModels());
    targets.onStatus(() => this.changed());
  }

  // ---- the open prompt -------------------------------------------------------

  /** The panes, values' check and past runs of the prompt the editor just showed. */
  show(prompt: Prompt, versions: Version[], runs: RunSummary[], setup: RunSetup, last: Run | null): void {
    this.runs = runs;
    this.historyRun = null;
    this.details = null;
    this.panes = panesFromSetup(setup.variants, versions);
    // A finished run of another prompt is in the library: keep only what is shown.
    if (!this.running && this.liveRunPrompt !== prompt.id) this.dropLive();
    this.restoredRun = last && !(this.liveRun && this.liveRunPrompt === prompt.id) ? viewFromRun(last) : null;
    this.resizeToPanes();
    this.check = null;
    this.checkedKey = null;
    this.fillModels();
    for (const pane of this.panes) this.targets.ensureModels(pane.target.provider);
    this.changed();
    void this.loadCost();
  }

  close(): void {
    this.runs = [];
    this.panes = [];
    if (!this.running) this.dropLive();
    this.restoredRun = null;
    this.historyRun = null;
    this.details = null;
    this.check = null;
    this.cost = null;
  }

  /** The open prompt's id. */
  get promptId(): number | null {
    return this.source.prompt?.id ?? null;
  }

  /** The versions a pane can run: the open prompt's. */
  get versions(): Version[] {
    return this.source.versions;
  }

  // ---- panes -----------------------------------------------------------------

  /**
   * The first draft pane's target, which the draft is saved with (the core keeps none
   * while the pane is on the default of a prompt without its own); null without a draft pane.
   */
  draftPaneTarget(): Target | null {
    const pane = this.panes.find((p) => p.source === "draft");
    if (!pane) return null;
    return $state.snapshot(pane.target) as Target;
  }

  /** The versions the panes run, in pane order. */
  versionIds(): number[] {
    return this.panes.flatMap((p) => (p.source === "draft" ? [] : [p.source]));
  }

  private persistPanes(): void {
    const prompt = this.source.prompt;
    if (!prompt) return;
    this.setupSaver.schedule({ id: prompt.id, panes: $state.snapshot(this.panes) as PaneConfig[] });
    this.changed();
  }

  private async writeSetup(id: number, panes: PaneConfig[]): Promise<void> {
    try {
      await this.backend.saveRunSetup(id, null, panes.map(toSetupVariant));
    } catch (e) {
      this.notices.error(e);
    }
  }

  /** Saves a pending pane setup now (before switching prompts or running). */
  flushSetup(): Promise<void> {
    return this.setupSaver.flush();
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

  /** A new pane: the last one's target (another model of its provider where one is free). */
  addPane(): void {
    if (this.panes.length >= this.maxPanes || this.running) return;
    const last = this.panes.at(-1);
    const target: Target | null = last ? $state.snapshot(last.target) : structuredClone(this.targets.suggested);
    if (!target) return;
    const models = this.targets.models[target.provider]?.models ?? [];
    const used = new Set(this.panes.map((p) => p.target.model));
    const fresh = models.find((m) => !used.has(m.id));
    if (fresh) target.model = fresh.id;
    this.panes = [...this.panes, { key: newPaneKey(), source: "draft", target }];
    this.resizeViews((panes) => [...panes, null]);
    this.persistPanes();
  }

  /** Puts `version` in a pane: a new one, or the last when all are taken. */
  compareVersion(version: Version): void {
    if (this.running) return;
    if (this.panes.length < this.maxPanes) this.addPane();
    const pane = this.panes.at(-1);
    if (pane) this.updatePane(pane.key, (p) => (p.source = version.id));
  }

  /** Points every pane at `target` (e.g. echo, when no model answers). */
  useTarget(target: Target): void {
    if (this.running) return;
    for (const pane of this.panes) pane.target = structuredClone($state.snapshot(target) as Target);
    this.persistPanes();
    if (this.panes.some((p) => p.source === "draft")) this.source.targetChanged();
  }

  removePane(key: number): void {
    if (this.panes.length <= 1 || this.running) return;
    const index = this.panes.findIndex((p) => p.key === key);
    if (index < 0) return;
    this.panes = this.panes.filter((p) => p.key !== key);
    this.resizeViews((panes) => panes.filter((_, i) => i !== index));
    this.persistPanes();
  }

  /** Keeps the shown outputs in line with the panes as they are added or removed. */
  private resizeViews(f: (panes: RunView["panes"]) => RunView["panes"]): void {
    const prompt = this.source.prompt?.id;
    if (this.liveRun && this.liveRunPrompt === prompt) this.liveRun = { ...this.liveRun, panes: f(this.liveRun.panes) };
    if (this.restoredRun) this.restoredRun = { ...this.restoredRun, panes: f(this.restoredRun.panes) };
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

  // ---- the run check -----------------------------------------------------------

  /** What a run would send now; null without a prompt. */
  private specFor(useCache: boolean | null): RunSpec | null {
    const prompt = this.source.prompt;
    if (!prompt) return null;
    return {
      prompt_id: prompt.id,
      variants: this.panes.map((p) => toVariant($state.snapshot(p) as PaneConfig, prompt.id, this.source.draft)),
      cases: [{ id: "", vars: this.source.varsForRun(), assertions: [] }],
      samples: 1,
      use_cache: useCache,
      assertions: [],
      suite_hash: null,
    };
  }

  /** The cache rule of a run: the switch, or fresh answers on demand. */
  private cacheRule(fresh: boolean): boolean | null {
    if (fresh) return false;
    return this.useCache ? true : null;
  }

  /** What a run would send changed: check it again shortly. */
  changed(): void {
    if (this.source.prompt) this.checker.schedule(null);
  }

  /** Checks the panes as they are now (the shown check answers it). */
  private async checkNow(): Promise<void> {
    const spec = this.specFor(null);
    if (!spec) return;
    const key = JSON.stringify({ ...spec, use_cache: null });
    if (key === this.checkedKey) return;
    const draft = this.source.draft;
    const seq = ++this.checkSeq;
    try {
      const check = await this.backend.checkRun(spec);
      if (seq !== this.checkSeq || this.source.prompt?.id !== spec.prompt_id) return;
      this.check = check;
      this.checkedKey = key;
      this.checkedDraft = draft;
    } catch (e) {
      if (seq === this.checkSeq) this.notices.error(e);
    }
  }

  /** The check of what a run would send now, asked again unless the shown one answers it. */
  private async freshCheck(): Promise<RunCheck | null> {
    this.checker.schedule(null);
    await this.checker.flush();
    const spec = this.specFor(null);
    return spec && JSON.stringify(spec) === this.checkedKey ? this.check : null;
  }

  /**
   * Everything that stands in the way of a run or deserves a word before it, most
   * important first: values typed as JSON that do not parse, then the check's
   * problems (blocking, then the warnings Run stops for, then the others).
   */
  get issues(): Issue[] {
    const invalid: Issue[] = this.source.invalidValues().map((v) => ({ message: v.message, blocking: true, overridable: false, variants: [] }));
    const checked: Issue[] = (this.check?.problems ?? []).map((p) => ({
      message: p.message,
      blocking: p.blocking,
      overridable: !p.blocking && p.confirm,
      variants: p.variants,
    }));
    const rank = (i: Issue) => (i.blocking ? 0 : i.overridable ? 1 : 2);
    return [...invalid, ...checked].sort((a, b) => rank(a) - rank(b));
  }

  /** Why Run is disabled now (or null). */
  get block(): RunBlock | null {
    const stopping = this.issues.filter((i) => i.blocking || i.overridable);
    if (stopping.length === 0) return null;
    return { reasons: stopping.map((i) => i.message), overridable: stopping.every((i) => i.overridable) };
  }

  /** The blocking problems of pane `index` (to mark its provider or model). */
  paneProblems(index: number): RunProblem[] {
    return (this.check?.problems ?? []).filter((p) => p.variants.includes(index) && p.blocking);
  }

  /** The shown check answers what a run would send now (not what it was before the last edit). */
  get checkCurrent(): boolean {
    const spec = this.specFor(null);
    return !!spec && JSON.stringify(spec) === this.checkedKey;
  }

  /**
   * Run is enabled unless the last check (or a value that is not JSON) stands in the
   * way. Right after an edit the check is on its way and the last answer stays shown
   * (no flicker at every key); a run always waits for the check of what it sends.
   */
  get canRun(): boolean {
    return !!this.source.prompt && !this.running && this.panes.length > 0 && this.block === null;
  }

  // ---- runs ------------------------------------------------------------------

  async run(options: RunOptions = {}): Promise<void> {
    const prompt = this.source.prompt;
    if (!prompt || this.running || this.panes.length === 0) return;
    const promptId = prompt.id;
    await Promise.all([this.source.flushDraft(), this.flushSetup()]);
    if (this.source.invalidValues().length > 0) return;
    const check = await this.freshCheck();
    if (!check || this.source.prompt?.id !== promptId) return;
    // "Run anyway" confirms the warnings the core asks a person to confirm.
    if (check.problems.some((p) => p.blocking || (p.confirm && !options.anyway))) return;
    const spec = this.specFor(this.cacheRule(options.fresh ?? false));
    if (!spec) return;
    this.historyRun = null;
    this.restoredRun = null;
    this.details = null;
    this.cost = null;
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
          if (this.source.prompt?.id === promptId) {
            void this.refreshRuns();
            void this.loadCost();
          } else {
            // Its prompt is not shown: the library has it, the window need not.
            this.dropLive();
          }
        }
      });
      if (seq === this.runSeq) this.activeRunId = runId;
    } catch (e) {
      if (seq === this.runSeq) this.running = false;
      this.notices.error(e);
    }
  }

  /** The run the panes show: an opened past run, else this prompt's live run, else its last one. */
  get shownRun(): RunView | null {
    if (this.historyRun) return this.historyRun.view;
    const prompt = this.source.prompt;
    if (prompt && this.liveRun && this.liveRunPrompt === prompt.id) return this.liveRun;
    return this.restoredRun;
  }

  /** Stops the live run (partial outputs are kept). */
  async stop(): Promise<void> {
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

  private dropLive(): void {
    this.liveRun = null;
    this.liveRunPrompt = null;
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

  /** The shown run's cost, from the core's numbers (once it ended). */
  private async loadCost(): Promise<void> {
    const view = this.shownRun;
    if (!view || view.status === "running") {
      this.cost = null;
      return;
    }
    const runId = view.runId;
    try {
      const stats: VariantStats[] = await this.backend.runStats(runId);
      if (this.shownRun?.runId !== runId) return;
      this.cost = {
        runId,
        usd: stats.reduce((sum, s) => sum + s.cost_usd, 0),
        unpriced: stats.reduce((sum, s) => sum + s.unpriced, 0),
      };
    } catch {
      // The cost is a nicety: the panes show each cell's own.
      this.cost = null;
    }
  }

  async openRun(runId: number): Promise<void> {
    try {
      const run = await this.backend.getRun(runId);
      this.historyRun = { run, view: viewFromRun(run) };
      // Out of view now; the library has it when the panes come back.
      if (!this.running) {
        this.dropLive();
        this.restoredRun = null;
      }
      void this.loadCost();
    } catch (e) {
      this.notices.error(e);
    }
  }

  /** Back from a past run to the panes, with their newest run. */
  async backToLive(): Promise<void> {
    this.historyRun = null;
    this.details = null;
    const prompt = this.source.prompt;
    if (!prompt || (this.liveRun && this.liveRunPrompt === prompt.id)) {
      void this.loadCost();
      return;
    }
    try {
      const last = await this.backend.lastRun(prompt.id);
      if (this.source.prompt?.id === prompt.id && !this.historyRun) {
        this.restoredRun = last ? viewFromRun(last) : null;
        this.resizeToPanes();
        void this.loadCost();
      }
    } catch (e) {
      this.notices.error(e);
    }
  }

  /** A reopened run may have had other panes than the setup now: show what lines up. */
  private resizeToPanes(): void {
    const view = this.restoredRun;
    if (!view || view.panes.length === this.panes.length) return;
    const panes = this.panes.map((_, i) => view.panes[i] ?? null);
    this.restoredRun = { ...view, panes };
  }

  // ---- what produced a cell ----------------------------------------------------

  async openDetails(cellId: number): Promise<void> {
    try {
      this.details = await this.backend.cellDetails(cellId);
    } catch (e) {
      this.notices.error(e);
    }
  }

  closeDetails(): void {
    this.details = null;
  }

  /** "Load these inputs": the open cell's values go into the variables panel. */
  loadInputs(): void {
    const details = this.details;
    if (!details || details.prompt_id !== this.source.prompt?.id) return;
    this.source.loadValues(details.cell.vars as Record<string, JsonValue>);
    this.details = null;
    this.notices.info(`Loaded the values of the run of ${shortDateTime(details.run_created_at)}`);
  }
}
