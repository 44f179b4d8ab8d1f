// The providers the window knows, shared by the run panes and the settings screen:
// their configs, what the core says about each kind, the models each one lists, the
// library's default target, and the providers' status (which local ones answer, with
// which models, or how to start them; echo always answers), asked once at start-up
// and on demand. The settings screen edits them; the panes pick from them.
import type { Backend } from "../platform/backend";
import { toErrorReply } from "../platform/backend";
import type { KindInfo, ModelInfo, Params, ProviderConfig, ProviderHealth, ProviderKind, ProviderStatus, Target, WindowStart } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";

export interface ModelList {
  loading: boolean;
  models: ModelInfo[];
  error: string | null;
}

/** The kind's entry; every kind has one (the core lists them all). */
export function kindInfo(kinds: KindInfo[], kind: ProviderKind): KindInfo {
  const info = kinds.find((k) => k.kind === kind);
  if (!info) throw new Error(`unknown provider kind ${kind}`);
  return info;
}

/** Parameters that leave everything to the provider. */
export function defaultParams(): Params {
  return { temperature: null, top_p: null, max_tokens: null, seed: null, stop: [] };
}

export class ProvidersState {
  /** As list_providers returns them: what the panes' provider pickers offer. */
  list = $state<ProviderConfig[]>([]);
  /** What the core says about each provider kind (defaults, whether it needs a key). */
  kinds = $state<KindInfo[]>([]);
  models = $state<Record<string, ModelList>>({});
  /** The library's default target (Settings). */
  defaultTarget = $state<Target | null>(null);
  /** The providers' status: null until it has been asked (at start-up, in the background). */
  status = $state.raw<ProviderStatus | null>(null);
  checking = $state(false);
  /** The first screen's note about the providers was put away. */
  noteDismissed = $state(false);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly modelListeners: (() => void)[] = [];
  private readonly statusListeners: (() => void)[] = [];

  constructor(backend: Backend, notices: Notify) {
    this.backend = backend;
    this.notices = notices;
  }

  /**
   * At start-up: the providers, their kinds and the default target (from the core's
   * `window_start`). The status (which asks local providers, within 2 s) follows in
   * the background: `checkStatus`.
   */
  started(start: Pick<WindowStart, "providers" | "provider_kinds" | "default_target">): void {
    this.list = start.providers;
    this.kinds = start.provider_kinds;
    this.defaultTarget = start.default_target;
  }

  /** Asks the core which providers answer; their models fill the panes' model lists. */
  async checkStatus(): Promise<void> {
    this.checking = true;
    try {
      const status = await this.backend.providerStatus();
      this.status = status;
      const models = { ...this.models };
      for (const p of status.providers) {
        if (p.state === "ready" || p.state === "no_models") models[p.id] = { loading: false, models: p.models, error: null };
        else if (p.state === "unreachable" || p.state === "failed") models[p.id] = { loading: false, models: [], error: p.message };
      }
      this.models = models;
      for (const listener of this.modelListeners) listener();
      for (const listener of this.statusListeners) listener();
    } catch (e) {
      this.notices.error(e);
    } finally {
      this.checking = false;
    }
  }

  /** The target new prompts' panes start on: a local model that answers, else echo (the core's choice). */
  get suggested(): Target | null {
    return this.status?.suggested ?? null;
  }

  /** The provider's entry in the status, once it has been asked. */
  health(id: string): ProviderHealth | null {
    return this.status?.providers.find((p) => p.id === id) ?? null;
  }

  /** True when no provider but echo answers: the first screen says what to do. */
  get onlyEcho(): boolean {
    const status = this.status;
    return !!status && !status.providers.some((p) => p.kind !== "echo" && p.state === "ready");
  }

  /** Reads list_providers again, after the settings screen changed a provider. */
  async refresh(): Promise<void> {
    try {
      this.list = await this.backend.listProviders();
    } catch (e) {
      this.notices.error(e);
    }
  }

  /** Lists a provider's models unless they are known (or on their way). */
  ensureModels(providerId: string): void {
    const known = this.models[providerId];
    if (known && (known.loading || known.models.length > 0)) return;
    void this.loadModels(providerId);
  }

  /** Asks a provider for its models (again). */
  async loadModels(providerId: string): Promise<void> {
    const known = this.models[providerId];
    this.models = { ...this.models, [providerId]: { loading: true, models: known?.models ?? [], error: null } };
    try {
      const models = await this.backend.listModels(providerId);
      this.models = { ...this.models, [providerId]: { loading: false, models, error: null } };
      for (const listener of this.modelListeners) listener();
    } catch (e) {
      this.models = { ...this.models, [providerId]: { loading: false, models: [], error: toErrorReply(e).message } };
    }
  }

  /** Calls `listener` each time models arrive. */
  onModelsLoaded(listener: () => void): void {
    this.modelListeners.push(listener);
  }

  /** Calls `listener` each time the status was asked (what a run check knows changed). */
  onStatus(listener: () => void): void {
    this.statusListeners.push(listener);
  }

  /** Drops what is known of a removed provider's models. */
  forget(providerId: string): void {
    const { [providerId]: _, ...models } = this.models;
    this.models = models;
  }

  kind(kind: ProviderKind): KindInfo {
    return kindInfo(this.kinds, kind);
  }

  /** The provider's name, or its id when there is no such provider (any more). */
  name(id: string): string {
    return this.list.find((p) => p.id === id)?.name ?? id;
  }
}
