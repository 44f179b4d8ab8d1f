import { describe, expect, it, vi } from "vitest";
import type { Cell, RunEvent } from "../ipc/bindings";
import { outputText } from "./outputText";
import { applyRunEvent, type PaneResult, type RunView } from "./runView";

const target = { provider: "echo", model: "echo", params: { temperature: null, top_p: null, max_tokens: null, seed: null, stop: [] } };
const cell: Cell = {
  id: 1, run_id: 7, variant: 0, case_index: 0, case_id: "case-1", sample: 0, version_id: null, version_number: null, target, vars: {},
  messages: [], output: "", status: "pending", error: null, timing: { ttft_ms: null, total_ms: null },
  usage: { input_tokens: null, output_tokens: null }, usage_estimated: false, cached: false, cost_usd: null,
  started_at: null, finished_at: null,
};
const started: RunEvent = {
  event: "started",
  run: {
    id: 7, prompt_id: 1, status: "running", cells: [cell], scores: [], created_at: "2026-01-01T00:00:00Z", finished_at: null,
    spec: { prompt_id: 1, variants: [{ source: { kind: "draft", prompt_id: 1, template: "t" }, target }], cases: [{ id: "case-1", vars: {}, assertions: [] }], assertions: [], suite_hash: null, samples: 1, use_cache: true },
  },
};
const delta = (text: string): RunEvent => ({ event: "delta", cell_id: 1, text, elapsed_ms: 1 });

describe("outputText", () => {
  it("appends the pieces of each frame in order, then sets the final output whole", () => {
    let view = applyRunEvent(null, started) as RunView;
    const pane = () => view.panes[0] as PaneResult;
    const node = document.createElement("div");
    const action = outputText(node, pane());
    const text = node.firstChild as Text;
    const appended = vi.spyOn(text, "appendData");

    // Frames of one, three and two pieces (deltas batched between two updates).
    for (const frame of [["Hel"], ["lo", ", ", "wo"], ["rl", "d"]]) {
      for (const piece of frame) view = applyRunEvent(view, delta(piece)) as RunView;
      action.update(pane());
      expect(node.textContent).toBe(pane().output);
    }
    expect(node.textContent).toBe("Hello, world");
    // The first piece set the text; the two frames after it only appended.
    expect(appended.mock.calls).toEqual([["lo, wo"], ["rld"]]);

    view = applyRunEvent(view, { event: "cell_finished", cell: { ...cell, status: "ok", output: "Hello, world!" } }) as RunView;
    action.update(pane());
    expect(node.textContent).toBe("Hello, world!");
  });

  it("draws another pane's output whole", () => {
    let view = applyRunEvent(null, started) as RunView;
    view = applyRunEvent(view, delta("one")) as RunView;
    const node = document.createElement("div");
    const action = outputText(node, view.panes[0] as PaneResult);
    let other = applyRunEvent(null, started) as RunView;
    for (const piece of ["a", "b", "c", "d"]) other = applyRunEvent(other, delta(piece)) as RunView;
    action.update(other.panes[0] as PaneResult);
    expect(node.textContent).toBe("abcd");
  });
});
