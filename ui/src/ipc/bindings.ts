// Generated from the Rust types by `cargo xtask codegen`. Do not edit.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type Role = "system" | "user" | "assistant";

export type Message = { role: Role, content: string, };

export type TemplateErrorKind = "syntax" | "undefined_variable" | "limit" | "render";

export type TemplateError = { kind: TemplateErrorKind, 
/**
 * A sentence for people, e.g. "undefined variable `topic`".
 */
message: string, line: number | null, column: number | null, 
/**
 * The variable at fault, for `UndefinedVariable`.
 */
variable: string | null, };

export type TemplateAnalysis = { 
/**
 * Variables the template reads from its inputs, in order of first use.
 */
variables: Array<string>, 
/**
 * The syntax error, if the template does not parse.
 */
error: TemplateError | null, };

export type ProviderKind = "ollama" | "openai" | "openai-compatible" | "anthropic" | "gemini" | "azure-openai" | "bedrock" | "echo";

export type KeySource = { "kind": "none" } | { "kind": "keyring" } | { "kind": "env", var: string, };

export type Limits = { 
/**
 * Requests in flight at once.
 */
concurrency: number | null, requests_per_minute: number | null, tokens_per_minute: number | null, 
/**
 * Whole-request timeout, in seconds.
 */
timeout_secs: number | null, 
/**
 * Retries on 429, 5xx and connection errors.
 */
max_retries: number | null, 
/**
 * The most output one cell keeps, in bytes; an answer that goes on past it ends
 * the cell `partial` with "output limit reached".
 */
max_output_bytes?: number, 
/**
 * Seconds a streamed answer may go without sending anything (before its first
 * chunk too) before the request is given up; 0: no idle limit.
 */
idle_timeout_secs?: number, };

export type ProviderConfig = { 
/**
 * Stable slug used in targets and on the command line, e.g. `ollama`.
 */
id: string, 
/**
 * Display name.
 */
name: string, kind: ProviderKind, 
/**
 * `None` means the kind's default (for Ollama: `OLLAMA_HOST`, else localhost:11434).
 */
base_url: string | null, key: KeySource, 
/**
 * Azure's `api-version`, Anthropic's `anthropic-version`; `None`: the client's default.
 */
api_version: string | null, 
/**
 * AWS region, for Bedrock.
 */
region: string | null, limits: Limits, };

export type Params = { temperature: number | null, top_p: number | null, max_tokens: number | null, seed: number | null, stop: Array<string>, 
/**
 * `Some(false)` asks for the whole answer in one response instead of a stream
 * (for servers whose streaming is broken, or to time the plain request).
 * Left out of the serialised form when unset, so version hashes and cache keys
 * of streamed targets stay what they were.
 */
stream?: boolean, };

export type Target = { 
/**
 * A `ProviderConfig::id`.
 */
provider: string, model: string, params: Params, };

export type ModelInfo = { id: string, 
/**
 * Size on disk in bytes, where the provider tells it.
 */
size_bytes: number | null, 
/**
 * e.g. "8B", where the provider tells it.
 */
parameter_size: string | null, };

export type Price = { 
/**
 * A `ProviderConfig::id`.
 */
provider: string, model: string, input_per_mtok: number, output_per_mtok: number, };

export type Usage = { input_tokens: number | null, output_tokens: number | null, };

export type PromptSummary = { id: number, name: string, 
/**
 * Number of the newest version, `None` before the first save.
 */
latest_version: number | null, 
/**
 * RFC 3339, UTC.
 */
updated_at: string, };

export type Prompt = { id: number, name: string, 
/**
 * The editor's unsaved text; autosaved so that nothing typed is lost.
 */
draft: string, 
/**
 * The target the draft runs on by default.
 */
draft_target: Target | null, latest_version: number | null, created_at: string, updated_at: string, };

export type Version = { id: number, prompt_id: number, 
/**
 * v1, v2, … per prompt.
 */
number: number, template: string, default_target: Target | null, 
/**
 * Variables the template declares (discovered when saved).
 */
inputs: Array<string>, message: string, parent_id: number | null, 
/**
 * sha256 (hex) of the content: template, default target, inputs.
 */
content_hash: string, created_at: string, };

export type NewVersion = { template: string, default_target: Target | null, message: string, };

export type DraftStatus = { 
/**
 * The newest version's number, `None` before the first save.
 */
latest: number | null, 
/**
 * Saving now would make a new version.
 */
changed: boolean, 
/**
 * The template differs from the newest version's.
 */
template_changed: boolean, 
/**
 * The default target differs from the newest version's.
 */
target_changed: boolean, 
/**
 * A sentence for people when saving would be refused, e.g. "nothing changed
 * since v2", or "an empty template cannot be saved as a version …".
 */
refusal: string | null, };

