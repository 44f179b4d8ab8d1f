// Applies the backend's RunEvents to what the panes show. Pure functions so the
// streaming behaviour (batched deltas, final states, live tokens/s) is unit-tested.
import type { Cell, CellStatus, Message, Run, RunEvent, RunStatus, Target, Usage } from "../ipc/bindings";

/**
 * One piece of a streamed output, newest first: the pieces since the view last drew
 * the output are what it appends, instead of drawing the whole output again (which
 * would copy up to the whole answer on every frame).
 */
export interface OutputPiece {
  text: string;
  prev: OutputPiece | null;
  /** Pieces up to and including this one. */
  count: number;
}

export interface PaneResult {
  cellId: number;
  status: CellStatus;
  output: string;
  /** While streaming: the pieces that made `output`, newest first; null otherwise. */
  stream: OutputPiece | null;
  error: string | null;
  messages: Message[];
  /** Time to first token, ms (live from the first delta, then the backend's figure). */
  ttftMs: number | null;
  /** Total time, ms: the backend's figure once finished, else the latest delta's. */
  totalMs: number | null;
  usage: Usage;
  /** The backend estimated the token counts (the provider reported none). */
  usageEstimated: boolean;
  /** While streaming: the output so far in tokens, as the core estimates them. */
  liveTokens: number | null;
  /** The answer came from the response cache. */
  cached: boolean;
  /** Where the cell went (provider, model, parameters). */
  target: Target;
  /** US dollars, once the cell ended: 0 when free (local, cache hit), null when the model has no price. */
  costUsd: number | null;
  /** True once the cell reached a final state. */
  final: boolean;
}

export interface RunProgress {
  done: number;
  total: number;
  etaMs: number | null;
}

export interface RunView {
  runId: number;
  status: RunStatus;
  /** Indexed like RunSpec.variants (one case, one sample per pane in this window). */
  panes: (PaneResult | null)[];
  createdAt: string;
  progress: RunProgress | null;
}

const FINAL: readonly CellStatus[] = ["ok", "partial", "error", "cancelled"];

export function isFinal(status: CellStatus): boolean {
  return FINAL.includes(status);
}

function fromCell(cell: Cell): PaneResult {
  return {
    cellId: cell.id,
    status: cell.status,
    output: cell.output,
    stream: null,
    error: cell.error,
    messages: cell.messages,
    ttftMs: cell.timing.ttft_ms,
    totalMs: cell.timing.total_ms,
    usage: cell.usage,
    usageEstimated: cell.usage_estimated,
    liveTokens: null,
    cached: cell.cached,
    target: cell.target,
    costUsd: cell.cost_usd,
    final: isFinal(cell.status),
  };
}

/** The panes of a stored run, e.g. one opened from the run history. */
export function viewFromRun(run: Run): RunView {
  const panes: (PaneResult | null)[] = run.spec.variants.map(() => null);
  for (const cell of run.cells) {
    // The first case and sample of each pane is what this window shows.
    if (cell.case_index === 0 && cell.sample === 0 && cell.variant < panes.length) panes[cell.variant] = fromCell(cell);
  }
  return { runId: run.id, status: run.status, panes, createdAt: run.created_at, progress: null };
}

function updateCell(view: RunView, cellId: number, f: (p: PaneResult) => PaneResult): RunView {
  const index = view.panes.findIndex((p) => p?.cellId === cellId);
  if (index < 0) return view;
  const current = view.panes[index];
  if (!current) return view;
  const panes = view.panes.slice();
  panes[index] = f(current);
  return { ...view, panes };
}

/**
 * The next view after `event`. `view` is null before `started`. Events for
 * unknown cells, and deltas after a cell's final state, are ignored.
 */
