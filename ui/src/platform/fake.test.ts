import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, fakeAnalyze, fakeCost, fakeRender } from "./fake";
import { toErrorReply } from "./backend";
import type { ErrorReply, RunEvent, RunSpec } from "../ipc/bindings";

async function rejection(p: Promise<unknown>): Promise<ErrorReply> {
  try {
    await p;
  } catch (e) {
    return toErrorReply(e);
  }
  throw new Error("expected a rejection");
}

const target = (model: string, provider = "ollama") => ({ provider, model, params: { temperature: null, top_p: null, max_tokens: null, seed: null, stop: [] } });

describe("FakeBackend library", () => {
  it("creates, lists by search, renames and refuses duplicate names", async () => {
    const b = new FakeBackend();
    const a = await b.createPrompt("Alpha");
    await b.createPrompt("Beta");
    expect((await b.listPrompts(null)).map((p) => p.name)).toEqual(["Alpha", "Beta"]);
    expect((await b.listPrompts("bet")).map((p) => p.name)).toEqual(["Beta"]);
    expect((await rejection(b.renamePrompt(a.id, "Beta"))).code).toBe("conflict");
    expect((await b.renamePrompt(a.id, "Gamma")).name).toBe("Gamma");
  });

  it("duplicates as “NAME copy” and deletes", async () => {
    const b = new FakeBackend();
    const a = await b.createPrompt("Alpha");
    await b.saveDraft(a.id, "user:\n{{ x }}", null);
    const copy = await b.duplicatePrompt(a.id);
    expect(copy.name).toBe("Alpha copy");
    expect(copy.draft).toBe("user:\n{{ x }}");
    expect((await b.duplicatePrompt(a.id)).name).toBe("Alpha copy 2");
    await b.deletePrompt(a.id);
    expect((await rejection(b.getPrompt(a.id))).code).toBe("not_found");
  });

  it("numbers versions, lists them newest first and refuses an unchanged save", async () => {
    const b = new FakeBackend();
    const p = await b.createPrompt("P");
    const v1 = await b.saveVersion(p.id, { template: "user:\none", default_target: null, message: "first" });
    const v2 = await b.saveVersion(p.id, { template: "user:\ntwo {{ t }}", default_target: null, message: "second" });
    expect([v1.number, v2.number]).toEqual([1, 2]);
    expect(v2.parent_id).toBe(v1.id);
    expect(v2.inputs).toEqual(["t"]);
    expect(v2.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await b.listVersions(p.id)).map((v) => v.number)).toEqual([2, 1]);
    expect((await rejection(b.saveVersion(p.id, { template: "user:\ntwo {{ t }}", default_target: null, message: "" }))).code).toBe("unchanged");
    const restored = await b.restoreVersion(v1.id);
    expect(restored.number).toBe(3);
    expect(restored.template).toBe("user:\none");
    expect((await b.getPrompt(p.id)).latest_version).toBe(3);
  });

  it("reports a library that cannot be opened", async () => {
    const b = new FakeBackend({ libraryError: "schema is newer" });
    expect((await b.appStatus()).library_error).toBe("schema is newer");
    expect((await rejection(b.listPrompts(null))).code).toBe("library");
  });

  it("fails list_models like an unreachable Ollama", async () => {
    const err = await rejection(new FakeBackend({ ollamaDown: true }).listModels("ollama"));
    expect(err.code).toBe("provider");
    expect(err.message).toContain("ollama serve");
    expect((await new FakeBackend().listModels("ollama")).length).toBeGreaterThan(1);
  });
});