export type Label = { name: string, version_id: number, version_number: number, };

export type TemplateSource = { "kind": "version", version_id: number, } | { "kind": "draft", prompt_id: number, template: string, };

export type Variant = { source: TemplateSource, target: Target, };

export type TestCase = { 
/**
 * Empty for the variables panel's one-off case until the core names it.
 */
id: string, description?: string, vars: Record<string, unknown>, 
/**
 * The reference answer that metrics (BLEU, ROUGE …) compare against.
 */
reference?: string, 
/**
 * Checks of this case only; the suite's default assertions apply as well.
 */
assertions: Array<Assertion>, 
/**
 * promptfoo's test `threshold`: when set, the case passes when the weighted mean
 * of its assertion scores reaches it; when absent, when every assertion passes.
 */
threshold?: number, };

export type AssertionKind = "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "icontains-any" | "icontains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "character-count" | "word-count" | "latency" | "ttft" | "input-tokens" | "output-tokens" | "total-tokens" | "cost" | "bleu" | "chrf" | "chrf++" | "rouge-1" | "rouge-2" | "rouge-l" | "rouge-lsum" | "meteor";

export type AssertionType = AssertionKind | `not-${AssertionKind}`;

export type Assertion = { 
/**
 * e.g. `contains`, `not-regex`, `is-json`, `latency`.
 */
type: AssertionType, value?: unknown, 
/**
 * For limits (latency, tokens, cost …): the most that passes, in the kind's unit.
 */
threshold?: number, 
/**
 * Weight in the case's score (a weighted mean); 1 when absent. An assertion of
 * weight 0 is informative only: it is scored and shown but always passes.
 */
weight?: number, };

export type Score = { cell_id: number, 
/**
 * Which scorer: stable within a suite (see the eval crate for the naming).
 */
scorer: string, 
/**
 * 0–1.
 */
value: number, pass: boolean, 
/**
 * Why, for people (what was expected and what was found).
 */
reason: string, };

export type Suite = { prompt_id: number, cases: Array<TestCase>, 
/**
 * Scored on every case, besides the case's own assertions.
 */
assertions: Array<Assertion>, 
/**
 * sha256 (hex) of the cases and assertions: a run records the suite it ran.
 */
hash: string, 
/**
 * RFC 3339, UTC; `None` for a prompt whose suite was never saved.
 */
updated_at: string | null, };

export type SuiteFormat = "csv" | "jsonl";

export type SuiteRun = { prompt_id: number, variants: Array<Variant>, 
/**
 * Only these cases, in the suite's order; all of them when absent.
 */
cases: Array<string> | null, 
/**
 * Repetitions of each variant × case; at least 1.
 */
samples: number, 
/**
 * As `RunSpec::use_cache`.
 */
use_cache: boolean | null, };

export type ValueShape = "none" | "text" | "texts" | "schema" | "count" | "references";

export type ThresholdShape = "none" | "limit" | "score";

export type AssertionKindInfo = { kind: AssertionKind, 
/**
 * "Text", "JSON", "Length", "Limits" or "Reference metrics".
 */
group: string, 
/**
 * When it passes, in a sentence, e.g. "The output contains the value".
 */
summary: string, value: ValueShape, 
/**
 * The value must be given.
 */
value_required: boolean, 
/**
 * A placeholder for the value field.
 */
value_hint: string, threshold: ThresholdShape, 
/**
 * e.g. "ms", "tokens", "US dollars"; empty for a score.
 */
threshold_unit: string, threshold_default: number | null, 
/**
 * The value may carry `{"stem": true}` (rouge-score's Porter stemmer).
 */
stem: boolean, 
/**
 * The reference tool whose numbers a metric equals, e.g. "sacreBLEU 2.x".
 */
matches: string | null, };

export type DiffLevel = "line" | "word" | "char";

export type DiffOptions = { level: DiffLevel, 
/**
 * Unchanged lines kept visible on each side of a change.
 */
context_lines: number, 
/**
 * An unchanged stretch is folded only when at least this many lines would be
 * hidden; shorter ones are shown whole.
 */
fold_min_lines: number, 
/**
 * Time budget in milliseconds; changed blocks met past it (or too large for it)
 * stay whole lines, and the result says so (`coarse`).
 */
deadline_ms: number, };

export type DiffSegment = { text: string, emphasized: boolean, };

export type DiffHunk = { "kind": "equal", old_line: number, new_line: number, text: string, } | { "kind": "fold", old_line: number, new_line: number, lines: number, chars: number, text: string, } | { "kind": "change", old_line: number, new_line: number, old: Array<DiffSegment>, new: Array<DiffSegment>, };

