// An in-memory Backend for unit tests and the browser preview (`?fake` in dev, or
// `vite --mode fake`). It mimics the real commands' contracts closely enough to drive
// every screen: error codes, newest-first lists, streamed runs on timers.
import type { Backend } from "./backend";
import type {
  AppStatus,
  Cell,
  ConnectionTest,
  ErrorReply,
  Message,
  ModelInfo,
  NewVersion,
  Price,
  Prompt,
  PromptSummary,
  ProviderConfig,
  ProviderEntry,
  KeyStatus,
  Role,
  Run,
  RunEvent,
  RunSpec,
  RunStatus,
  RunSummary,
  Target,
  TemplateAnalysis,
  TemplateError,
  Version,
} from "../ipc/bindings";

export interface FakeOptions {
  /** Makes app_status report a library that could not be opened. */
  libraryError?: string | null;
  /** Makes list_models for the Ollama provider fail like an unreachable server. */
  ollamaDown?: boolean;
  /** Milliseconds between streamed deltas. */
  tickMs?: number;
  /** Characters per delta. */
  chunkChars?: number;
  /** Seed the library with sample prompts. */
  seed?: boolean;
  /** The library folder app_status reports. */
  dataDir?: string;
  /** No OS keyring: key statuses read "unavailable" and set_key fails. */
  keyringDown?: boolean;
  /** Environment variables that count as set for env-sourced keys. */
  env?: string[];
}

const NO_LIMITS = { concurrency: null, requests_per_minute: null, tokens_per_minute: null, timeout_secs: null, max_retries: null };

function reply(code: string, message: string, template: TemplateError | null = null): ErrorReply {
  return { code, message, template, field: null };
}

/** An `invalid` reply about one input, named as in the request (see ErrorReply.field). */
function invalid(field: string, message: string): ErrorReply {
  return { code: "invalid", message, template: null, field };
}

const KEYWORDS = new Set([
  "if", "elif", "else", "endif", "for", "endfor", "in", "not", "and", "or", "is",
  "true", "false", "none", "loop", "set", "endset", "raw", "endraw", "macro", "endmacro",
]);

interface Tag {
  kind: "expr" | "stmt";
  body: string;
  offset: number;
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { line, column };
}

