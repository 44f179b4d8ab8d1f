import { beforeAll, describe, expect, it } from "vitest";
import { configFromForm, fieldForError, formFromConfig, limitDefaults, newForm } from "./kinds";
import { kindInfo } from "../providers/state.svelte";
import type { KindInfo, ProviderConfig, ProviderKind } from "../ipc/bindings";
import { freshBackend } from "../test/bridge";

// What each kind defaults to comes from the core, as in the window.
let kinds: KindInfo[] = [];
beforeAll(async () => {
  kinds = await (await freshBackend()).providerKinds();
});
const kind = (k: ProviderKind) => kindInfo(kinds, k);

describe("provider form", () => {
  it("suggests an id per kind that is not taken yet", () => {
    expect(newForm(kind("anthropic"), []).id).toBe("anthropic");
    expect(newForm(kind("anthropic"), []).key).toBe("keyring");
    expect(newForm(kind("ollama"), []).key).toBe("none");
    const second = newForm(kind("ollama"), ["ollama", "ollama-2"]);
    expect(second.id).toBe("ollama-3");
    expect(second.name).toBe("Ollama 3");
  });

  it("sends empty fields as the defaults and drops fields the kind does not use", () => {
    const form = { ...newForm(kind("openai"), []), api_version: "2099-01-01", region: "eu-west-3", timeout_secs: " 30 " };
    const built = configFromForm(form, kind("openai"));
    if (!("config" in built)) throw new Error("expected a config");
    expect(built.config).toMatchObject({ id: "openai", base_url: null, api_version: null, region: null, key: { kind: "keyring" } });
    expect(built.config.limits).toEqual({ concurrency: null, requests_per_minute: null, tokens_per_minute: null, timeout_secs: 30, max_retries: null });
    const azure = configFromForm({ ...newForm(kind("azure-openai"), []), api_version: "2024-06-01", base_url: "https://r.openai.azure.com" }, kind("azure-openai"));
    expect("config" in azure && azure.config.api_version).toBe("2024-06-01");
    const bedrock = configFromForm({ ...newForm(kind("bedrock"), []), region: "eu-west-3" }, kind("bedrock"));
    expect("config" in bedrock && bedrock.config.region).toBe("eu-west-3");
  });

  it("refuses limits that are not whole numbers, per field", () => {
    const built = configFromForm({ ...newForm(kind("openai"), []), concurrency: "two", max_retries: "-1", requests_per_minute: "60" }, kind("openai"));
    expect("errors" in built && Object.keys(built.errors).sort()).toEqual(["concurrency", "max_retries"]);
  });

  it("round-trips a saved config through the form", () => {
    const config: ProviderConfig = {
      id: "groq", name: "Groq", kind: "openai-compatible", base_url: "https://api.groq.com/openai/v1",
      key: { kind: "env", var: "GROQ_API_KEY" }, api_version: null, region: null,
      limits: { concurrency: 2, requests_per_minute: 30, tokens_per_minute: null, timeout_secs: null, max_retries: 1 },
    };
    expect(configFromForm(formFromConfig(config, kind(config.kind)), kind(config.kind))).toEqual({ config });
  });

  it("shows engine defaults: no retries for local servers", () => {
    expect(limitDefaults(kind("ollama"))).toEqual({ concurrency: 4, timeout_secs: 600, max_retries: 0 });
    expect(limitDefaults(kind("anthropic")).max_retries).toBe(3);
    expect(kind("echo").base_url_default).toBeNull();
  });

  it("puts backend refusals at the field they name", () => {
    const invalid = (field: string | null) => ({ code: "invalid" as const, message: "m", template: null, field });
    expect(fieldForError(invalid("id"))).toBe("id");
    expect(fieldForError(invalid("base_url"))).toBe("base_url");
    expect(fieldForError(invalid("key"))).toBe("env_var");
    expect(fieldForError(invalid("name"))).toBe("name");
    expect(fieldForError(invalid(null))).toBe("form");
    expect(fieldForError(invalid("something_else"))).toBe("form");
    expect(fieldForError({ code: "library", message: "locked", template: null, field: "id" })).toBe("form");
  });
});
