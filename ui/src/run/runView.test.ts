import { describe, expect, it } from "vitest";
import type { Cell, Run, RunEvent } from "../ipc/bindings";
import { applyRunEvent, paneCost, paneStats, viewFromRun, type RunView } from "./runView";

const target = { provider: "ollama", model: "m", params: { temperature: null, top_p: null, max_tokens: null, seed: null, stop: [] } };

function cell(id: number, variant: number, over: Partial<Cell> = {}): Cell {
  return {
    id, run_id: 7, variant, case_index: 0, case_id: "case-1", sample: 0, version_id: null, version_number: null, target, vars: {},
    messages: [], output: "", status: "pending", error: null, timing: { ttft_ms: null, total_ms: null },
    usage: { input_tokens: null, output_tokens: null }, usage_estimated: false, cached: false, cost_usd: null,
    started_at: null, finished_at: null, ...over,
  };
}

function run(cells: Cell[]): Run {
  const variants = [0, 1].map(() => ({ source: { kind: "draft" as const, prompt_id: 1, template: "t" }, target }));
  return { id: 7, prompt_id: 1, spec: { prompt_id: 1, variants, cases: [{ id: "case-1", vars: {}, assertions: [] }], assertions: [], suite_hash: null, samples: 1, use_cache: true }, status: "running", cells, scores: [], created_at: "2026-01-01T00:00:00Z", finished_at: null };
}

function play(events: RunEvent[]): RunView {
  let view: RunView | null = null;
  for (const e of events) view = applyRunEvent(view, e);
  if (!view) throw new Error("no view");
  return view;
}

const started: RunEvent = { event: "started", run: run([cell(11, 0), cell(12, 1)]) };