function scanTags(template: string): { tags: Tag[]; error: TemplateError | null } {
  const tags: Tag[] = [];
  const re = /\{\{|\{%/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(template)) !== null) {
    const open = m[0];
    const close = open === "{{" ? "}}" : "%}";
    const end = template.indexOf(close, m.index + 2);
    if (end < 0) {
      const at = lineCol(template, template.length);
      return {
        tags,
        error: {
          kind: "syntax",
          message: `syntax error: unexpected end of input, expected end of ${open === "{{" ? "variable block" : "block"}`,
          line: at.line,
          column: at.column,
          variable: null,
        },
      };
    }
    tags.push({ kind: open === "{{" ? "expr" : "stmt", body: template.slice(m.index + 2, end).trim(), offset: m.index });
    re.lastIndex = end + 2;
  }
  return { tags, error: null };
}

/** Variables and the first syntax error, in the spirit of minijinja's analysis. */
export function fakeAnalyze(template: string): TemplateAnalysis {
  const { tags, error } = scanTags(template);
  const variables: string[] = [];
  const locals = new Set<string>();
  const stack: { word: string; offset: number }[] = [];
  const add = (name: string) => {
    if (!KEYWORDS.has(name) && !locals.has(name) && !variables.includes(name)) variables.push(name);
  };
  for (const tag of tags) {
    const body = tag.body.replace(/"[^"]*"|'[^']*'/g, "");
    if (tag.kind === "stmt") {
      const word = body.split(/\s+/)[0] ?? "";
      if (word === "if" || word === "for") stack.push({ word, offset: tag.offset });
      if (word === "endif" || word === "endfor") {
        const open = stack.pop();
        if (!open || `end${open.word}` !== word) {
          const at = lineCol(template, tag.offset);
          return {
            variables,
            error: { kind: "syntax", message: `syntax error: unexpected \`${word}\``, line: at.line, column: at.column, variable: null },
          };
        }
      }
      if (word === "for") {
        const loop = /^for\s+(\w+)\s+in\s+(.*)$/.exec(body);
        if (loop) {
          for (const id of loop[2].match(/[A-Za-z_]\w*/g) ?? []) add(id);
          locals.add(loop[1]);
        }
        continue;
      }
      for (const id of body.slice(word.length).match(/(?<![.\w])[A-Za-z_]\w*/g) ?? []) add(id);
    } else {
      const withoutFilters = body.split("|")[0] ?? "";
      for (const id of withoutFilters.match(/(?<![.\w])[A-Za-z_]\w*/g) ?? []) add(id);
    }
  }
  if (!error && stack.length > 0) {
    const at = lineCol(template, template.length);
    const open = stack[stack.length - 1];
    return {
      variables,
      error: { kind: "syntax", message: `syntax error: unexpected end of input, expected \`end${open.word}\``, line: at.line, column: at.column, variable: null },
    };
  }
  return { variables, error };
}

/** Substitutes `{{ name }}`, drops statements, splits Prompty role lines. */
export function fakeRender(template: string, vars: Record<string, unknown>): Message[] {
  const analysis = fakeAnalyze(template);
  if (analysis.error) throw reply("template", analysis.error.message, analysis.error);
  const { tags } = scanTags(template);
  let out = "";
  let last = 0;
  for (const tag of tags) {
    out += template.slice(last, tag.offset);
    const close = template.indexOf(tag.kind === "expr" ? "}}" : "%}", tag.offset + 2);
    last = close + 2;
    if (tag.kind === "stmt") continue;
    const name = (tag.body.split("|")[0] ?? "").trim();
    if (!(name in vars)) {
      const at = lineCol(template, tag.offset + 3);
      const error: TemplateError = { kind: "undefined_variable", message: `undefined variable \`${name}\``, line: at.line, column: at.column, variable: name };
      throw reply("template", error.message, error);
    }
    out += String(vars[name] ?? "");
  }
  out += template.slice(last);
  const messages: Message[] = [];
  // As in the real template crate (Prompty): a role line stands alone, and text
  // before the first one is a system message.
  let role: Role = "system";
  let buf: string[] = [];
  const flush = () => {
    const content = buf.join("\n").trim();
    if (content) messages.push({ role, content });
    buf = [];
  };
  for (const line of out.split("\n")) {
    const m = /^\s*(system|user|assistant)\s*:\s*$/i.exec(line);
    if (m) {
      flush();
      role = (m[1] ?? "user").toLowerCase() as Role;
    } else buf.push(line);
  }
  flush();
  return messages;
}

const LOREM =
  "Here is a concise answer. The key points are, first, that the input was read carefully; second, that each claim is supported by the text; and third, that anything uncertain is flagged rather than guessed.\n\n- Summary: the article argues for smaller, testable steps.\n- Tone: neutral and direct.\n- Open question: how the results generalise beyond the sample.";

interface FakeRun {
  run: Run;
  timers: ReturnType<typeof setTimeout>[];
  emit: (event: RunEvent) => void;
  finished: boolean;
  /** What each pane's model costs, looked up once when the run starts (as core's run engine does). */
  pricing: Pricing[];
}

/** A price, nothing to pay (a local provider without one), or unknown. */
type Pricing = Price | "free" | null;

/** Rust's `{}` for an f64, for messages worded like the backend's. */
function rustFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return String(n);
}

/** US dollars for a cell, as core::run works it out when the cell ends. */
export function fakeCost(pricing: Pricing, cell: Pick<Cell, "usage" | "cached">): number | null {
  if (cell.cached) return 0;
  if (pricing === "free") return 0;
  if (pricing === null) return null;
  const { input_tokens: input, output_tokens: output } = cell.usage;
  if (input === null || output === null) return null;
  return (input * pricing.input_per_mtok + output * pricing.output_per_mtok) / 1_000_000;
}

export class FakeBackend implements Backend {
  private prompts = new Map<number, Prompt>();
  private versions: Version[] = [];
  private runs: Run[] = [];
  private active = new Map<number, FakeRun>();
  private nextId = 1;
  private nextCellId = 1;
  private readonly opts: Required<FakeOptions>;

