// Generated from the Rust types by `cargo xtask codegen`. Do not edit.

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
max_retries: number | null, };

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

export type Label = { name: string, version_id: number, version_number: number, };

export type PaneSource = { "kind": "version", version_id: number, } | { "kind": "draft", prompt_id: number, template: string, };

export type Pane = { source: PaneSource, target: Target, };

export type TestCase = { vars: Record<string, unknown>, };

export type RunSpec = { 
/**
 * The prompt the run is filed under (its run history).
 */
prompt_id: number, panes: Array<Pane>, cases: Array<TestCase>, 
/**
 * Repetitions of each pane × case; at least 1.
 */
samples: number, 
/**
 * Answer from the response cache where an identical request succeeded before.
 * Never used when samples > 1 unless the temperature is 0: samples want variety.
 */
use_cache: boolean, };

export type CellStatus = "pending" | "running" | "ok" | "partial" | "error" | "cancelled";

export type Timing = { 
/**
 * Time to first token.
 */
ttft_ms: number | null, total_ms: number | null, };

export type Cell = { id: number, run_id: number, 
/**
 * Index into `RunSpec::panes`.
 */
pane: number, 
/**
 * Index into `RunSpec::cases`.
 */
case_index: number, sample: number, 
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

export type RunStatus = "running" | "done" | "cancelled";

export type RunSummary = { id: number, prompt_id: number, status: RunStatus, cell_count: number, ok_count: number, 
/**
 * "gemma3 · llama3.2" — the models of its panes, for the list.
 */
models: Array<string>, created_at: string, };

export type Run = { id: number, prompt_id: number, spec: RunSpec, status: RunStatus, cells: Array<Cell>, created_at: string, finished_at: string | null, };

export type RunEvent = { "event": "started", run: Run, } | { "event": "cell_started", cell_id: number, messages: Array<Message>, } | { "event": "delta", cell_id: number, text: string, 
/**
 * Milliseconds since the cell started at the first token, for live tokens/s.
 */
elapsed_ms: number, } | { "event": "cell_finished", cell: Cell, } | { "event": "progress", run_id: number, done: number, total: number, eta_ms: number | null, } | { "event": "finished", run_id: number, status: RunStatus, };

export type ErrorReply = { 
/**
 * Stable, machine-readable: `not_found`, `template`, `provider`, `library`, …
 */
code: string, 
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
 * `output_per_mtok`).
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
library_error: string | null, };

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
