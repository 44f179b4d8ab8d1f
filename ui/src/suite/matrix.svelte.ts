// One suite run as the matrix shows it: a cell per test case × variant, each its
// own small reactive object, so a streamed delta re-renders one cell and not the
// grid (1,000 × 4 cells stream at once). Built from a stored run or a run's
// `started` event, then moved on by its events.
import type { Cell, CellStatus, Message, Run, RunEvent, RunStatus, Score } from "../ipc/bindings";
import { isFinal, notSavedMessage } from "../run/runView";

/** The scorer name of the case verdict (see docs/suites.md). */
export const VERDICT = "verdict";

export class MatrixCell {
  readonly id: number;
  readonly variant: number;
  readonly caseIndex: number;
  readonly sample: number;
  status = $state<CellStatus>("pending");
  output = $state("");
  error = $state<string | null>(null);
  messages = $state.raw<Message[]>([]);
  /** The whole stored cell once it ended (timings, usage, cost, parameters). */
  cell = $state.raw<Cell | null>(null);
  scores = $state.raw<Score[]>([]);

  constructor(cell: Cell, scores: Score[]) {
    this.id = cell.id;
    this.variant = cell.variant;
    this.caseIndex = cell.case_index;
    this.sample = cell.sample;
    this.finish(cell);
    this.scores = scores;
  }

  get final(): boolean {
    return isFinal(this.status);
  }

  /** The case verdict, once scored. */
  get verdict(): Score | null {
    return this.scores.find((s) => s.scorer === VERDICT) ?? null;
  }

  /** The assertion scores (the verdict apart). */
  get checks(): Score[] {
    return this.scores.filter((s) => s.scorer !== VERDICT);
  }

  finish(cell: Cell): void {
    this.status = cell.status;
    // A stored cell carries the whole output; keep what streamed if it has none.
    this.output = cell.output || this.output;
    this.error = cell.error;
    if (cell.messages.length) this.messages = cell.messages;
    this.cell = isFinal(cell.status) ? cell : null;
  }
}

export interface Progress {
  done: number;
  total: number;
  etaMs: number | null;
}

export class RunMatrix {
  readonly run: Run;
  readonly cells: MatrixCell[];
  /** [case index][variant]: the first sample of each. */
  readonly grid: (MatrixCell | null)[][];
  status = $state<RunStatus>("running");
  progress = $state<Progress | null>(null);
  private readonly byId = new Map<number, MatrixCell>();

  constructor(run: Run) {
    this.run = run;
    this.status = run.status;
    const scores = new Map<number, Score[]>();
    for (const s of run.scores) {
      const list = scores.get(s.cell_id);
      if (list) list.push(s);
      else scores.set(s.cell_id, [s]);
    }
    const variants = run.spec.variants.length;
    this.grid = run.spec.cases.map(() => new Array<MatrixCell | null>(variants).fill(null));
    this.cells = run.cells.map((c) => {
      const cell = new MatrixCell(c, scores.get(c.id) ?? []);
      this.byId.set(c.id, cell);
      if (c.sample === 0 && this.grid[c.case_index] && c.variant < variants) this.grid[c.case_index][c.variant] = cell;
      return cell;
    });
  }

  get id(): number {
    return this.run.id;
  }

  get variants(): number {
    return this.run.spec.variants.length;
  }

  get caseCount(): number {
    return this.run.spec.cases.length;
  }

  cell(id: number): MatrixCell | undefined {
    return this.byId.get(id);
  }

  /**
   * Applies a run event. A `started` event of this run (a rerun reopens cells)
   * needs a new matrix: the caller builds one from `event.run`, so it returns false.
   */
  apply(event: RunEvent): boolean {
    switch (event.event) {
      case "started":
        return false;
      case "cell_started": {
        const c = this.byId.get(event.cell_id);
        if (c && !c.final) {
          c.status = "running";
          c.messages = event.messages;
        }
        return true;
      }
      case "delta": {
        const c = this.byId.get(event.cell_id);
        if (c && !c.final) {
          c.status = "running";
          c.output += event.text;
        }
        return true;
      }
      case "cell_finished":
        this.byId.get(event.cell.id)?.finish(event.cell);
        return true;
      case "scored": {
        const c = this.byId.get(event.cell_id);
        if (c) c.scores = event.scores;
        return true;
      }
      case "cell_not_saved": {
        // The answer ended but could not be written: show it with the cause, as the panes do.
        const c = this.byId.get(event.cell_id);
        if (c) {
          c.status = event.outcome.status;
          c.output = event.outcome.output || c.output;
          c.error = notSavedMessage(event);
        }
        return true;
      }
      case "progress":
        if (event.run_id === this.id) this.progress = { done: event.done, total: event.total, etaMs: event.eta_ms };
        return true;
      case "finished":
        if (event.run_id === this.id) {
          this.status = event.status;
          if (this.progress) this.progress = { ...this.progress, etaMs: null };
        }
        return true;
    }
  }

  /** Replaces every cell's scores (after a re-score). */
  rescored(scores: Score[]): void {
    const by = new Map<number, Score[]>();
    for (const s of scores) {
      const list = by.get(s.cell_id);
      if (list) list.push(s);
      else by.set(s.cell_id, [s]);
    }
    for (const c of this.cells) c.scores = by.get(c.id) ?? [];
  }

  /** Finished cells that failed: an error, a partial answer, or a failed verdict. */
  failedCells(): MatrixCell[] {
    return this.cells.filter((c) => c.status === "error" || c.status === "partial" || c.status === "cancelled" || c.verdict?.pass === false);
  }
}

export interface Filters {
  failures: boolean;
  errors: boolean;
  disagree: boolean;
  search: string;
}

export const NO_FILTERS: Filters = { failures: false, errors: false, disagree: false, search: "" };

/** The rows (case indexes) that pass the filters; every filter that is on must hold. */
export function filterRows(m: RunMatrix, f: Filters): number[] {
  const needle = f.search.trim().toLowerCase();
  const rows: number[] = [];
  for (let i = 0; i < m.grid.length; i++) {
    const cells = m.grid[i].filter((c): c is MatrixCell => c !== null);
    if (f.failures && !cells.some((c) => c.verdict?.pass === false)) continue;
    if (f.errors && !cells.some((c) => c.status === "error" || c.status === "partial")) continue;
    if (f.disagree && !disagree(cells)) continue;
    if (needle && !rowMatches(m, i, cells, needle)) continue;
    rows.push(i);
  }
  return rows;
}

/** The columns came to different ends: one passes where another fails or errs. */
export function disagree(cells: MatrixCell[]): boolean {
  const ends = new Set<string>();
  for (const c of cells) {
    if (!c.final) continue;
    ends.add(c.status === "ok" || c.status === "partial" ? (c.verdict ? String(c.verdict.pass) : "unscored") : c.status);
  }
  return ends.size > 1;
}

function rowMatches(m: RunMatrix, row: number, cells: MatrixCell[], needle: string): boolean {
  const c = m.run.spec.cases[row];
  if (c.id.toLowerCase().includes(needle)) return true;
  if (c.description?.toLowerCase().includes(needle)) return true;
  for (const v of Object.values(c.vars)) {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    if (text.toLowerCase().includes(needle)) return true;
  }
  return cells.some((cell) => cell.output.toLowerCase().includes(needle));
}