  providers: ProviderConfig[] = [
    { id: "ollama", name: "Ollama", kind: "ollama", base_url: null, key: { kind: "none" }, api_version: null, region: null, limits: { ...NO_LIMITS } },
    { id: "echo", name: "Echo", kind: "echo", base_url: null, key: { kind: "none" }, api_version: null, region: null, limits: { ...NO_LIMITS } },
  ];
  /** Providers whose keyring entry exists. Only that fact is kept, never the secret. */
  private keysSet = new Set<string>();
  private savedDefaultTarget: Target | null = null;
  /** The price table, keyed by provider and model like the SQLite table. */
  private prices: Price[] = [];

  constructor(options: FakeOptions = {}) {
    this.opts = {
      libraryError: options.libraryError ?? null,
      ollamaDown: options.ollamaDown ?? false,
      tickMs: options.tickMs ?? 40,
      chunkChars: options.chunkChars ?? 6,
      seed: options.seed ?? false,
      dataDir: options.dataDir ?? "/fake/data",
      keyringDown: options.keyringDown ?? false,
      env: options.env ?? [],
    };
    if (this.opts.seed) this.seedLibrary();
  }

  private now(): string {
    return new Date().toISOString();
  }

  private seedLibrary(): void {
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const target: Target = { provider: "ollama", model: "llama3.2:3b", params: { temperature: 0.7, top_p: null, max_tokens: 512, seed: null, stop: [] } };
    const summarize = this.insertPrompt("Summarize article", "system:\nYou are a careful editor who writes in {{ tone }} prose.\nuser:\nSummarize the following article in {{ sentences }} sentences.\n\n{{ article }}\n", target, ago(3000));
    this.insertVersion(summarize, "system:\nYou are an editor.\nuser:\nSummarize: {{ article }}\n", "First cut", ago(2900));
    this.insertVersion(summarize, "system:\nYou are a careful editor.\nuser:\nSummarize the following article in {{ sentences }} sentences.\n\n{{ article }}\n", "Ask for a sentence count", ago(1500));
    this.insertVersion(summarize, summarize.draft, "Let the tone be chosen", ago(90));
    summarize.draft += "{% if audience %}\nWrite for {{ audience }}.{% endif %}\n";
    this.insertPrompt("Support reply", "system:\nYou answer customer emails for {{ product }}.\nuser:\n{{ email }}\n", target, ago(600));
    this.providers.push({ id: "openai", name: "OpenAI", kind: "openai", base_url: null, key: { kind: "keyring" }, api_version: null, region: null, limits: { ...NO_LIMITS, concurrency: 8 } });
    this.keysSet.add("openai");
    // Published list prices, US dollars per million tokens.
    this.prices.push(
      { provider: "openai", model: "gpt-4.1", input_per_mtok: 2, output_per_mtok: 8 },
      { provider: "openai", model: "gpt-4.1-mini", input_per_mtok: 0.4, output_per_mtok: 1.6 },
      { provider: "openai", model: "gpt-4o-mini", input_per_mtok: 0.15, output_per_mtok: 0.6 },
    );
    this.providers.push({ id: "lm-studio", name: "LM Studio", kind: "openai-compatible", base_url: "http://127.0.0.1:1234/v1", key: { kind: "none" }, api_version: null, region: null, limits: { ...NO_LIMITS } });
    this.savedDefaultTarget = target;
    this.insertPrompt("Extract JSON fields", "user:\nExtract name, date and amount as JSON from:\n{{ invoice }}\n", null, ago(30));
  }

  private insertPrompt(name: string, draft: string, target: Target | null, at: string): Prompt {
    const prompt: Prompt = { id: this.nextId++, name, draft, draft_target: target, latest_version: null, created_at: at, updated_at: at };
    this.prompts.set(prompt.id, prompt);
    return prompt;
  }

  private insertVersion(prompt: Prompt, template: string, message: string, at: string): Version {
    const parent = this.versions.filter((v) => v.prompt_id === prompt.id).at(-1) ?? null;
    const version: Version = {
      id: this.nextId++,
      prompt_id: prompt.id,
      number: (parent?.number ?? 0) + 1,
      template,
      default_target: prompt.draft_target,
      inputs: fakeAnalyze(template).variables,
      message,
      parent_id: parent?.id ?? null,
      content_hash: fakeHash(template + JSON.stringify(prompt.draft_target)),
      created_at: at,
    };
    this.versions.push(version);
    prompt.latest_version = version.number;
    prompt.updated_at = at;
    return version;
  }

