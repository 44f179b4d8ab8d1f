// The real backend: Tauri commands over IPC. The only file that imports @tauri-apps.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Backend } from "./backend";
import type {
  AppStatus,
  ConnectionTest,
  Message,
  ModelInfo,
  NewVersion,
  Price,
  Prompt,
  PromptSummary,
  ProviderConfig,
  ProviderEntry,
  Run,
  RunEvent,
  RunSpec,
  RunSummary,
  Target,
  TemplateAnalysis,
  Version,
} from "../ipc/bindings";

export class TauriBackend implements Backend {
  appStatus(): Promise<AppStatus> {
    return invoke("app_status");
  }
  listPrompts(search: string | null): Promise<PromptSummary[]> {
    return invoke("list_prompts", { search });
  }
  createPrompt(name: string): Promise<Prompt> {
    return invoke("create_prompt", { name });
  }
  getPrompt(id: number): Promise<Prompt> {
    return invoke("get_prompt", { id });
  }
  renamePrompt(id: number, name: string): Promise<Prompt> {
    return invoke("rename_prompt", { id, name });
  }
  duplicatePrompt(id: number): Promise<Prompt> {
    return invoke("duplicate_prompt", { id });
  }
  deletePrompt(id: number): Promise<null> {
    return invoke("delete_prompt", { id });
  }
  saveDraft(id: number, draft: string, target: Target | null): Promise<null> {
    return invoke("save_draft", { id, draft, target });
  }
  analyzeTemplate(template: string): Promise<TemplateAnalysis> {
    return invoke("analyze_template", { template });
  }
  renderTemplate(template: string, vars: Record<string, unknown>): Promise<Message[]> {
    return invoke("render_template", { template, vars });
  }
  saveVersion(promptId: number, version: NewVersion): Promise<Version> {
    return invoke("save_version", { promptId, version });
  }
  listVersions(promptId: number): Promise<Version[]> {
    return invoke("list_versions", { promptId });
  }
  restoreVersion(versionId: number): Promise<Version> {
    return invoke("restore_version", { versionId });
  }
  listProviders(): Promise<ProviderConfig[]> {
    return invoke("list_providers");
  }
  listModels(providerId: string): Promise<ModelInfo[]> {
    return invoke("list_models", { providerId });
  }
  providerEntries(): Promise<ProviderEntry[]> {
    return invoke("provider_entries");
  }
  addProvider(config: ProviderConfig): Promise<ProviderEntry> {
    return invoke("add_provider", { config });
  }
  updateProvider(config: ProviderConfig): Promise<ProviderEntry> {
    return invoke("update_provider", { config });
  }
  deleteProvider(id: string): Promise<null> {
    return invoke("delete_provider", { id });
  }
  testConnection(id: string): Promise<ConnectionTest> {
    return invoke("test_connection", { id });
  }
  setKey(providerId: string, secret: string): Promise<ProviderEntry> {
    return invoke("set_key", { providerId, secret });
  }
  deleteKey(providerId: string): Promise<ProviderEntry> {
    return invoke("delete_key", { providerId });
  }
  defaultTarget(): Promise<Target | null> {
    return invoke("default_target");
  }
  setDefaultTarget(target: Target | null): Promise<null> {
    return invoke("set_default_target", { target });
  }
  listPrices(): Promise<Price[]> {
    return invoke("list_prices");
  }
  setPrice(price: Price): Promise<null> {
    return invoke("set_price", { price });
  }
  deletePrice(provider: string, model: string): Promise<null> {
    return invoke("delete_price", { provider, model });
  }
  startRun(spec: RunSpec, onEvent: (event: RunEvent) => void): Promise<number> {
    const events = new Channel<RunEvent>();
    events.onmessage = onEvent;
    return invoke("start_run", { spec, events });
  }
  cancelRun(runId: number): Promise<null> {
    return invoke("cancel_run", { runId });
  }
  listRuns(promptId: number): Promise<RunSummary[]> {
    return invoke("list_runs", { promptId });
  }
  getRun(runId: number): Promise<Run> {
    return invoke("get_run", { runId });
  }
}
