// The matrix: runs of the open prompt's suite over the panes' variants, streamed
// into a grid of cells, with each column's numbers (`run_stats`), filters, the
// prompt's past suite runs, re-scoring after an assertion changed, reruns of the
// failed cells, and which cells are open or compared.
import type { Backend } from "../platform/backend";
import type { Prompt, RunEvent, RunSummary, Suite, Variant, VariantStats } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";
import { NO_FILTERS, RunMatrix, filterRows, type Filters, type MatrixCell } from "./matrix.svelte";

/** What the matrix needs of the rest of the window. */
export interface MatrixSource {
  readonly prompt: Prompt | null;
  /** The columns of a new run: the panes' variants (draft or version × target). */
  variants(): Variant[];
  /** Saves what a run reads first: the draft, and the suite's unsaved edits; false when the suite was refused. */
  prepare(): Promise<boolean>;
  /** A version's number, for column titles. */
  versionNumber(id: number): number | null;
}

/** How often the column numbers are fetched again while a run streams. */
export const STATS_EVERY_MS = 1000;

export class ResultsState {
  matrix = $state.raw<RunMatrix | null>(null);
  stats = $state.raw<VariantStats[] | null>(null);
  /** The prompt's suite runs, newest first. */
  suiteRuns = $state<RunSummary[]>([]);
  running = $state(false);
  cancelling = $state(false);
  rescoring = $state(false);
  /** The suite changed since the shown (finished) run was scored. */
  rescoreOffered = $state(false);
  filters = $state<Filters>({ ...NO_FILTERS });
  /** Cells of columns after the first show their diff against the first column. */
  diffFirst = $state(false);
  /** The cell opened in full. */
  detail = $state.raw<MatrixCell | null>(null);
  /** Two cells compared side by side or inline. */
  compare = $state.raw<{ a: MatrixCell; b: MatrixCell } | null>(null);
  /** The first cell picked for a comparison, waiting for the second. */
  picked = $state.raw<MatrixCell | null>(null);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly source: MatrixSource;
  private runSeq = 0;
  /** The prompt's newest run has not been opened yet. */
  private unopened = false;
  private statsTimer: ReturnType<typeof setTimeout> | null = null;
  private statsSeq = 0;

  constructor(backend: Backend, notices: Notify, source: MatrixSource) {
    this.backend = backend;
    this.notices = notices;
    this.source = source;
  }

  /** The rows the grid shows (case indexes), after the filters. */
  get rows(): number[] {
    const m = this.matrix;
    return m ? filterRows(m, this.filters) : [];
  }

  get filtered(): boolean {
    const f = this.filters;
    return f.failures || f.errors || f.disagree || f.search.trim() !== "";
  }

  // ---- the open prompt -------------------------------------------------------

  /** The prompt the editor just showed: its suite runs (the newest opens when the matrix is shown). */
  show(prompt: Prompt, runs: RunSummary[]): void {
    this.runSeq++;
    this.running = false;
    this.cancelling = false;
    this.reset();
    this.suiteRuns = runs.filter((r) => r.from_suite && r.prompt_id === prompt.id);
    this.unopened = true;
  }

  /** The matrix comes into view: the newest suite run shows unless one already does. */
  async activate(): Promise<void> {
    if (!this.unopened) return;
    this.unopened = false;
    const newest = this.suiteRuns[0];
    if (newest && !this.matrix && !this.running) await this.openRun(newest.id);
  }

  close(): void {
    this.runSeq++;
    this.unopened = false;
    this.running = false;
    this.suiteRuns = [];
    this.reset();
  }

  private reset(): void {
    this.matrix = null;
    this.stats = null;
    this.detail = null;
    this.compare = null;
    this.picked = null;
    this.rescoreOffered = false;
    this.filters = { ...NO_FILTERS };
  }

  async refreshRuns(): Promise<void> {
    const prompt = this.source.prompt;
    if (!prompt) return;
    try {
      this.suiteRuns = (await this.backend.listRuns(prompt.id, null)).filter((r) => r.from_suite);
    } catch (e) {
      this.notices.error(e);
    }
  }

  async openRun(runId: number): Promise<void> {
    if (this.running) return;
    try {
      const run = await this.backend.getRun(runId);
      this.reset();
      this.matrix = new RunMatrix(run);
      await this.loadStats();
    } catch (e) {
      this.notices.error(e);
    }
  }

  // ---- running ---------------------------------------------------------------

  get canRun(): boolean {
    return !!this.source.prompt && !this.running;
  }

  /** Runs the whole suite over the panes' variants. */
  async runSuite(): Promise<void> {
    const prompt = this.source.prompt;
    if (!prompt || this.running) return;
    this.running = true;
    try {
      if (!(await this.source.prepare())) {
        this.running = false;
        return;
      }
      const variants = this.source.variants();
      await this.stream((events) => this.backend.runSuite({ prompt_id: prompt.id, variants, cases: null, samples: 1, use_cache: null }, events));
    } catch (e) {
      this.running = false;
      this.notices.error(e);
    }
  }