export type DiffStats = { deleted: number, inserted: number, unchanged: number, old_lines: number, new_lines: number, 
/**
 * 0–1: how alike the texts are at the level computed:
 * 2 × unchanged bytes / (old bytes + new bytes).
 */
similarity: number, };

export type TextDiff = { 
/**
 * The level asked for.
 */
requested: DiffLevel, 
/**
 * The level computed: `line` when no changed block could be refined at the
 * level asked for (see `coarse`).
 */
level: DiffLevel, 
/**
 * The result is coarser or less minimal than asked (see `coarse_reason`).
 */
coarse: boolean, 
/**
 * Why, for people, when `coarse`.
 */
coarse_reason: string | null, 
/**
 * The texts are the same (after line endings are normalised).
 */
identical: boolean, 
/**
 * One text uses CRLF (or CR) line endings where the other does not. Line
 * endings are normalised to `\n` before comparing, so this is the only trace
 * of that difference.
 */
line_endings_differ: boolean, stats: DiffStats, hunks: Array<DiffHunk>, };

export type RunSpec = { 
/**
 * The prompt the run is filed under (its run history).
 */
prompt_id: number, 
/**
 * Runs saved before schema 6 called them `panes`.
 */
variants: Array<Variant>, 
/**
 * The cases as they were when the run started (values and ids).
 */
cases: Array<TestCase>, 
/**
 * The suite's default assertions, scored on every case besides its own.
 */
assertions: Array<Assertion>, 
/**
 * The hash of the suite the cases came from; `None` for the variables panel.
 */
suite_hash: string | null, 
/**
 * Repetitions of each variant × case; at least 1.
 */
samples: number, 
/**
 * Whether an identical request that succeeded before is answered from the
 * response cache. `None` (the default): only where that cannot hide variation —
 * temperature 0 or a fixed seed. `true`: the run asks for cached answers of sampled
 * requests too (not for its extra samples, which want variety). `false`: every
 * request goes to the provider (fresh answers). Answers are kept in the cache
 * either way. Runs saved before this rule read `true`.
 */
use_cache: boolean | null, };

export type CellStatus = "pending" | "running" | "ok" | "partial" | "error" | "cancelled";

export type Timing = { 
/**
 * Time to first token.
 */
ttft_ms: number | null, total_ms: number | null, };

export type Cell = { id: number, run_id: number, 
/**
 * Index into `RunSpec::variants`.
 */
variant: number, 
/**
 * Index into `RunSpec::cases`.
 */
case_index: number, 
/**
 * The id of the test case answered (empty for runs saved before schema 6).
 */
case_id: string, sample: number, 
/**
 * The version run, `None` for a draft.
 */
version_id: number | null, version_number: number | null, target: Target, vars: Record<string, unknown>, 
/**
 * The rendered messages sent (empty when rendering failed).
 */
messages: Array<Message>, output: string, status: CellStatus, 
/**
 * Why the cell is `error` or `partial`, for people.
 */
error: string | null, timing: Timing, usage: Usage, 
/**
 * The token counts are estimates (the provider reported none).
 */
usage_estimated: boolean, 
/**
 * The answer came from the response cache, not from the provider.
 */
cached: boolean, 
/**
 * US dollars, from the usage and the price table when the cell ended: 0 for
 * local providers and cache hits, `None` when the model has no price.
 * An estimate when `usage_estimated` is.
 */
cost_usd: number | null, started_at: string | null, finished_at: string | null, };

export type CellPlan = { id: number, run_id: number, 
/**
 * Index into `RunSpec::variants`.
 */
variant: number, 
/**
 * Index into `RunSpec::cases`.
 */
case_index: number, 
/**
 * The id of the test case answered (empty for runs saved before schema 6).
 */
case_id: string, sample: number, 
/**
 * The version run, `None` for a draft.
 */
version_id: number | null, version_number: number | null, target: Target, vars: Record<string, unknown>, };

export type CellOutcome = { 
/**
 * The rendered messages sent (empty when rendering failed).
 */
messages: Array<Message>, output: string, status: CellStatus, 
/**
 * Why the cell is `error` or `partial`, for people.
 */
error: string | null, timing: Timing, usage: Usage, 
/**
 * The token counts are estimates (the provider reported none).
 */
usage_estimated: boolean, 
/**
 * The answer came from the response cache, not from the provider.
 */
cached: boolean, 
/**
 * US dollars, from the usage and the price table when the cell ended: 0 for
 * local providers and cache hits, `None` when the model has no price.
 * An estimate when `usage_estimated` is.
 */
cost_usd: number | null, started_at: string | null, finished_at: string | null, };

export type RunStatus = "running" | "done" | "cancelled" | "interrupted";

