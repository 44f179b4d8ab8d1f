// What the settings form knows about each provider kind: suggested id and name, the
// defaults the engine uses when a field is left empty (shown as placeholders), and
// which fields apply. Mirrors the Rust side (providers' DEFAULT_* constants,
// core::limits, core::keys::check_provider); the backend stays the judge.
import type { ErrorReply, KeySource, KeyStatus, Limits, ProviderConfig, ProviderKind } from "../ipc/bindings";

export interface KindInfo {
  kind: ProviderKind;
  label: string;
  /** Suggested id and display name for a new provider of this kind. */
  id: string;
  name: string;
  /** The base URL used when none is set, as shown in the placeholder. */
  baseUrlDefault: string;
  /** No default: the form asks for one (the backend refuses it empty). */
  baseUrlRequired: boolean;
  /** Default `api_version`; `null` when the field does not apply. */
  apiVersion: string | null;
  /** Default region; `null` when the field does not apply. */
  region: string | null;
  /** Key source a new provider of this kind starts with. */
  key: KeySource["kind"];
  /** The usual environment variable for the key. */
  envVar: string;
  /** Local servers: no retries by default (a refused connection means "not started"). */
  local: boolean;
}

export const KINDS: KindInfo[] = [
  { kind: "ollama", label: "Ollama", id: "ollama", name: "Ollama", baseUrlDefault: "OLLAMA_HOST, else http://127.0.0.1:11434", baseUrlRequired: false, apiVersion: null, region: null, key: "none", envVar: "", local: true },
  { kind: "openai", label: "OpenAI", id: "openai", name: "OpenAI", baseUrlDefault: "https://api.openai.com/v1", baseUrlRequired: false, apiVersion: null, region: null, key: "keyring", envVar: "OPENAI_API_KEY", local: false },
  { kind: "openai-compatible", label: "OpenAI-compatible server", id: "local-server", name: "Local server", baseUrlDefault: "http://127.0.0.1:8080/v1", baseUrlRequired: true, apiVersion: null, region: null, key: "none", envVar: "", local: false },
  { kind: "anthropic", label: "Anthropic", id: "anthropic", name: "Anthropic", baseUrlDefault: "https://api.anthropic.com", baseUrlRequired: false, apiVersion: "2023-06-01", region: null, key: "keyring", envVar: "ANTHROPIC_API_KEY", local: false },
  { kind: "gemini", label: "Google Gemini", id: "gemini", name: "Gemini", baseUrlDefault: "https://generativelanguage.googleapis.com", baseUrlRequired: false, apiVersion: null, region: null, key: "keyring", envVar: "GEMINI_API_KEY", local: false },
  { kind: "azure-openai", label: "Azure OpenAI", id: "azure", name: "Azure OpenAI", baseUrlDefault: "https://RESOURCE.openai.azure.com", baseUrlRequired: true, apiVersion: "2024-10-21", region: null, key: "keyring", envVar: "AZURE_OPENAI_API_KEY", local: false },
  { kind: "bedrock", label: "Amazon Bedrock", id: "bedrock", name: "Bedrock", baseUrlDefault: "https://bedrock-runtime.REGION.amazonaws.com", baseUrlRequired: false, apiVersion: null, region: "us-east-1", key: "keyring", envVar: "AWS_BEARER_TOKEN_BEDROCK", local: false },
  { kind: "echo", label: "Echo (test)", id: "echo", name: "Echo", baseUrlDefault: "no server", baseUrlRequired: false, apiVersion: null, region: null, key: "none", envVar: "", local: true },
];

export function kindInfo(kind: ProviderKind): KindInfo {
  return KINDS.find((k) => k.kind === kind) ?? KINDS[0];
}

/** Engine defaults for limits left empty (core::limits). */
export function limitDefaults(kind: ProviderKind): { concurrency: number; timeout_secs: number; max_retries: number } {
  return { concurrency: 4, timeout_secs: 600, max_retries: kindInfo(kind).local ? 0 : 3 };
}

