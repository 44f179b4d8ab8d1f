// The UI's view of the Rust backend: one method per Tauri command. Components talk
// to this interface only, so the same UI runs on the real app (tauri.ts) and on the
// in-memory fake used by tests and the browser preview (fake.ts).
import type {
  AppStatus,
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
  Run,
  RunEvent,
  RunSpec,
  RunSummary,
  Target,
  TemplateAnalysis,
  Version,
} from "../ipc/bindings";

export interface Backend {
  appStatus(): Promise<AppStatus>;
  listPrompts(search: string | null): Promise<PromptSummary[]>;
  createPrompt(name: string): Promise<Prompt>;
  getPrompt(id: number): Promise<Prompt>;
  renamePrompt(id: number, name: string): Promise<Prompt>;
  duplicatePrompt(id: number): Promise<Prompt>;
  deletePrompt(id: number): Promise<null>;
  saveDraft(id: number, draft: string, target: Target | null): Promise<null>;
  analyzeTemplate(template: string): Promise<TemplateAnalysis>;
  renderTemplate(template: string, vars: Record<string, unknown>): Promise<Message[]>;
  saveVersion(promptId: number, version: NewVersion): Promise<Version>;
  listVersions(promptId: number): Promise<Version[]>;
  restoreVersion(versionId: number): Promise<Version>;
  listProviders(): Promise<ProviderConfig[]>;
  listModels(providerId: string): Promise<ModelInfo[]>;
  /** Providers with their key status, for the settings screen. */
  providerEntries(): Promise<ProviderEntry[]>;
  addProvider(config: ProviderConfig): Promise<ProviderEntry>;
  updateProvider(config: ProviderConfig): Promise<ProviderEntry>;
  deleteProvider(id: string): Promise<null>;
  testConnection(id: string): Promise<ConnectionTest>;
  /** Write-only: the secret goes to the OS keyring and is never read back. */
  setKey(providerId: string, secret: string): Promise<ProviderEntry>;
  deleteKey(providerId: string): Promise<ProviderEntry>;
  defaultTarget(): Promise<Target | null>;
  setDefaultTarget(target: Target | null): Promise<null>;
  /** The price table (US dollars per million tokens), by provider then model. */
  listPrices(): Promise<Price[]>;
  /** Adds a price, or replaces the one of the same provider and model. */
  setPrice(price: Price): Promise<null>;
  deletePrice(provider: string, model: string): Promise<null>;
  /** Resolves with the run id; `onEvent` receives the run's events in order. */
  startRun(spec: RunSpec, onEvent: (event: RunEvent) => void): Promise<number>;
  cancelRun(runId: number): Promise<null>;
  listRuns(promptId: number): Promise<RunSummary[]>;
  getRun(runId: number): Promise<Run>;
}

function isErrorReply(value: unknown): value is ErrorReply {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && typeof v.message === "string";
}

/**
 * Every rejection seen by the UI as an ErrorReply: the backend's own replies pass
 * through, anything else (a JS exception, an IPC failure string) becomes `internal`.
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (isErrorReply(error)) {
    return { code: error.code, message: error.message, template: error.template ?? null, field: error.field ?? null };
  }
  const internal = (message: string): ErrorReply => ({ code: "internal", message, template: null, field: null });
  if (error instanceof Error) return internal(error.message);
  if (typeof error === "string") return internal(error);
  return internal("Unexpected error");
}