export type RunSummary = { id: number, prompt_id: number, status: RunStatus, cell_count: number, ok_count: number, 
/**
 * Test cases the run answered.
 */
case_count: number, 
/**
 * A run of the prompt's suite (not the variables panel's one case).
 */
from_suite: boolean, 
/**
 * "gemma3 · llama3.2" — the models of its variants, for the list.
 */
models: Array<string>, created_at: string, };

export type Run = { id: number, prompt_id: number, spec: RunSpec, status: RunStatus, cells: Array<Cell>, 
/**
 * Every score of the run's cells (by cell, then scorer).
 */
scores: Array<Score>, created_at: string, finished_at: string | null, };

export type RunEvent = { "event": "started", run: Run, } | { "event": "cell_started", cell_id: number, messages: Array<Message>, } | { "event": "delta", cell_id: number, text: string, 
/**
 * Milliseconds since the cell started at the first token, for live tokens/s.
 */
elapsed_ms: number, 
/**
 * The output so far in tokens, as the core estimates them (about four
 * characters a token) until the provider's count arrives with the cell.
 */
output_tokens?: number, } | { "event": "cell_finished", cell: Cell, } | { "event": "scored", cell_id: number, scores: Array<Score>, } | { "event": "cell_not_saved", cell_id: number, outcome: CellOutcome, reason: string, recovery_file: string | null, } | { "event": "progress", run_id: number, done: number, total: number, eta_ms: number | null, } | { "event": "finished", run_id: number, status: RunStatus, };

export type VariantStats = { 
/**
 * Index into `RunSpec::variants`.
 */
variant: number, cells: number, 
/**
 * Cells that reached a final state.
 */
done: number, ok: number, 
/**
 * `error` and `partial` cells.
 */
failed: number, 
/**
 * Cells with a case verdict, and how many of those passed.
 */
scored: number, passed: number, 
/**
 * `passed / scored`; `None` when nothing was scored.
 */
pass_rate: number | null, 
/**
 * The mean value of each scorer over the cells it scored, by scorer name.
 */
scorers: Array<ScorerStats>, 
/**
 * Total time of the answered cells (not cache hits), in milliseconds.
 */
latency_p50_ms: number | null, latency_p95_ms: number | null, input_tokens: number, output_tokens: number, 
/**
 * Known costs added up, in US dollars; `unpriced` cells had no price.
 */
cost_usd: number, unpriced: number, };

export type ScorerStats = { scorer: string, count: number, passed: number, mean: number, };

export type SetupSource = { "kind": "draft" } | { "kind": "version", version_id: number, };

export type SetupVariant = { source: SetupSource, target: Target, };

export type RunSetup = { vars: Record<string, unknown>, variants: Array<SetupVariant>, 
/**
 * False when nothing was saved for the prompt yet and these are the defaults.
 */
saved: boolean, };

export type ProblemKind = "no_variants" | "syntax" | "missing_variables" | "empty_variables" | "template" | "no_messages" | "no_user_message" | "no_model" | "unknown_provider" | "missing_key" | "provider_unreachable";

export type RunProblem = { kind: ProblemKind, 
/**
 * The run cannot start; when false, a warning the user may override ("run anyway").
 */
blocking: boolean, 
/**
 * A warning a person confirms before the run starts (empty values are usually a
 * slip): the window stops Run for it and offers "Run anyway". False for blocking
 * problems and for the warnings that are only said.
 */
confirm: boolean, 
/**
 * A sentence for people: what is wrong and what to do.
 */
message: string, 
/**
 * The variants (panes) it concerns, by index; empty when it is the whole run's.
 */
variants: Array<number>, 
/**
 * The test case it concerns, when the run has several.
 */
case_id: string | null, 
/**
 * The variables concerned (missing or empty ones), in the template's order.
 */
variables: Array<string>, 
/**
 * Where in the template, for template problems.
 */
template: TemplateError | null, 
/**
 * The whole template with the problem fixed (e.g. a `user:` line added).
 */
suggestion: string | null, };

export type RunCheck = { problems: Array<RunProblem>, 
/**
 * No problem is blocking: the run may start (after the warnings, if any).
 */
runnable: boolean, };

export type HttpHeader = { name: string, value: string, };

export type HttpRequest = { method: string, url: string, 
/**
 * The headers the client sets, in order (the HTTP library adds `host`,
 * `content-length` and `accept` when it sends).
 */
headers: Array<HttpHeader>, 
/**
 * The body as sent (JSON text).
 */
body: string, };

export type RequestCopy = { request: HttpRequest, 
/**
 * A `curl` command that sends it (POSIX shell quoting; the key from the
 * environment variable).
 */
curl: string, 
/**
 * `{"method", "url", "headers": {name: value}, "body": <the JSON body>}`, indented.
 */
json: string, 
/**
 * The environment variable the key placeholder names, if the provider takes a key.
 */
key_var: string | null, 
/**
 * What to know before sending it (where the key comes from, signing …).
 */
note: string | null, };