describe("FakeBackend providers", () => {
  it("tests connections: model count and latency, or an unreachable Ollama", async () => {
    const up = await new FakeBackend().testConnection("ollama");
    expect(up.model_count).toBe((await new FakeBackend().listModels("ollama")).length);
    expect(up.latency_ms).toBeGreaterThan(0);
    const down = await rejection(new FakeBackend({ ollamaDown: true }).testConnection("ollama"));
    expect(down.code).toBe("provider");
    expect(down.message).toContain("not reachable");
  });

  it("keeps only whether a key is set, and refuses keys for env-sourced providers", async () => {
    const b = new FakeBackend({ env: ["GROQ_API_KEY"] });
    const limits = { concurrency: null, requests_per_minute: null, tokens_per_minute: null, timeout_secs: null, max_retries: null };
    const entry = await b.addProvider({ id: "groq", name: "Groq", kind: "openai-compatible", base_url: "https://api.groq.com/openai/v1", key: { kind: "env", var: "GROQ_API_KEY" }, api_version: null, region: null, limits });
    expect(entry.key).toBe("set");
    expect((await rejection(b.setKey("groq", "gsk-123"))).message).toContain("GROQ_API_KEY");
    // A provider without a key switches to the keyring when one is set, as core does.
    const echo = await b.setKey("echo", "secret-text-here");
    expect(echo).toMatchObject({ key: "set", config: { key: { kind: "keyring" } } });
    expect(JSON.stringify(await b.providerEntries())).not.toContain("secret-text-here");
    expect((await b.deleteKey("echo")).key).toBe("not_set");
  });
});

describe("FakeBackend prices", () => {
  const limits = { concurrency: null, requests_per_minute: null, tokens_per_minute: null, timeout_secs: null, max_retries: null };
  const anthropic = { id: "anthropic", name: "Anthropic", kind: "anthropic" as const, base_url: null, key: { kind: "keyring" as const }, api_version: null, region: null, limits };

  it("seeds prices for the sample cloud provider only", async () => {
    expect(await new FakeBackend().listPrices()).toEqual([]);
    const prices = await new FakeBackend({ seed: true }).listPrices();
    expect(prices.length).toBeGreaterThan(1);
    expect(new Set(prices.map((p) => p.provider))).toEqual(new Set(["openai"]));
  });

  it("adds, replaces by provider and model, lists in order and deletes", async () => {
    const b = new FakeBackend();
    await b.addProvider(anthropic);
    await b.setPrice({ provider: "echo", model: "echo", input_per_mtok: 0, output_per_mtok: 0 });
    await b.setPrice({ provider: "anthropic", model: "claude-sonnet-4-5", input_per_mtok: 3, output_per_mtok: 15 });
    await b.setPrice({ provider: "anthropic", model: " claude-haiku-4-5 ", input_per_mtok: 1, output_per_mtok: 5 });
    await b.setPrice({ provider: "anthropic", model: "claude-sonnet-4-5", input_per_mtok: 2.5, output_per_mtok: 12 });
    expect((await b.listPrices()).map((p) => [p.provider, p.model, p.input_per_mtok])).toEqual([
      ["anthropic", "claude-haiku-4-5", 1],
      ["anthropic", "claude-sonnet-4-5", 2.5],
      ["echo", "echo", 0],
    ]);
    await b.deletePrice("anthropic", "claude-haiku-4-5");
    expect((await b.listPrices()).map((p) => p.model)).toEqual(["claude-sonnet-4-5", "echo"]);
    const gone = await rejection(b.deletePrice("anthropic", "claude-haiku-4-5"));
    expect(gone).toMatchObject({ code: "not_found", message: "a price for `claude-haiku-4-5` on `anthropic` not found" });
  });

  it("refuses what the backend refuses, in its words", async () => {
    const b = new FakeBackend();
    const ok = { provider: "echo", model: "echo", input_per_mtok: 1, output_per_mtok: 1 };
    expect(await rejection(b.setPrice({ ...ok, model: "  " }))).toMatchObject({ code: "invalid", message: "a price needs a model name" });
    expect(await rejection(b.setPrice({ ...ok, input_per_mtok: -1 }))).toMatchObject({
      code: "invalid",
      message: "the input price must be a number of US dollars per million tokens, 0 or more (got -1)",
    });
    expect((await rejection(b.setPrice({ ...ok, output_per_mtok: Number.NaN }))).message).toBe(
      "the output price must be a number of US dollars per million tokens, 0 or more (got NaN)",
    );
    expect(await rejection(b.setPrice({ ...ok, provider: "nope" }))).toMatchObject({ code: "not_found", message: "provider `nope` not found" });
    expect(await b.listPrices()).toEqual([]);
  });

  it("drops a provider's prices with the provider", async () => {
    const b = new FakeBackend({ seed: true });
    await b.setPrice({ provider: "ollama", model: "llama3.2:3b", input_per_mtok: 0.1, output_per_mtok: 0.1 });
    await b.deleteProvider("openai");
    expect((await b.listPrices()).map((p) => p.provider)).toEqual(["ollama"]);
  });

  it("works out a cell's cost like the run engine", () => {
    const usage = { input_tokens: 1000, output_tokens: 500 };
    const price = { provider: "openai", model: "gpt-4.1", input_per_mtok: 2, output_per_mtok: 8 };
    expect(fakeCost(price, { usage, cached: false })).toBeCloseTo(0.006);
    expect(fakeCost(price, { usage, cached: true })).toBe(0);
    expect(fakeCost(price, { usage: { input_tokens: null, output_tokens: null }, cached: false })).toBeNull();
    expect(fakeCost("free", { usage: { input_tokens: null, output_tokens: null }, cached: false })).toBe(0);
    expect(fakeCost(null, { usage, cached: false })).toBeNull();
  });
});