export const KEY_STATUS_LABEL: Record<KeyStatus, string> = {
  set: "Set",
  not_set: "Not set",
  not_needed: "Not needed",
  unavailable: "Keyring unavailable",
};

/** The form's fields as text, so empty means "the default". */
export interface ProviderForm {
  id: string;
  name: string;
  kind: ProviderKind;
  base_url: string;
  key: KeySource["kind"];
  env_var: string;
  api_version: string;
  region: string;
  concurrency: string;
  requests_per_minute: string;
  tokens_per_minute: string;
  timeout_secs: string;
  max_retries: string;
}

export type FormField = keyof ProviderForm;
export type FormErrors = Partial<Record<FormField | "form", string>>;

const LIMIT_FIELDS = ["concurrency", "requests_per_minute", "tokens_per_minute", "timeout_secs", "max_retries"] as const;

/** A new provider of `kind`, with an id not yet taken. */
export function newForm(kind: ProviderKind, takenIds: string[]): ProviderForm {
  const info = kindInfo(kind);
  let id = info.id;
  for (let n = 2; takenIds.includes(id); n++) id = `${info.id}-${n}`;
  return {
    id,
    name: id === info.id ? info.name : `${info.name} ${id.slice(info.id.length + 1)}`,
    kind,
    base_url: "",
    key: info.key,
    env_var: info.envVar,
    api_version: "",
    region: "",
    concurrency: "",
    requests_per_minute: "",
    tokens_per_minute: "",
    timeout_secs: "",
    max_retries: "",
  };
}

export function formFromConfig(config: ProviderConfig): ProviderForm {
  const num = (n: number | null) => (n === null ? "" : String(n));
  return {
    id: config.id,
    name: config.name,
    kind: config.kind,
    base_url: config.base_url ?? "",
    key: config.key.kind,
    env_var: config.key.kind === "env" ? config.key.var : kindInfo(config.kind).envVar,
    api_version: config.api_version ?? "",
    region: config.region ?? "",
    concurrency: num(config.limits.concurrency),
    requests_per_minute: num(config.limits.requests_per_minute),
    tokens_per_minute: num(config.limits.tokens_per_minute),
    timeout_secs: num(config.limits.timeout_secs),
    max_retries: num(config.limits.max_retries),
  };
}

/**
 * The config to send, or field errors the backend could not phrase better (numbers
 * that are not whole numbers). Fields that do not apply to the kind are dropped.
 */
export function configFromForm(form: ProviderForm): { config: ProviderConfig } | { errors: FormErrors } {
  const info = kindInfo(form.kind);
  const errors: FormErrors = {};
  const limits = {} as Limits;
  for (const field of LIMIT_FIELDS) {
    const text = form[field].trim();
    if (!text) {
      limits[field] = null;
    } else if (/^\d+$/.test(text) && Number(text) <= 4_294_967_295) {
      limits[field] = Number(text);
    } else {
      errors[field] = "A whole number, or empty for the default";
      limits[field] = null;
    }
  }
  if (Object.keys(errors).length) return { errors };
  const opt = (s: string) => s.trim() || null;
  const key: KeySource = form.key === "env" ? { kind: "env", var: form.env_var.trim() } : { kind: form.key };
  return {
    config: {
      id: form.id.trim(),
      name: form.name.trim(),
      kind: form.kind,
      base_url: form.kind === "echo" ? null : opt(form.base_url),
      key,
      api_version: info.apiVersion !== null ? opt(form.api_version) : null,
      region: info.region !== null ? opt(form.region) : null,
      limits,
    },
  };
}

/** Form fields by the request field a backend refusal names (ErrorReply.field). */
const FORM_FIELD: Record<string, FormField> = {
  id: "id",
  name: "name",
  base_url: "base_url",
  key: "env_var",
  region: "region",
  api_version: "api_version",
};

/** Puts a backend refusal at the field it names; anything else is shown for the whole form. */
export function fieldForError(err: ErrorReply): FormField | "form" {
  return (err.code === "invalid" && err.field && FORM_FIELD[err.field]) || "form";
}