export type CellDetails = { 
/**
 * The cell with its plan (variables, target, version) and outcome (output,
 * timings, usage, cost).
 */
cell: Cell, prompt_id: number, prompt_name: string, 
/**
 * The template the cell was rendered from: its version's, or the draft as it was
 * when the run started.
 */
template: string, 
/**
 * The messages sent; for a cell that has not ended, rendered now from the
 * template and its values.
 */
messages: Array<Message>, run_status: RunStatus, run_created_at: string, 
/**
 * The provider's display name, `None` when it was removed since.
 */
provider_name: string | null, 
/**
 * The request the provider client sends for this cell, as it is configured now.
 */
request: RequestCopy | null, 
/**
 * Why there is no request to show (echo sends none, the provider was removed …).
 */
request_unavailable: string | null, };

export type ErrorCode = "not_found" | "name_taken" | "invalid" | "unchanged" | "library" | "template" | "provider" | "keyring" | "internal";

export type ErrorReply = { code: ErrorCode, 
/**
 * A sentence for people: what happened and what to do.
 */
message: string, 
/**
 * Present when `code` is `template`: where the error sits in the template.
 */
template: TemplateError | null, 
/**
 * Present when `code` is `invalid` and one input is at fault: its field name in
 * the request (`id`, `name`, `base_url`, `key`, `model`, `input_per_mtok`,
 * `output_per_mtok`), or a path into it for a suite (`cases.2.assertions.0`,
 * `assertions.1`, `cases.4.threshold`; indices from 0).
 */
field: string | null, };

export type AppStatus = { version: string, 
/**
 * Where the library lives.
 */
data_dir: string, 
/**
 * Set when the library could not be opened (newer schema, corrupt file …);
 * the window then shows this and nothing else.
 */
library_error: string | null, 
/**
 * How many hex digits of a version's content hash to show (the CLI shows as many).
 */
short_hash_len: number, 
/**
 * The most variants (panes) a prompt's run setup holds.
 */
max_panes: number, };

export type KeyStatus = "not_needed" | "set" | "not_set" | "unavailable";

export type ProviderEntry = { config: ProviderConfig, key: KeyStatus, };

export type ConnectionTest = { 
/**
 * How long the model list took to arrive.
 */
latency_ms: number, 
/**
 * How many models answered (0 where the provider has no list endpoint).
 */
model_count: number, };

export type KindInfo = { kind: ProviderKind, 
/**
 * e.g. "Amazon Bedrock".
 */
label: string, 
/**
 * Suggested id and display name for a new provider of this kind.
 */
id: string, name: string, 
/**
 * The base URL used when none is set, as a placeholder says it; `None` for a
 * kind that talks to no server (echo).
 */
base_url_default: string | null, 
/**
 * The kind has no default base URL: one must be given.
 */
base_url_required: boolean, 
/**
 * Default `api_version`; `None` when the field does not apply.
 */
api_version: string | null, 
/**
 * Default region; `None` when the field does not apply.
 */
region: string | null, 
/**
 * Whether the kind talks to a cloud API and so needs a key.
 */
needs_key: boolean, 
/**
 * The usual environment variable for the key ("" when none).
 */
env_var: string, 
/**
 * Runs on this machine: costs nothing, not retried by default.
 */
local: boolean, 
/**
 * Engine defaults for limits left empty.
 */
default_concurrency: number, default_timeout_secs: number, default_max_retries: number, };

export type ProviderState = "ready" | "no_models" | "unreachable" | "needs_key" | "failed" | "not_checked";

export type ProviderHealth = { id: string, name: string, kind: ProviderKind, state: ProviderState, 
/**
 * Its models, when it was asked and answered.
 */
models: Array<ModelInfo>, 
/**
 * A sentence for people: what was found, or what to do.
 */
message: string, };

export type ProviderStatus = { providers: Array<ProviderHealth>, 
/**
 * One or two sentences for the first screen.
 */
summary: string, 
/**
 * The first model of a local provider that answers, else echo.
 */
suggested: Target, };

export type OpenedPrompt = { prompt: Prompt, 
/**
 * Newest first.
 */
versions: Array<Version>, 
/**
 * The run history, newest first.
 */
runs: Array<RunSummary>, setup: RunSetup, 
/**
 * The newest run with its cells (the panes reopen with it), `null` before the first.
 */
last_run: Run | null, suite: Suite, 
/**
 * The draft's variables and syntax error.
 */
analysis: TemplateAnalysis, 
/**
 * The draft rendered with the setup's values; `null` when it has a syntax error
 * (`analysis.error`) or does not render (`preview_error`).
 */
preview: Array<Message> | null, preview_error: TemplateError | null, 
/**
 * How the saved draft (its template and target) stands against the newest version.
 */
draft_status: DraftStatus, };

