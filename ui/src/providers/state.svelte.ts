// The providers the window knows, shared by the run panes and the settings screen:
// their configs, what the core says about each kind, the models each one lists, and
// the library's default target. The settings screen edits them; the panes pick from them.
import type { Backend } from "../platform/backend";
import { toErrorReply } from "../platform/backend";
import type { KindInfo, ModelInfo, Params, ProviderConfig, ProviderKind, Target } from "../ipc/bindings";
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
  /** The library's default target: where panes of prompts without a setup start. */
  defaultTarget = $state<Target | null>(null);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly modelListeners: (() => void)[] = [];

  constructor(backend: Backend, notices: Notify) {
    this.backend = backend;
    this.notices = notices;
  }

  /** At start-up: the providers, their kinds and the default target, then each one's models. */
  async load(): Promise<void> {
    const [list, target, kinds] = await Promise.all([
      this.backend.listProviders(),
      // Not worth failing the window over: panes then start on the first provider.
      this.backend.defaultTarget().catch(() => null),
      this.backend.providerKinds(),
    ]);
    this.list = list;
    this.kinds = kinds;
    this.defaultTarget = target;
    for (const p of list) void this.loadModels(p.id);
  }

  /** Reads list_providers again, after the settings screen changed a provider. */
  async refresh(): Promise<void> {
    try {
      this.list = await this.backend.listProviders();
    } catch (e) {
      this.notices.error(e);
    }
  }

  async loadModels(providerId: string): Promise<void> {
    this.models = { ...this.models, [providerId]: { loading: true, models: this.models[providerId]?.models ?? [], error: null } };
    try {
      const models = await this.backend.listModels(providerId);
      this.models = { ...this.models, [providerId]: { loading: false, models, error: null } };
      for (const listener of this.modelListeners) listener();
    } catch (e) {
      this.models = { ...this.models, [providerId]: { loading: false, models: [], error: toErrorReply(e).message } };
    }
  }

  /** Calls `listener` each time a provider's models arrive. */
  onModelsLoaded(listener: () => void): void {
    this.modelListeners.push(listener);
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