describe("applyRunEvent", () => {
  it("starts with one pending result per pane", () => {
    const view = play([started]);
    expect(view.runId).toBe(7);
    expect(view.status).toBe("running");
    expect(view.panes.map((p) => p?.status)).toEqual(["pending", "pending"]);
  });

  it("ignores events before started", () => {
    expect(applyRunEvent(null, { event: "delta", cell_id: 11, text: "x", elapsed_ms: 5 })).toBeNull();
  });

  it("appends batched deltas to the right pane and keeps the first token time", () => {
    const view = play([
      started,
      { event: "cell_started", cell_id: 12, messages: [{ role: "user", content: "hi" }] },
      { event: "delta", cell_id: 12, text: "Hello, ", elapsed_ms: 120 },
      { event: "delta", cell_id: 12, text: "wor", elapsed_ms: 180 },
      { event: "delta", cell_id: 12, text: "ld!", elapsed_ms: 240 },
    ]);
    expect(view.panes[0]?.output).toBe("");
    expect(view.panes[0]?.status).toBe("pending");
    const p = view.panes[1];
    expect(p?.status).toBe("running");
    expect(p?.output).toBe("Hello, world!");
    expect(p?.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(p?.ttftMs).toBe(120);
    expect(p?.totalMs).toBe(240);
    expect(p?.final).toBe(false);
  });

  it("keeps the streamed pieces newest first until the cell ends", () => {
    const view = play([
      started,
      { event: "delta", cell_id: 12, text: "Hello, ", elapsed_ms: 120 },
      { event: "delta", cell_id: 12, text: "world", elapsed_ms: 180 },
    ]);
    const stream = view.panes[1]?.stream;
    expect([stream?.text, stream?.prev?.text, stream?.prev?.prev]).toEqual(["world", "Hello, ", null]);
    expect(stream?.count).toBe(2);
    expect(view.panes[0]?.stream).toBeNull();
    const done = applyRunEvent(view, { event: "cell_finished", cell: cell(12, 1, { status: "ok", output: "Hello, world" }) });
    expect(done?.panes[1]?.stream).toBeNull();
  });

  it("does not mutate the previous view", () => {
    const before = play([started]);
    const after = applyRunEvent(before, { event: "delta", cell_id: 11, text: "x", elapsed_ms: 1 });
    expect(before.panes[0]?.output).toBe("");
    expect(after?.panes[0]?.output).toBe("x");
  });

  it("takes the final cell's output, timing and usage", () => {
    const view = play([
      started,
      { event: "delta", cell_id: 11, text: "Hel", elapsed_ms: 100 },
      { event: "cell_finished", cell: cell(11, 0, { status: "ok", output: "Hello", timing: { ttft_ms: 90, total_ms: 1090 }, usage: { input_tokens: 12, output_tokens: 50 } }) },
    ]);
    const p = view.panes[0];
    expect(p?.status).toBe("ok");
    expect(p?.final).toBe(true);
    expect(p?.output).toBe("Hello");
    expect(p?.ttftMs).toBe(90);
    expect(p?.totalMs).toBe(1090);
    expect(p?.usage).toEqual({ input_tokens: 12, output_tokens: 50 });
  });

  it("keeps streamed text when the final cell is partial without output", () => {
    const view = play([
      started,
      { event: "delta", cell_id: 11, text: "half an ans", elapsed_ms: 100 },
      { event: "cell_finished", cell: cell(11, 0, { status: "partial", error: "stream broke" }) },
    ]);
    expect(view.panes[0]?.status).toBe("partial");
    expect(view.panes[0]?.output).toBe("half an ans");
    expect(view.panes[0]?.error).toBe("stream broke");
    expect(view.panes[0]?.ttftMs).toBe(100);
  });

  it("ignores deltas that arrive after a cell is final", () => {
    const view = play([
      started,
      { event: "cell_finished", cell: cell(11, 0, { status: "cancelled" }) },
      { event: "delta", cell_id: 11, text: "late", elapsed_ms: 100 },
      { event: "cell_started", cell_id: 11, messages: [] },
    ]);
    expect(view.panes[0]?.status).toBe("cancelled");
    expect(view.panes[0]?.output).toBe("");
  });

  it("shows errors with the backend's message", () => {
    const view = play([started, { event: "cell_finished", cell: cell(12, 1, { status: "error", error: "model `x` not found" }) }]);
    expect(view.panes[1]?.status).toBe("error");
    expect(view.panes[1]?.error).toBe("model `x` not found");
  });

  it("ignores unknown cells and finished events of other runs", () => {
    const view = play([started, { event: "delta", cell_id: 99, text: "x", elapsed_ms: 1 }, { event: "finished", run_id: 8, status: "done" }]);
    expect(view.panes.map((p) => p?.output)).toEqual(["", ""]);
    expect(view.status).toBe("running");
    expect(play([started, { event: "finished", run_id: 7, status: "cancelled" }]).status).toBe("cancelled");
  });
});

describe("viewFromRun", () => {
  it("places the first case and sample of each pane, leaving missing panes empty", () => {
    const view = viewFromRun(run([cell(1, 1, { status: "ok", output: "B" }), cell(2, 1, { sample: 1, output: "B2" })]));
    expect(view.panes[0]).toBeNull();
    expect(view.panes[1]?.output).toBe("B");
    expect(view.panes[1]?.final).toBe(true);
  });
});

describe("paneStats", () => {
  it("shows the core's live token estimate and tokens/s while running", () => {
    const view = play([
      started,
      { event: "delta", cell_id: 11, text: "a".repeat(40), elapsed_ms: 200, output_tokens: 10 },
      { event: "delta", cell_id: 11, text: "a".repeat(40), elapsed_ms: 1200, output_tokens: 20 },
    ]);
    const s = paneStats(view.panes[0]!);
    expect(s.estimated).toBe(true);
    expect(s.outputTokens).toBe(20);
    // 20 tokens over the 1000 ms since the first token.
    expect(s.tokensPerSecond).toBeCloseTo(20);
    expect(s.ttftMs).toBe(200);
  });

  it("uses exact usage once final", () => {
    const view = play([
      started,
      { event: "cell_finished", cell: cell(11, 0, { status: "ok", output: "x".repeat(400), timing: { ttft_ms: 500, total_ms: 2500 }, usage: { input_tokens: 30, output_tokens: 80 } }) },
    ]);
    const s = paneStats(view.panes[0]!);
    expect(s.estimated).toBe(false);
    expect(s.outputTokens).toBe(80);
    expect(s.inputTokens).toBe(30);
    expect(s.tokensPerSecond).toBeCloseTo(40);
  });

  it("has no rate before there is generation time to measure", () => {
    const view = play([started, { event: "delta", cell_id: 11, text: "abcd", elapsed_ms: 300 }]);
    expect(paneStats(view.panes[0]!).tokensPerSecond).toBeNull();
    expect(paneStats(play([started]).panes[0]!).outputTokens).toBeNull();
  });
});

describe("token estimate", () => {
  it("is the core's: a delta without one keeps the last, and the window counts none itself", () => {
    const view = play([
      started,
      { event: "delta", cell_id: 11, text: "x".repeat(41), elapsed_ms: 100, output_tokens: 11 },
      { event: "delta", cell_id: 11, text: "y".repeat(400), elapsed_ms: 200 },
    ]);
    expect(paneStats(view.panes[0]!).outputTokens).toBe(11);
    expect(paneStats(play([started, { event: "delta", cell_id: 11, text: "abcd", elapsed_ms: 5 }]).panes[0]!).outputTokens).toBeNull();
  });
});

describe("cache marks, estimated usage and progress", () => {
  it("keeps the backend's estimate marked as one, and the cached mark", () => {
    let view = applyRunEvent(null, { event: "started", run: run([cell(1, 0), cell(2, 1)]) });
    const done = cell(1, 0, {
      status: "ok", output: "abcdefgh", cached: true, usage_estimated: true,
      usage: { input_tokens: 3, output_tokens: 2 }, timing: { ttft_ms: 0, total_ms: 0 },
    });
    view = applyRunEvent(view, { event: "cell_finished", cell: done });
    const pane = view?.panes[0];
    expect(pane?.cached).toBe(true);
    expect(paneStats(pane!).estimated).toBe(true);
    expect(paneStats(pane!).outputTokens).toBe(2);
    const exact = applyRunEvent(view, { event: "cell_finished", cell: cell(2, 1, { status: "ok", output: "x", usage: { input_tokens: 1, output_tokens: 1 } }) });
    expect(paneStats(exact!.panes[1]!).estimated).toBe(false);
  });

  it("records progress of its own run only", () => {
    const view = applyRunEvent(null, { event: "started", run: run([cell(1, 0), cell(2, 1)]) });
    expect(view?.progress).toBeNull();
    const other = applyRunEvent(view, { event: "progress", run_id: 99, done: 1, total: 2, eta_ms: 10 });
    expect(other?.progress).toBeNull();
    const mine = applyRunEvent(view, { event: "progress", run_id: 7, done: 1, total: 2, eta_ms: 1500 });
    expect(mine?.progress).toEqual({ done: 1, total: 2, etaMs: 1500 });
  });
});

describe("cost", () => {
  const finish = (c: Cell): RunEvent => ({ event: "cell_finished", cell: c });
  const used = { input_tokens: 100, output_tokens: 400 };

  it("has no cost until the cell is final, then the backend's", () => {
    const streaming = play([started, { event: "delta", cell_id: 11, text: "Hi", elapsed_ms: 10 }]);
    expect(paneCost(streaming.panes[0]!)).toBeNull();
    const done = play([started, finish(cell(11, 0, { status: "ok", output: "Hi", usage: used, cost_usd: 0.00042 }))]);
    expect(paneCost(done.panes[0]!)).toEqual({ kind: "usd", usd: 0.00042, estimated: false });
  });

  it("marks the cost of estimated usage, and free cells cost $0", () => {
    const view = play([
      started,
      finish(cell(11, 0, { status: "ok", output: "a", usage: used, usage_estimated: true, cost_usd: 0.01 })),
      finish(cell(12, 1, { status: "ok", output: "b", usage: used, cached: true, cost_usd: 0 })),
    ]);
    expect(paneCost(view.panes[0]!)).toEqual({ kind: "usd", usd: 0.01, estimated: true });
    expect(paneCost(view.panes[1]!)).toEqual({ kind: "usd", usd: 0, estimated: false });
  });

  it("says unpriced only for a cell that used tokens", () => {
    const view = play([
      started,
      finish(cell(11, 0, { status: "ok", output: "a", usage: used, cost_usd: null })),
      finish(cell(12, 1, { status: "error", error: "refused", cost_usd: null })),
    ]);
    expect(paneCost(view.panes[0]!)).toEqual({ kind: "unpriced" });
    expect(paneCost(view.panes[1]!)).toBeNull();
  });
});