export type WindowStart = { status: AppStatus, providers: Array<ProviderConfig>, 
/**
 * The target new panes use, `null` when none is set (or it could not be read).
 */
default_target: Target | null, provider_kinds: Array<KindInfo>, 
/**
 * Most recently changed first.
 */
prompts: Array<PromptSummary>, 
/**
 * The first of `prompts`, opened; `null` in an empty library.
 */
opened: OpenedPrompt | null, };

/** Sends one command; a streaming command's events go to `onEvent`. */
export type Invoke = <T>(command: string, args: Record<string, unknown>, onEvent?: (event: never) => void) => Promise<T>;

/** The window's commands, one method each (see crates/core/src/api.rs). */
export interface Backend {
  /**
   * The first screen in one reply: the status, providers, prompts and the first
   * prompt opened (as `open_prompt`). Answers, with `status.library_error`, when
   * the library could not be opened.
   */
  windowStart(): Promise<WindowStart>;
  /**
   * Everything the window shows of a prompt when it opens it: the prompt, its
   * versions, runs, run setup, last run and suite, and its draft analysed and
   * rendered with the saved values.
   */
  openPrompt(id: number): Promise<OpenedPrompt>;
  /** The library's prompts, most recently changed first; `search` filters by name. */
  listPrompts(search: string | null): Promise<Array<PromptSummary>>;
  /**
   * Adds the sample prompts whose names are free (a new library has them already);
   * the prompts added.
   */
  addSamples(): Promise<Array<PromptSummary>>;
  createPrompt(name: string): Promise<Prompt>;
  /** The template an empty prompt can start from ("Start from an example"). */
  starterTemplate(): Promise<string>;
  getPrompt(id: number): Promise<Prompt>;
  renamePrompt(id: number, name: string): Promise<Prompt>;
  duplicatePrompt(id: number): Promise<Prompt>;
  deletePrompt(id: number): Promise<null>;
  /**
   * Autosaves the editor's text and the target it runs on by default; replies with
   * the target kept (none while it is only the default of a prompt without its own).
   */
  saveDraft(id: number, draft: string, target: Target | null): Promise<Target | null>;
  analyzeTemplate(template: string): Promise<TemplateAnalysis>;
  renderTemplate(template: string, vars: { [key in string]?: JsonValue }): Promise<Array<Message>>;
  saveVersion(promptId: number, version: NewVersion): Promise<Version>;
  /** A prompt's versions, newest first. */
  listVersions(promptId: number): Promise<Array<Version>>;
  restoreVersion(versionId: number): Promise<Version>;
  /**
   * How the draft (its text and the target it runs on by default) stands against
   * the newest version, by `save_version`'s rule: what changed, and why saving would
   * be refused ("nothing changed since v2"), before a message is asked for.
   */
  draftStatus(promptId: number, template: string, defaultTarget: Target | null): Promise<DraftStatus>;
  listProviders(): Promise<Array<ProviderConfig>>;
  /** Providers with their key status, for the settings screen. */
  providerEntries(): Promise<Array<ProviderEntry>>;
  /** What the settings form knows about each kind of provider. */
  providerKinds(): Promise<Array<KindInfo>>;
  addProvider(config: ProviderConfig): Promise<ProviderEntry>;
  updateProvider(config: ProviderConfig): Promise<ProviderEntry>;
  deleteProvider(id: string): Promise<null>;
  listModels(providerId: string): Promise<Array<ModelInfo>>;
  testConnection(id: string): Promise<ConnectionTest>;
  /** Write-only: the key goes to the OS keyring and is never sent back. */
  setKey(providerId: string, secret: string): Promise<ProviderEntry>;
  deleteKey(providerId: string): Promise<ProviderEntry>;
  /**
   * Which local providers answer (with their models), how to start one that does
   * not, and the target a new pane should use; echo always answers. Asks local
   * providers only, within 2 s; what it learns also tells `check_run` which are
   * unreachable.
   */
  providerStatus(): Promise<ProviderStatus>;
  defaultTarget(): Promise<Target | null>;
  setDefaultTarget(target: Target | null): Promise<null>;
  /** The price table (US dollars per million tokens), by provider then model. */
  listPrices(): Promise<Array<Price>>;
  /** Adds a price, or replaces the one of the same provider and model. */
  setPrice(price: Price): Promise<null>;
  deletePrice(provider: string, model: string): Promise<null>;
  /**
   * Every reason the run would fail (blocking) and the warnings the user may
   * override, each with its kind, before anything is sent; call it as panes and
   * values change. Local providers not asked lately are asked first (within 2 s).
   */
  checkRun(spec: RunSpec): Promise<RunCheck>;
  /**
   * Starts a run; resolves with its id, and its events arrive in order. A run with a
   * blocking problem (see `check_run`) is refused and nothing is filed.
   */
  startRun(spec: RunSpec, onEvent: (event: RunEvent) => void): Promise<number>;
  /** Stops a live run; false when it is not live. */
  cancelRun(runId: number): Promise<boolean>;
  /** A prompt's run history, newest first. */
  listRuns(promptId: number, limit: number | null): Promise<Array<RunSummary>>;
  getRun(runId: number): Promise<Run>;
  /**
   * Everything that produced a cell, live or from history (values, template,
   * messages, parameters, timings, usage, cost), and "copy as request": the HTTP
   * request its provider client sends, as curl and as JSON, with `${VAR}` for the key.
   */
  cellDetails(cellId: number): Promise<CellDetails>;
  /**
   * A prompt's run setup: its variables' values (text or any JSON) and its variants
   * (the panes), as saved in the library, else the defaults (`saved` is false).
   */
  getRunSetup(promptId: number): Promise<RunSetup>;
  /**
   * Saves the values, the variants, or both (a part left `null` stays as it is);
   * `whet run` reads the same values. Replies with the setup as saved.
   */
  saveRunSetup(promptId: number, vars: { [key in string]?: JsonValue } | null, variants: Array<SetupVariant> | null): Promise<RunSetup>;
  /** The prompt's newest run with its cells (to reopen the panes), `null` before the first. */
  lastRun(promptId: number): Promise<Run | null>;
  /**
   * A variable value typed as JSON, or an `invalid` error (field `value`) naming the
   * line and column where it stops being JSON.
   */
  parseValue(text: string): Promise<JsonValue>;
  /** A prompt's suite: its test cases in order and its default assertions. */
  getSuite(promptId: number): Promise<Suite>;
  /**
   * Replaces a prompt's suite; cases without an id get one. A refusal names the
   * assertion at fault (`field` is its path, e.g. `cases.2.assertions.0`).
   */
  saveSuite(promptId: number, cases: Array<TestCase>, assertions: Array<Assertion>): Promise<Suite>;
  /**
   * Reads a CSV or JSONL suite file: cases with a known id replace theirs, others
   * are appended (`replace`: the file's cases become the suite). All or nothing.
   */
  importSuite(promptId: number, format: SuiteFormat, text: string, replace: boolean): Promise<Suite>;
  exportSuite(promptId: number, format: SuiteFormat): Promise<string>;
  /**
   * Writes the suite file to `path` (from a save dialog), whole or not at all;
   * the number of bytes written.
   */
  exportSuiteFile(promptId: number, format: SuiteFormat, path: string): Promise<number>;
  /**
   * Each assertion kind's words and the shape of its value and threshold, for the
   * assertion editor.
   */
  assertionKinds(): Promise<Array<AssertionKindInfo>>;
  /** Runs the suite over variants; resolves with the run's id, events follow. */
  runSuite(request: SuiteRun, onEvent: (event: RunEvent) => void): Promise<number>;
  /** Runs cells of a finished run again in place (e.g. the failed ones). */
  rerunCells(runId: number, cells: Array<number>, onEvent: (event: RunEvent) => void): Promise<number>;
  /** Scores a finished run again with the suite as it is now; no provider is called. */
  rescoreRun(runId: number): Promise<Array<Score>>;
  /** Each column of a run in numbers. */
  runStats(runId: number): Promise<Array<VariantStats>>;
  /** Two texts compared as typed hunks. */
  diffTexts(before: string, after: string, options: DiffOptions): Promise<TextDiff>;
  /** Two versions' templates compared. */
  diffVersions(before: number, after: number, options: DiffOptions): Promise<TextDiff>;
}

