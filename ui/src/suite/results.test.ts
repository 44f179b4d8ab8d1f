import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AppState } from "../app/state.svelte";
import type { Backend } from "../ipc/bindings";
import type { ResultsState } from "./results.svelte";
import type { MatrixCell } from "./matrix.svelte";
import { freshBackend, ollamaServer } from "../test/bridge";
import { startedApp } from "../test/window";

beforeEach(() => localStorage.clear());

const DRAFT = "system:\nAnswer in {{ language }}.\nuser:\nWhat is the capital of {{ country }}?";
const V1 = "user:\nCapital of {{ country }} in {{ language }}?";

async function ended(results: ResultsState): Promise<void> {
  await vi.waitFor(() => expect(results.running).toBe(false), { timeout: 15000 });
}

/**
 * A prompt with v1 saved and a different draft; its panes: the draft and v1, both
 * on the echo provider (it answers with the rendered prompt). Three cases: France
 * passes in both columns, Italy only in the draft's, Spain in neither.
 */
async function suiteOverTwoColumns(backend?: Backend): Promise<{ app: AppState; backend: Backend; promptId: number }> {
  backend ??= await freshBackend();
  const prompt = await backend.createPrompt("Capitals");
  const v1 = await backend.saveVersion(prompt.id, { template: V1, default_target: null, message: "short" });
  await backend.saveDraft(prompt.id, DRAFT, null);
  await backend.saveSuite(
    prompt.id,
    [
      { id: "fr", vars: { language: "French", country: "France" }, assertions: [{ type: "contains", value: "France" }] },
      { id: "it", vars: { language: "Italian", country: "Italy" }, assertions: [{ type: "contains", value: "Answer in" }] },
      { id: "es", vars: { language: "Spanish", country: "Spain" }, assertions: [{ type: "contains", value: "Madrid" }] },
    ],
    [{ type: "not-icontains", value: "as an AI" }],
  );
  const { app } = await startedApp(backend);
  await app.select(prompt.id);
  const { run } = app;
  run.updatePane(run.panes[0].key, (p) => {
    p.source = "draft";
    p.target.provider = "echo";
    p.target.model = "echo";
  });
  run.updatePane(run.panes[1].key, (p) => {
    p.source = v1.id;
    p.target.provider = "echo";
    p.target.model = "echo";
  });
  await vi.waitFor(() => expect(app.suite.saved?.cases).toHaveLength(3));
  return { app, backend, promptId: prompt.id };
}