  /** Runs the failed, errored and cancelled cells of the shown run again, in place. */
  async rerunFailed(): Promise<void> {
    const m = this.matrix;
    if (!m || this.running) return;
    const cells = m.failedCells().map((c) => c.id);
    if (cells.length === 0) return;
    this.running = true;
    try {
      await this.stream((events) => this.backend.rerunCells(m.id, cells, events));
    } catch (e) {
      this.running = false;
      this.notices.error(e);
    }
  }

  /** Starts a streaming command and follows its events into a new matrix. */
  private async stream(start: (events: (event: RunEvent) => void) => Promise<number>): Promise<void> {
    this.cancelling = false;
    this.rescoreOffered = false;
    const seq = ++this.runSeq;
    this.unopened = false;
    const promptId = this.source.prompt?.id;
    await start((event) => {
      if (seq !== this.runSeq) return; // a straggler of a run no longer shown
      if (event.event === "started") {
        this.detail = null;
        this.compare = null;
        this.picked = null;
        this.stats = null;
        this.matrix = new RunMatrix(event.run);
        return;
      }
      const m = this.matrix;
      if (!m) return;
      m.apply(event);
      if (event.event === "progress") this.statsSoon();
      if (event.event === "finished") {
        this.running = false;
        this.cancelling = false;
        void this.loadStats();
        if (this.source.prompt?.id === promptId) void this.refreshRuns();
      }
    });
  }

  async cancel(): Promise<void> {
    const m = this.matrix;
    if (!this.running || !m) return;
    this.cancelling = true;
    try {
      await this.backend.cancelRun(m.id);
    } catch (e) {
      this.cancelling = false;
      this.notices.error(e);
    }
  }

  // ---- numbers ---------------------------------------------------------------

  /** Fetches the column numbers again soon (at most once a second while streaming). */
  private statsSoon(): void {
    if (this.statsTimer !== null) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      void this.loadStats();
    }, STATS_EVERY_MS);
  }

  private async loadStats(): Promise<void> {
    const m = this.matrix;
    if (!m) return;
    const seq = ++this.statsSeq;
    try {
      const stats = await this.backend.runStats(m.id);
      if (seq === this.statsSeq && this.matrix === m) this.stats = stats;
    } catch (e) {
      this.notices.error(e);
    }
  }

  /** What the run has cost so far (known prices), and the cells without a price. */
  get cost(): { usd: number; unpriced: number } | null {
    const stats = this.stats;
    if (!stats) return null;
    return { usd: stats.reduce((sum, s) => sum + s.cost_usd, 0), unpriced: stats.reduce((n, s) => n + s.unpriced, 0) };
  }

  // ---- re-scoring --------------------------------------------------------------

  /** The suite was saved: a finished run on screen may be scored with old assertions. */
  suiteSaved(suite: Suite): void {
    const m = this.matrix;
    if (m && !this.running && m.run.prompt_id === suite.prompt_id && m.run.spec.suite_hash !== null && m.run.spec.suite_hash !== suite.hash) {
      this.rescoreOffered = true;
    }
  }

  /** Scores the shown run again with the suite as it is now; no provider is called. */
  async rescore(): Promise<void> {
    const m = this.matrix;
    if (!m || this.running || this.rescoring) return;
    this.rescoring = true;
    try {
      const scores = await this.backend.rescoreRun(m.id);
      if (this.matrix !== m) return;
      m.rescored(scores);
      this.rescoreOffered = false;
      await this.loadStats();
      this.notices.info("Re-scored with the suite's current assertions");
    } catch (e) {
      this.notices.error(e);
    } finally {
      this.rescoring = false;
    }
  }

  // ---- cells -------------------------------------------------------------------

  open(cell: MatrixCell): void {
    this.detail = cell;
  }

  /** Picks a cell to compare; the second pick opens the comparison. */
  pick(cell: MatrixCell): void {
    const first = this.picked;
    if (first === null || first === cell) {
      this.picked = first === cell ? null : cell;
      return;
    }
    this.picked = null;
    this.compare = { a: first, b: cell };
  }

  compareCells(a: MatrixCell, b: MatrixCell): void {
    this.picked = null;
    this.compare = { a, b };
  }

  /** "Draft · echo/echo", the title of a column. */
  columnTitle(variant: number): { source: string; target: string } {
    const v = this.matrix?.run.spec.variants[variant];
    if (!v) return { source: "", target: "" };
    const source = v.source.kind === "draft" ? "Draft" : `v${this.source.versionNumber(v.source.version_id) ?? "?"}`;
    return { source, target: `${v.target.provider}/${v.target.model}` };
  }
}