/** A `Backend` whose every method calls `invoke`. */
export function backendOver(invoke: Invoke): Backend {
  return {
    windowStart: () => invoke<WindowStart>("window_start", {}),
    openPrompt: (id) => invoke<OpenedPrompt>("open_prompt", { id }),
    listPrompts: (search) => invoke<Array<PromptSummary>>("list_prompts", { search }),
    addSamples: () => invoke<Array<PromptSummary>>("add_samples", {}),
    createPrompt: (name) => invoke<Prompt>("create_prompt", { name }),
    starterTemplate: () => invoke<string>("starter_template", {}),
    getPrompt: (id) => invoke<Prompt>("get_prompt", { id }),
    renamePrompt: (id, name) => invoke<Prompt>("rename_prompt", { id, name }),
    duplicatePrompt: (id) => invoke<Prompt>("duplicate_prompt", { id }),
    deletePrompt: (id) => invoke<null>("delete_prompt", { id }),
    saveDraft: (id, draft, target) => invoke<Target | null>("save_draft", { id, draft, target }),
    analyzeTemplate: (template) => invoke<TemplateAnalysis>("analyze_template", { template }),
    renderTemplate: (template, vars) => invoke<Array<Message>>("render_template", { template, vars }),
    saveVersion: (promptId, version) => invoke<Version>("save_version", { prompt_id: promptId, version }),
    listVersions: (promptId) => invoke<Array<Version>>("list_versions", { prompt_id: promptId }),
    restoreVersion: (versionId) => invoke<Version>("restore_version", { version_id: versionId }),
    draftStatus: (promptId, template, defaultTarget) => invoke<DraftStatus>("draft_status", { prompt_id: promptId, template, default_target: defaultTarget }),
    listProviders: () => invoke<Array<ProviderConfig>>("list_providers", {}),
    providerEntries: () => invoke<Array<ProviderEntry>>("provider_entries", {}),
    providerKinds: () => invoke<Array<KindInfo>>("provider_kinds", {}),
    addProvider: (config) => invoke<ProviderEntry>("add_provider", { config }),
    updateProvider: (config) => invoke<ProviderEntry>("update_provider", { config }),
    deleteProvider: (id) => invoke<null>("delete_provider", { id }),
    listModels: (providerId) => invoke<Array<ModelInfo>>("list_models", { provider_id: providerId }),
    testConnection: (id) => invoke<ConnectionTest>("test_connection", { id }),
    setKey: (providerId, secret) => invoke<ProviderEntry>("set_key", { provider_id: providerId, secret }),
    deleteKey: (providerId) => invoke<ProviderEntry>("delete_key", { provider_id: providerId }),
    providerStatus: () => invoke<ProviderStatus>("provider_status", {}),
    defaultTarget: () => invoke<Target | null>("default_target", {}),
    setDefaultTarget: (target) => invoke<null>("set_default_target", { target }),
    listPrices: () => invoke<Array<Price>>("list_prices", {}),
    setPrice: (price) => invoke<null>("set_price", { price }),
    deletePrice: (provider, model) => invoke<null>("delete_price", { provider, model }),
    checkRun: (spec) => invoke<RunCheck>("check_run", { spec }),
    startRun: (spec, onEvent) => invoke<number>("start_run", { spec }, onEvent),
    cancelRun: (runId) => invoke<boolean>("cancel_run", { run_id: runId }),
    listRuns: (promptId, limit) => invoke<Array<RunSummary>>("list_runs", { prompt_id: promptId, limit }),
    getRun: (runId) => invoke<Run>("get_run", { run_id: runId }),
    cellDetails: (cellId) => invoke<CellDetails>("cell_details", { cell_id: cellId }),
    getRunSetup: (promptId) => invoke<RunSetup>("get_run_setup", { prompt_id: promptId }),
    saveRunSetup: (promptId, vars, variants) => invoke<RunSetup>("save_run_setup", { prompt_id: promptId, vars, variants }),
    lastRun: (promptId) => invoke<Run | null>("last_run", { prompt_id: promptId }),
    parseValue: (text) => invoke<JsonValue>("parse_value", { text }),
    getSuite: (promptId) => invoke<Suite>("get_suite", { prompt_id: promptId }),
    saveSuite: (promptId, cases, assertions) => invoke<Suite>("save_suite", { prompt_id: promptId, cases, assertions }),
    importSuite: (promptId, format, text, replace) => invoke<Suite>("import_suite", { prompt_id: promptId, format, text, replace }),
    exportSuite: (promptId, format) => invoke<string>("export_suite", { prompt_id: promptId, format }),
    exportSuiteFile: (promptId, format, path) => invoke<number>("export_suite_file", { prompt_id: promptId, format, path }),
    assertionKinds: () => invoke<Array<AssertionKindInfo>>("assertion_kinds", {}),
    runSuite: (request, onEvent) => invoke<number>("run_suite", { request }, onEvent),
    rerunCells: (runId, cells, onEvent) => invoke<number>("rerun_cells", { run_id: runId, cells }, onEvent),
    rescoreRun: (runId) => invoke<Array<Score>>("rescore_run", { run_id: runId }),
    runStats: (runId) => invoke<Array<VariantStats>>("run_stats", { run_id: runId }),
    diffTexts: (before, after, options) => invoke<TextDiff>("diff_texts", { before, after, options }),
    diffVersions: (before, after, options) => invoke<TextDiff>("diff_versions", { before, after, options }),
  };
}