describe("fake templates", () => {
  it("finds variables in order of first use, without loop locals", () => {
    const a = fakeAnalyze("{% for d in docs %}{{ d }}{% endfor %}{{ topic | upper }} {{ topic }} {% if extra %}x{% endif %}");
    expect(a.error).toBeNull();
    expect(a.variables).toEqual(["docs", "topic", "extra"]);
  });

  it("reports an unclosed tag with line and column", () => {
    const a = fakeAnalyze("user:\n{{ name");
    expect(a.error?.kind).toBe("syntax");
    expect(a.error?.line).toBe(2);
    expect(a.error?.column).toBe(8);
  });

  it("renders role lines into messages and rejects undefined variables", () => {
    expect(fakeRender("system:\nBe {{ tone }}.\nuser:\n{{ q }}", { tone: "brief", q: "Why?" })).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Why?" },
    ]);
    try {
      fakeRender("user:\nhi\n{{ q }}", {});
      throw new Error("expected an error");
    } catch (e) {
      const err = toErrorReply(e);
      expect(err.code).toBe("template");
      expect(err.template?.kind).toBe("undefined_variable");
      expect(err.template?.line).toBe(3);
    }
  });
});

describe("fake runs", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function setup() {
    const b = new FakeBackend({ tickMs: 10, chunkChars: 5 });
    const p = await b.createPrompt("P");
    const spec: RunSpec = {
      prompt_id: p.id,
      panes: [
        { source: { kind: "draft", prompt_id: p.id, template: "user:\nsay {{ w }}" }, target: target("echo", "echo") },
        { source: { kind: "draft", prompt_id: p.id, template: "user:\nsay {{ w }}" }, target: target("missing-model") },
      ],
      cases: [{ vars: { w: "hello there ".repeat(20).trim() } }],
      samples: 1,
      use_cache: true,
    };
    const events: RunEvent[] = [];
    const runId = await b.startRun(spec, (e) => events.push(e));
    return { b, p, runId, events };
  }

  it("streams started, cell_started, deltas, cell_finished and finished in order", async () => {
    const { b, p, runId, events } = await setup();
    expect(events).toEqual([]); // nothing before start_run returns
    await vi.runAllTimersAsync();
    expect(events[0].event).toBe("started");
    expect(events.at(-1)).toEqual({ event: "finished", run_id: runId, status: "done" });
    const started = events[0].event === "started" ? events[0].run : null;
    const echoCell = started!.cells.find((c) => c.pane === 0)!;
    const deltas = events.filter((e) => e.event === "delta" && e.cell_id === echoCell.id);
    const text = deltas.map((e) => (e.event === "delta" ? e.text : "")).join("");
    expect(text).toBe(`say ${"hello there ".repeat(20).trim()}`);
    const finished = events.filter((e) => e.event === "cell_finished").map((e) => (e.event === "cell_finished" ? e.cell : null));
    const echo = finished.find((c) => c?.pane === 0)!;
    expect(echo.status).toBe("ok");
    expect(echo.output).toBe(text);
    expect(echo.usage.output_tokens).toBeGreaterThan(0);
    const missing = finished.find((c) => c?.pane === 1)!;
    expect(missing.status).toBe("error");
    expect(missing.error).toContain("not found");
    const summary = (await b.listRuns(p.id))[0];
    expect(summary).toMatchObject({ id: runId, cell_count: 2, ok_count: 1, status: "done" });
    expect((await b.getRun(runId)).cells.map((c) => c.status)).toEqual(["ok", "error"]);
  });

  it("costs local cells nothing, priced ones by their usage, unpriced ones null", async () => {
    const b = new FakeBackend({ tickMs: 10, chunkChars: 50, seed: true });
    const p = await b.createPrompt("Costs");
    const pane = (provider: string, model: string) => ({ source: { kind: "draft" as const, prompt_id: p.id, template: "user:\nhello" }, target: target(model, provider) });
    const spec: RunSpec = {
      prompt_id: p.id,
      panes: [pane("echo", "echo"), pane("openai", "gpt-4.1"), pane("openai", "o4-mini"), pane("lm-studio", "qwen")],
      cases: [{ vars: {} }],
      samples: 1,
      use_cache: true,
    };
    const events: RunEvent[] = [];
    await b.startRun(spec, (e) => events.push(e));
    await vi.runAllTimersAsync();
    const cells = events.flatMap((e) => (e.event === "cell_finished" ? [e.cell] : [])).sort((a, c) => a.pane - c.pane);
    expect(cells.map((c) => c.status)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(cells[0].cost_usd).toBe(0);
    const { input_tokens, output_tokens } = cells[1].usage;
    expect(cells[1].cost_usd).toBeCloseTo((input_tokens! * 2 + output_tokens! * 8) / 1e6, 12);
    expect(cells[2].cost_usd).toBeNull();
    expect(cells[3]).toMatchObject({ cost_usd: null, usage_estimated: true });
  });

  it("sends a non-streamed answer as one delta", async () => {
    const b = new FakeBackend({ tickMs: 10, chunkChars: 5 });
    const p = await b.createPrompt("P");
    const t = { ...target("echo", "echo"), params: { ...target("echo").params, stream: false } };
    const spec: RunSpec = {
      prompt_id: p.id,
      panes: [{ source: { kind: "draft", prompt_id: p.id, template: "user:\nsay {{ w }}" }, target: t }],
      cases: [{ vars: { w: "hello there ".repeat(20).trim() } }],
      samples: 1,
      use_cache: true,
    };
    const events: RunEvent[] = [];
    await b.startRun(spec, (e) => events.push(e));
    await vi.runAllTimersAsync();
    const deltas = events.filter((e) => e.event === "delta");
    expect(deltas).toHaveLength(1);
    expect(deltas[0].event === "delta" && deltas[0].text).toBe(`say ${"hello there ".repeat(20).trim()}`);
    expect(events.at(-1)).toMatchObject({ event: "finished", status: "done" });
  });

  it("cancels: streamed text stays as partial, the run ends cancelled", async () => {
    const { b, runId, events } = await setup();
    await vi.advanceTimersByTimeAsync(200);
    await b.cancelRun(runId);
    const last = events.at(-1);
    expect(last).toEqual({ event: "finished", run_id: runId, status: "cancelled" });
    const finals = events.filter((e) => e.event === "cell_finished").map((e) => (e.event === "cell_finished" ? e.cell : null));
    const echo = finals.find((c) => c?.pane === 0)!;
    expect(echo.status).toBe("partial");
    expect(echo.output.length).toBeGreaterThan(0);
    const count = events.length;
    await vi.runAllTimersAsync();
    expect(events.length).toBe(count); // nothing after cancel
  });
});