export function applyRunEvent(view: RunView | null, event: RunEvent): RunView | null {
  switch (event.event) {
    case "started":
      return viewFromRun(event.run);
    case "cell_started":
      if (!view) return view;
      return updateCell(view, event.cell_id, (p) =>
        p.final ? p : { ...p, status: "running", messages: event.messages },
      );
    case "delta":
      if (!view) return view;
      return updateCell(view, event.cell_id, (p) =>
        p.final
          ? p
          : {
              ...p,
              status: "running",
              output: p.output + event.text,
              stream: { text: event.text, prev: p.stream, count: (p.stream?.count ?? 0) + 1 },
              liveTokens: event.output_tokens ?? p.liveTokens,
              ttftMs: p.ttftMs ?? event.elapsed_ms,
              totalMs: event.elapsed_ms,
            },
      );
    case "cell_finished": {
      if (!view) return view;
      const cell = event.cell;
      return updateCell(view, cell.id, (p) => {
        const next = fromCell(cell);
        // The final cell carries the whole output; keep what streamed if it is
        // missing (a backend that sends only the summary must not blank the pane).
        if (!next.output && p.output) next.output = p.output;
        if (next.messages.length === 0) next.messages = p.messages;
        if (next.ttftMs === null) next.ttftMs = p.ttftMs;
        if (next.totalMs === null) next.totalMs = p.totalMs;
        return next;
      });
    }
    case "cell_not_saved": {
      if (!view) return view;
      return updateCell(view, event.cell_id, (p) => ({
        ...p,
        status: event.outcome.status,
        output: event.outcome.output || p.output,
        stream: null,
        error: notSavedMessage(event),
        final: isFinal(event.outcome.status),
      }));
    }
    case "progress":
      if (!view || view.runId !== event.run_id) return view;
      return { ...view, progress: { done: event.done, total: event.total, etaMs: event.eta_ms } };
    case "finished":
      if (!view || view.runId !== event.run_id) return view;
      return { ...view, status: event.status };
    case "scored":
      // The panes show answers; scores are the matrix's.
      return view;
  }
}

export interface PaneStats {
  ttftMs: number | null;
  totalMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** Output tokens per second of generation (after the first token). */
  tokensPerSecond: number | null;
  /** True while the figures are estimates (the core's, while streaming or when the provider reported none). */
  estimated: boolean;
}

export function paneStats(p: PaneResult): PaneStats {
  const exact = p.final && p.usage.output_tokens !== null && !p.usageEstimated;
  const outputTokens = p.final ? p.usage.output_tokens : p.liveTokens;
  let tokensPerSecond: number | null = null;
  if (outputTokens !== null && p.ttftMs !== null && p.totalMs !== null) {
    const generationMs = p.totalMs - p.ttftMs;
    // Under 50 ms of generation the rate is noise (one batched delta).
    if (generationMs >= 50) tokensPerSecond = (outputTokens / generationMs) * 1000;
  }
  return {
    ttftMs: p.ttftMs,
    totalMs: p.totalMs,
    inputTokens: p.usage.input_tokens,
    outputTokens,
    tokensPerSecond,
    estimated: !exact && outputTokens !== null,
  };
}

/** What the cell costs as the pane shows it; `unpriced` when it used tokens of a model without a price. */
export type PaneCost = { kind: "usd"; usd: number; estimated: boolean } | { kind: "unpriced" } | null;

export function paneCost(p: PaneResult): PaneCost {
  if (!p.final) return null;
  if (p.costUsd !== null) return { kind: "usd", usd: p.costUsd, estimated: p.usageEstimated };
  // Only a cell that used tokens lacks a price; a failed request simply cost nothing known.
  return p.usage.input_tokens !== null || p.usage.output_tokens !== null ? { kind: "unpriced" } : null;
}

/** What a cell that ended but could not be written says: its error, the cause, where its answer was kept. */
export function notSavedMessage(event: Extract<RunEvent, { event: "cell_not_saved" }>): string {
  const kept = event.recovery_file ? ` Its answer was kept in ${event.recovery_file}.` : "";
  return `${event.outcome.error ? `${event.outcome.error}. ` : ""}Not saved: ${event.reason}.${kept}`;
}