  private prompt(id: number): Prompt {
    const p = this.prompts.get(id);
    if (!p) throw reply("not_found", `No prompt with id ${id}.`);
    return p;
  }

  private async guard(): Promise<void> {
    if (this.opts.libraryError) throw reply("library", this.opts.libraryError);
    await Promise.resolve();
  }

  async appStatus(): Promise<AppStatus> {
    return { version: "0.1.0-fake", data_dir: this.opts.dataDir, library_error: this.opts.libraryError };
  }

  async listPrompts(search: string | null): Promise<PromptSummary[]> {
    await this.guard();
    const q = search?.trim().toLowerCase() ?? "";
    return [...this.prompts.values()]
      .filter((p) => !q || p.name.toLowerCase().includes(q))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => ({ id: p.id, name: p.name, latest_version: p.latest_version, updated_at: p.updated_at }));
  }

  private checkName(name: string, except: number | null): string {
    const trimmed = name.trim();
    if (!trimmed) throw reply("invalid", "A prompt needs a name.");
    for (const p of this.prompts.values()) {
      if (p.id !== except && p.name === trimmed) throw reply("conflict", `A prompt named “${trimmed}” already exists.`);
    }
    return trimmed;
  }

  async createPrompt(name: string): Promise<Prompt> {
    await this.guard();
    const prompt = this.insertPrompt(this.checkName(name, null), "system:\nYou are a helpful assistant.\nuser:\n{{ question }}\n", null, this.now());
    return { ...prompt };
  }

  async getPrompt(id: number): Promise<Prompt> {
    await this.guard();
    return { ...this.prompt(id) };
  }

  async renamePrompt(id: number, name: string): Promise<Prompt> {
    await this.guard();
    const p = this.prompt(id);
    p.name = this.checkName(name, id);
    p.updated_at = this.now();
    return { ...p };
  }

  async duplicatePrompt(id: number): Promise<Prompt> {
    await this.guard();
    const p = this.prompt(id);
    let name = `${p.name} copy`;
    for (let n = 2; [...this.prompts.values()].some((q) => q.name === name); n++) name = `${p.name} copy ${n}`;
    return { ...this.insertPrompt(name, p.draft, p.draft_target, this.now()) };
  }

  async deletePrompt(id: number): Promise<null> {
    await this.guard();
    this.prompt(id);
    this.prompts.delete(id);
    this.versions = this.versions.filter((v) => v.prompt_id !== id);
    return null;
  }

  async saveDraft(id: number, draft: string, target: Target | null): Promise<null> {
    await this.guard();
    const p = this.prompt(id);
    p.draft = draft;
    p.draft_target = target;
    p.updated_at = this.now();
    return null;
  }

  async analyzeTemplate(template: string): Promise<TemplateAnalysis> {
    return fakeAnalyze(template);
  }

  async renderTemplate(template: string, vars: Record<string, unknown>): Promise<Message[]> {
    return fakeRender(template, vars);
  }

  async saveVersion(promptId: number, version: NewVersion): Promise<Version> {
    await this.guard();
    const p = this.prompt(promptId);
    const analysis = fakeAnalyze(version.template);
    if (analysis.error) throw reply("template", analysis.error.message, analysis.error);
    const latest = this.versions.filter((v) => v.prompt_id === promptId).at(-1);
    if (latest && latest.template === version.template && JSON.stringify(latest.default_target) === JSON.stringify(version.default_target)) {
      throw reply("unchanged", `Nothing changed since v${latest.number}.`);
    }
    p.draft_target = version.default_target;
    return { ...this.insertVersion(p, version.template, version.message, this.now()) };
  }

  async listVersions(promptId: number): Promise<Version[]> {
    await this.guard();
    this.prompt(promptId);
    return this.versions.filter((v) => v.prompt_id === promptId).reverse().map((v) => ({ ...v }));
  }

  async restoreVersion(versionId: number): Promise<Version> {
    await this.guard();
    const v = this.versions.find((x) => x.id === versionId);
    if (!v) throw reply("not_found", `No version with id ${versionId}.`);
    const p = this.prompt(v.prompt_id);
    const restored = this.insertVersion(p, v.template, `Restore v${v.number}`, this.now());
    p.draft = v.template;
    return { ...restored };
  }

  async listProviders(): Promise<ProviderConfig[]> {
    return this.providers.map((p) => structuredClone(p));
  }

  private provider(id: string): ProviderConfig {
    const p = this.providers.find((x) => x.id === id);
    if (!p) throw reply("not_found", `No provider \`${id}\`.`);
    return p;
  }

  private keyStatus(config: ProviderConfig): KeyStatus {
    switch (config.key.kind) {
      case "none":
        return "not_needed";
      case "env":
        return this.opts.env.includes(config.key.var) ? "set" : "not_set";
      case "keyring":
        if (this.opts.keyringDown) return "unavailable";
        return this.keysSet.has(config.id) ? "set" : "not_set";
    }
  }

  private entry(config: ProviderConfig): ProviderEntry {
    return { config: structuredClone(config), key: this.keyStatus(config) };
  }

  /** The same checks, in the same words, as core::keys::check_provider. */
  private checkProvider(config: ProviderConfig): void {
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(config.id)) {
      throw invalid("id", `\`${config.id}\` is not a valid provider id: use 1 to 64 lowercase letters, digits, \`-\` and \`_\`, starting with a letter or digit (e.g. \`openai\`, \`lm-studio\`)`);
    }
    if (!config.name.trim()) throw invalid("name", "a provider's name cannot be empty");
    if (config.base_url !== null) {
      let ok = false;
      try {
        const u = new URL(config.base_url);
        ok = (u.protocol === "http:" || u.protocol === "https:") && !!u.hostname;
      } catch {
        throw invalid("base_url", `base URL \`${config.base_url}\` does not parse (e.g. http://127.0.0.1:8080/v1)`);
      }
      if (!ok) throw invalid("base_url", `base URL \`${config.base_url}\` must be an http:// or https:// URL with a host`);
    } else if (config.kind === "openai-compatible" || config.kind === "azure-openai") {
      const example = config.kind === "azure-openai" ? "https://RESOURCE.openai.azure.com" : "http://127.0.0.1:8080/v1";
      throw invalid("base_url", `\`${config.kind}\` providers need a base URL (--base-url), e.g. ${example}`);
    }
    if (config.key.kind === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(config.key.var)) {
      throw invalid("key", `\`${config.key.var}\` is not an environment variable name: use letters, digits and \`_\`, not starting with a digit`);
    }
  }

  async providerEntries(): Promise<ProviderEntry[]> {
    await this.guard();
    return this.providers.map((p) => this.entry(p));
  }

  async addProvider(config: ProviderConfig): Promise<ProviderEntry> {
    await this.guard();
    this.checkProvider(config);
    if (this.providers.some((p) => p.id === config.id)) {
      throw invalid("id", `a provider with id \`${config.id}\` already exists (change it with \`whet providers edit ${config.id}\`)`);
    }
    this.providers.push(structuredClone(config));
    return this.entry(config);
  }

  async updateProvider(config: ProviderConfig): Promise<ProviderEntry> {
    await this.guard();
    this.checkProvider(config);
    const index = this.providers.findIndex((p) => p.id === config.id);
    if (index < 0) throw reply("not_found", `No provider \`${config.id}\`.`);
    this.providers[index] = structuredClone(config);
    return this.entry(config);
  }

  async deleteProvider(id: string): Promise<null> {
    await this.guard();
    const config = this.provider(id);
    if (config.key.kind === "keyring" && this.opts.keyringDown) {
      throw reply("keys", `${id} was not removed, so that its key is not left behind in the OS keyring. No keyring is available.`);
    }
    this.keysSet.delete(id);
    this.providers = this.providers.filter((p) => p.id !== id);
    // ON DELETE CASCADE in the real table.
    this.prices = this.prices.filter((p) => p.provider !== id);
    return null;
  }

  async testConnection(id: string): Promise<ConnectionTest> {
    await this.guard();
    const started = Date.now();
    const models = await this.listModels(id);
    // A plausible round trip: local servers answer fast, cloud APIs slower.
    const config = this.provider(id);
    const base = config.kind === "ollama" || config.kind === "echo" ? 12 : 140;
    return { latency_ms: Math.max(Date.now() - started, base + (id.length * 7) % 40), model_count: models.length };
  }

  async setKey(providerId: string, secret: string): Promise<ProviderEntry> {
    await this.guard();
    const config = this.provider(providerId);
    if (config.key.kind === "env") {
      throw reply("invalid", `${config.name} reads its key from the environment variable \`${config.key.var}\`; switch it to the keyring first`);
    }
    if (!secret) throw reply("invalid", "the key is empty; nothing was saved");
    if (/[\u0000-\u001f\u007f]/.test(secret)) throw reply("invalid", "the key contains control characters (a line break?); nothing was saved");
    if (this.opts.keyringDown) {
      throw reply("keys", "No OS keyring is available (no Secret Service on D-Bus). Start a keyring such as GNOME Keyring, or set the key in an environment variable.");
    }
    this.keysSet.add(providerId);
    if (config.key.kind === "none") config.key = { kind: "keyring" };
    return this.entry(config);
  }

  async deleteKey(providerId: string): Promise<ProviderEntry> {
    await this.guard();
    const config = this.provider(providerId);
    if (this.opts.keyringDown) throw reply("keys", "No OS keyring is available (no Secret Service on D-Bus).");
    this.keysSet.delete(providerId);
    return this.entry(config);
  }

  async defaultTarget(): Promise<Target | null> {
    await this.guard();
    return this.savedDefaultTarget ? structuredClone(this.savedDefaultTarget) : null;
  }

  async setDefaultTarget(target: Target | null): Promise<null> {
    await this.guard();
    if (target) this.provider(target.provider);
    this.savedDefaultTarget = target ? structuredClone(target) : null;
    return null;
  }

  async listPrices(): Promise<Price[]> {
    await this.guard();
    // SQLite's ORDER BY provider, model: binary collation, not the locale's.
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return this.prices
      .slice()
      .sort((a, b) => cmp(a.provider, b.provider) || cmp(a.model, b.model))
      .map((p) => ({ ...p }));
  }

  /** The same checks, in the same order and words, as Workbench::set_price and the store. */
  async setPrice(price: Price): Promise<null> {
    await this.guard();
    const model = price.model.trim();
    if (!model) throw invalid("model", "a price needs a model name");
    for (const [what, value] of [["input", price.input_per_mtok], ["output", price.output_per_mtok]] as const) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw invalid(`${what}_per_mtok`, `the ${what} price must be a number of US dollars per million tokens, 0 or more (got ${rustFloat(Number(value))})`);
      }
    }
    if (!this.providers.some((p) => p.id === price.provider)) throw reply("not_found", `provider \`${price.provider}\` not found`);
    const next: Price = { provider: price.provider, model, input_per_mtok: price.input_per_mtok, output_per_mtok: price.output_per_mtok };
    const index = this.prices.findIndex((p) => p.provider === next.provider && p.model === model);
    if (index < 0) this.prices.push(next);
    else this.prices[index] = next;
    return null;
  }

  async deletePrice(provider: string, model: string): Promise<null> {
    await this.guard();
    const index = this.prices.findIndex((p) => p.provider === provider && p.model === model);
    if (index < 0) throw reply("not_found", `a price for \`${model}\` on \`${provider}\` not found`);
    this.prices.splice(index, 1);
    return null;
  }

  /** Mirrors core::run::pricing: a set price wins, then local kinds are free. */
  private pricing(target: Target): Pricing {
    const price = this.prices.find((p) => p.provider === target.provider && p.model === target.model);
    if (price) return { ...price };
    const kind = this.providers.find((p) => p.id === target.provider)?.kind;
    return kind === "ollama" || kind === "echo" ? "free" : null;
  }

  async listModels(providerId: string): Promise<ModelInfo[]> {
    const config = this.provider(providerId);
    if (config.kind === "echo") return [{ id: "echo", size_bytes: null, parameter_size: null }];
    if (config.kind === "ollama") {
      if (this.opts.ollamaDown) {
        throw reply("provider", "Ollama is not reachable at http://127.0.0.1:11434. Start Ollama with `ollama serve`, or set OLLAMA_HOST.");
      }
      return [
        { id: "llama3.2:3b", size_bytes: 2_019_393_189, parameter_size: "3.2B" },
        { id: "gemma3:4b", size_bytes: 3_338_801_804, parameter_size: "4.3B" },
        { id: "qwen2.5:7b", size_bytes: 4_683_087_332, parameter_size: "7.6B" },
      ];
    }
    const status = this.keyStatus(config);
    if (status === "not_set" || status === "unavailable") {
      throw reply("keys", `${config.name} has no API key: set one in Settings.`);
    }
    const names: Partial<Record<ProviderConfig["kind"], string[]>> = {
      openai: ["gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o4-mini"],
      anthropic: ["claude-sonnet-4-5", "claude-haiku-4-5"],
      gemini: ["gemini-2.5-flash", "gemini-2.5-pro"],
    };
    return (names[config.kind] ?? ["local-model"]).map((id) => ({ id, size_bytes: null, parameter_size: null }));
  }

  async startRun(spec: RunSpec, onEvent: (event: RunEvent) => void): Promise<number> {
    await this.guard();
    this.prompt(spec.prompt_id);
    if (spec.panes.length === 0) throw reply("invalid", "A run needs at least one pane.");
    const runId = this.nextId++;
    const cells: Cell[] = [];
    spec.panes.forEach((pane, index) => {
      const version = pane.source.kind === "version" ? this.versions.find((v) => pane.source.kind === "version" && v.id === pane.source.version_id) : undefined;
      spec.cases.forEach((testCase, caseIndex) => {
        for (let sample = 0; sample < Math.max(1, spec.samples); sample++) {
          cells.push({
            id: this.nextCellId++, run_id: runId, pane: index, case_index: caseIndex, sample,
            version_id: version?.id ?? null, version_number: version?.number ?? null,
            target: pane.target, vars: testCase.vars, messages: [], output: "", status: "pending",
            error: null, timing: { ttft_ms: null, total_ms: null }, usage: { input_tokens: null, output_tokens: null },
            usage_estimated: false, cached: false, cost_usd: null, started_at: null, finished_at: null,
          });
        }
      });
    });
    const run: Run = { id: runId, prompt_id: spec.prompt_id, spec, status: "running", cells, created_at: this.now(), finished_at: null };
    this.runs.push(run);
    const state: FakeRun = { run, timers: [], emit: onEvent, finished: false, pricing: spec.panes.map((p) => this.pricing(p.target)) };
    this.active.set(runId, state);
    // Events go out after the id is returned, as with a real channel.
    state.timers.push(setTimeout(() => this.playRun(state), 0));
    return runId;
  }

  private playRun(state: FakeRun): void {
    const { run, emit } = state;
    emit({ event: "started", run: structuredClone(run) });
    const { tickMs, chunkChars } = this.opts;
    for (const cell of run.cells) {
      const pane = run.spec.panes[cell.pane];
      const template = pane.source.kind === "draft" ? pane.source.template : (this.versions.find((v) => v.id === cell.version_id)?.template ?? "");
      let messages: Message[] = [];
      let renderError: string | null = null;
      try {
        messages = fakeRender(template, cell.vars);
      } catch (e) {
        renderError = (e as ErrorReply).message;
      }
      const failing = !cell.target.model.trim() ? "No model selected for this pane." : cell.target.model.includes("missing") ? `model \`${cell.target.model}\` not found; pull it with \`ollama pull ${cell.target.model}\`` : renderError;
      const text = cell.target.provider === "echo" ? messages.map((m) => m.content).join("\n\n") : LOREM;
      const delay = 150 + cell.pane * 120;
      const start = Date.now();
      state.timers.push(setTimeout(() => {
        cell.status = "running";
        cell.started_at = this.now();
        cell.messages = messages;
        emit({ event: "cell_started", cell_id: cell.id, messages });
        if (failing) {
          this.finishCell(state, cell, "error", failing, start);
          return;
        }
        if (cell.target.params.stream === false) {
          // Not streamed: the whole answer arrives in one response, so in one delta.
          state.timers.push(setTimeout(() => {
            cell.output = text;
            cell.timing.ttft_ms = Date.now() - start;
            emit({ event: "delta", cell_id: cell.id, text, elapsed_ms: Date.now() - start });
            this.finishCell(state, cell, "ok", null, start);
          }, Math.ceil(text.length / chunkChars) * tickMs * (1 + cell.pane * 0.35)));
          return;
        }
        const chunks = Math.ceil(text.length / chunkChars);
        for (let i = 0; i < chunks; i++) {
          state.timers.push(setTimeout(() => {
            const piece = text.slice(i * chunkChars, (i + 1) * chunkChars);
            cell.output += piece;
            if (cell.timing.ttft_ms === null) cell.timing.ttft_ms = Date.now() - start;
            emit({ event: "delta", cell_id: cell.id, text: piece, elapsed_ms: Date.now() - start });
            if (i === chunks - 1) this.finishCell(state, cell, "ok", null, start);
          }, (i + 1) * tickMs * (1 + cell.pane * 0.35)));
        }
      }, delay));
    }
  }

  private finishCell(state: FakeRun, cell: Cell, status: Cell["status"], error: string | null, start: number): void {
    cell.status = status;
    cell.error = error;
    cell.finished_at = this.now();
    cell.timing.total_ms = Date.now() - start;
    const input = cell.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
    cell.usage = { input_tokens: status === "error" ? null : input, output_tokens: status === "error" ? null : Math.ceil(cell.output.length / 4) };
    // OpenAI-compatible servers often report no usage in a stream: the engine estimates it.
    cell.usage_estimated = status === "ok" && this.providers.find((p) => p.id === cell.target.provider)?.kind === "openai-compatible";
    cell.cost_usd = fakeCost(state.pricing[cell.pane] ?? null, cell);
    state.emit({ event: "cell_finished", cell: structuredClone(cell) });
    if (state.run.cells.every((c) => c.status !== "pending" && c.status !== "running")) this.finishRun(state, "done");
  }

  private finishRun(state: FakeRun, status: RunStatus): void {
    if (state.finished) return;
    state.finished = true;
    state.run.status = status;
    state.run.finished_at = this.now();
    this.active.delete(state.run.id);
    state.emit({ event: "finished", run_id: state.run.id, status });
  }

  async cancelRun(runId: number): Promise<null> {
    const state = this.active.get(runId);
    if (!state) return null;
    for (const t of state.timers) clearTimeout(t);
    for (const cell of state.run.cells) {
      if (cell.status === "running" || cell.status === "pending") {
        const status = cell.output ? "partial" : "cancelled";
        cell.status = status;
        cell.error = status === "partial" ? "Cancelled while streaming; the output is incomplete." : null;
        cell.finished_at = this.now();
        // No usage arrived before the cut: priced models' cost stays unknown.
        cell.cost_usd = fakeCost(state.pricing[cell.pane] ?? null, cell);
        state.emit({ event: "cell_finished", cell: structuredClone(cell) });
      }
    }
    this.finishRun(state, "cancelled");
    return null;
  }

  async listRuns(promptId: number): Promise<RunSummary[]> {
    await this.guard();
    return this.runs
      .filter((r) => r.prompt_id === promptId)
      .reverse()
      .map((r) => ({
        id: r.id, prompt_id: r.prompt_id, status: r.status, cell_count: r.cells.length,
        ok_count: r.cells.filter((c) => c.status === "ok").length,
        models: r.spec.panes.map((p) => p.target.model), created_at: r.created_at,
      }));
  }

  async getRun(runId: number): Promise<Run> {
    await this.guard();
    const run = this.runs.find((r) => r.id === runId);
    if (!run) throw reply("not_found", `No run with id ${runId}.`);
    return structuredClone(run);
  }
}

function fakeHash(text: string): string {
  // FNV-1a, repeated to 64 hex digits: only needs to look like a content hash.
  let out = "";
  for (let round = 0; out.length < 64; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    out += (h >>> 0).toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}