describe("matrix: a suite run", () => {
  it("streams every case × column, scores each cell, and sums each column up", async () => {
    const { app, promptId } = await suiteOverTwoColumns();
    const runSuite = vi.spyOn(app.backend, "runSuite");
    await app.runSuite();
    expect(app.view).toBe("results");
    const { results } = app;
    await ended(results);
    const request = runSuite.mock.calls[0][0];
    expect(request.prompt_id).toBe(promptId);
    expect(request.variants.map((v) => v.source.kind)).toEqual(["draft", "version"]);
    const m = results.matrix!;
    expect(m.status).toBe("done");
    expect(m.caseCount).toBe(3);
    const verdicts = m.grid.map((row) => row.map((c) => c?.verdict?.pass));
    expect(verdicts).toEqual([
      [true, true],
      [true, false],
      [false, false],
    ]);
    expect(m.grid[0][0]?.output).toContain("What is the capital of France?");
    expect(m.grid[0][1]?.output).toContain("Capital of France in French?");
    // Every check has its score with a reason, besides the verdict.
    expect(m.grid[2][0]?.checks.map((s) => s.scorer)).toEqual(["suite/not-icontains", "case/contains"]);
    expect(m.grid[2][0]?.checks[1].reason).toMatch(/Madrid/);
    await vi.waitFor(() => expect(results.stats).toHaveLength(2));
    const [draft, version] = results.stats!;
    expect([draft.passed, draft.scored, version.passed, version.scored]).toEqual([2, 3, 1, 3]);
    expect(draft.pass_rate).toBeCloseTo(2 / 3);
    expect(m.progress).toMatchObject({ done: 6, total: 6 });
    // The run is in the prompt's suite history and reopens as it was.
    await vi.waitFor(() => expect(results.suiteRuns.map((r) => r.id)).toEqual([m.id]));
    await results.openRun(m.id);
    expect(results.matrix!.grid.map((row) => row.map((c) => c?.verdict?.pass))).toEqual(verdicts);
  });

  it("filters failures, errors, disagreeing columns and text", async () => {
    const { app } = await suiteOverTwoColumns();
    await app.runSuite();
    const { results } = app;
    await ended(results);
    expect(results.rows).toEqual([0, 1, 2]);
    results.filters.failures = true;
    expect(results.rows).toEqual([1, 2]);
    results.filters.failures = false;
    results.filters.disagree = true;
    expect(results.rows).toEqual([1]);
    results.filters.disagree = false;
    results.filters.search = "spain";
    expect(results.rows).toEqual([2]);
    results.filters.search = "capital of italy";
    expect(results.rows).toEqual([1]);
    results.filters.search = "";
    results.filters.errors = true;
    expect(results.rows).toEqual([]);
  });

  it("offers to re-score after a check changed, and re-scores without asking the provider", async () => {
    const { app, backend } = await suiteOverTwoColumns();
    await app.runSuite();
    const { results, suite } = app;
    await ended(results);
    const before = await backend.getRun(results.matrix!.id);
    expect(results.rescoreOffered).toBe(false);

    const spain = suite.rows[2];
    suite.updateAssertion(spain.key, spain.assertions[0].key, (a) => ((a.value = "Spain"), (a.valueEdited = true)));
    expect(await suite.save()).toBe(true);
    expect(results.rescoreOffered).toBe(true);
    await results.rescore();
    expect(results.rescoreOffered).toBe(false);
    expect(results.matrix!.grid[2].map((c) => c?.verdict?.pass)).toEqual([true, true]);
    expect(results.stats!.map((s) => s.passed)).toEqual([3, 2]);
    // The cells themselves are untouched: nothing was sent again.
    const after = await backend.getRun(results.matrix!.id);
    expect(after.cells.map((c) => [c.id, c.output, c.finished_at])).toEqual(before.cells.map((c) => [c.id, c.output, c.finished_at]));
  });

  it("keeps finished cells when cancelled, and reruns the rest in place", async () => {
    const backend = await freshBackend();
    const slow = await ollamaServer("--chunk-delay-ms", "60", "--models", "slow", "--reply", "one two three four five six seven eight");
    await backend.updateProvider({ ...(await backend.listProviders()).find((p) => p.id === "ollama")!, base_url: slow });
    const prompt = await backend.createPrompt("Slow");
    await backend.saveDraft(prompt.id, "user:\n{{ n }}", null);
    const cases = Array.from({ length: 12 }, (_, i) => ({ id: `n${i}`, vars: { n: String(i) }, assertions: [{ type: "contains" as const, value: "eight" }] }));
    await backend.saveSuite(prompt.id, cases, []);
    const { app } = await startedApp(backend);
    await app.select(prompt.id);
    const { run, results } = app;
    run.updatePane(run.panes[0].key, (p) => {
      p.target.provider = "ollama";
      p.target.model = "slow";
    });
    run.removePane(run.panes[1].key);
    await vi.waitFor(() => expect(app.suite.saved?.cases).toHaveLength(12));
    void app.runSuite();
    await vi.waitFor(() => expect(results.matrix?.cells.some((c) => c.status === "ok")).toBe(true), { timeout: 10000 });
    await results.cancel();
    await ended(results);
    const m = results.matrix!;
    expect(m.status).toBe("cancelled");
    const ok = m.cells.filter((c) => c.status === "ok");
    const rest = m.cells.filter((c) => c.status !== "ok");
    expect(ok.length).toBeGreaterThan(0);
    expect(rest.length).toBeGreaterThan(0);
    for (const c of ok) {
      expect(c.output).toContain("eight");
      expect(c.verdict?.pass).toBe(true);
    }
    const kept = ok.map((c) => [c.id, c.output]);
    expect(m.failedCells().map((c) => c.id)).toEqual(rest.map((c) => c.id));

    await results.rerunFailed();
    await ended(results);
    const again = results.matrix!;
    expect(again.id).toBe(m.id);
    expect(again.cells.every((c) => c.status === "ok")).toBe(true);
    // The cells that had finished were not run again.
    expect(kept.every(([id, output]) => again.cell(id as number)?.output === output)).toBe(true);
    expect(again.progress?.total).toBe(rest.length);
  });

  it("compares two cells through the core's diff", async () => {
    const { app } = await suiteOverTwoColumns();
    await app.runSuite();
    const { results } = app;
    await ended(results);
    const [a, b] = results.matrix!.grid[0] as MatrixCell[];
    results.pick(a);
    expect(results.picked).toBe(a);
    results.pick(b);
    expect(results.compare).toEqual({ a, b });
    const diff = await app.backend.diffTexts(a.output, b.output, { level: "word", context_lines: 3, fold_min_lines: 6, deadline_ms: 60 });
    expect(diff.identical).toBe(false);
    const inserted = diff.hunks.flatMap((h) => (h.kind === "change" ? h.new.map((s) => s.text) : [])).join("");
    expect(inserted).toContain("Capital");
  });
});
