// The provider form: its text fields, the config they make, and where a backend
// refusal goes. What each kind defaults to (names, URLs, limits, whether it needs a
// key) comes from the core (`provider_kinds`), never from a copy kept here; the
// backend stays the judge of what is valid.
import type { ErrorReply, KeySource, KeyStatus, KindInfo, Limits, ProviderConfig, ProviderKind } from "../ipc/bindings";

/** The key source a new provider of this kind starts with. */
export function defaultKeySource(info: KindInfo): KeySource["kind"] {
  return info.needs_key ? "keyring" : "none";
}

/** Engine defaults for limits left empty. */
export function limitDefaults(info: KindInfo): { concurrency: number; timeout_secs: number; max_retries: number } {
  return { concurrency: info.default_concurrency, timeout_secs: info.default_timeout_secs, max_retries: info.default_max_retries };
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

/** A new provider of the kind `info` describes, with an id not yet taken. */
export function newForm(info: KindInfo, takenIds: string[]): ProviderForm {
  let id = info.id;
  for (let n = 2; takenIds.includes(id); n++) id = `${info.id}-${n}`;
  return {
    id,
    name: id === info.id ? info.name : `${info.name} ${id.slice(info.id.length + 1)}`,
    kind: info.kind,
    base_url: "",
    key: defaultKeySource(info),
    env_var: info.env_var,
    api_version: "",
    region: "",
    concurrency: "",
    requests_per_minute: "",
    tokens_per_minute: "",
    timeout_secs: "",
    max_retries: "",
  };
}

export function formFromConfig(config: ProviderConfig, info: KindInfo): ProviderForm {
  const num = (n: number | null) => (n === null ? "" : String(n));
  return {
    id: config.id,
    name: config.name,
    kind: config.kind,
    base_url: config.base_url ?? "",
    key: config.key.kind,
    env_var: config.key.kind === "env" ? config.key.var : info.env_var,
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
export function configFromForm(form: ProviderForm, info: KindInfo): { config: ProviderConfig } | { errors: FormErrors } {
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
      base_url: info.base_url_default === null ? null : opt(form.base_url),
      key,
      api_version: info.api_version !== null ? opt(form.api_version) : null,
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
