// The settings screen: provider entries with their key status, connection tests,
// keys, the default target and the price table. The providers the panes pick from
// (`ProvidersState`) are kept in step after every change, through `ProviderCatalog`.
import type { Backend } from "../platform/backend";
import { toErrorReply } from "../platform/backend";
import type { ConnectionTest, ErrorReply, Price, ProviderConfig, ProviderEntry, Target } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";

/** The last "Test connection" of a provider. */
export type ConnectionState =
  | { status: "testing" }
  | { status: "ok"; result: ConnectionTest }
  | { status: "error"; message: string };

/** What the settings change in the providers the rest of the window picks from. */
export interface ProviderCatalog {
  defaultTarget: Target | null;
  /** Reads the provider list again. */
  refresh(): Promise<void>;
  loadModels(providerId: string): Promise<void>;
  /** Drops a removed provider's models. */
  forget(providerId: string): void;
}

export class SettingsState {
  isOpen = $state(false);
  /** Providers with key status, as the settings screen lists them. */
  entries = $state<ProviderEntry[]>([]);
  entriesLoaded = $state(false);
  connections = $state<Record<string, ConnectionState>>({});
  /** The price table (US dollars per million tokens), by provider then model. */
  prices = $state<Price[]>([]);
  pricesLoaded = $state(false);
  /** A pane's "no price" asked for the price form on this model. */
  priceRequest = $state<{ provider: string; model: string } | null>(null);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly providers: ProviderCatalog;
  /** Called as the screen opens, e.g. to save a pending draft. */
  private readonly beforeOpen: () => void;

  constructor(backend: Backend, notices: Notify, providers: ProviderCatalog, beforeOpen: () => void) {
    this.backend = backend;
    this.notices = notices;
    this.providers = providers;
    this.beforeOpen = beforeOpen;
  }

  open(): void {
    if (this.isOpen) return;
    this.beforeOpen();
    this.isOpen = true;
    void this.load();
  }

  close(): void {
    this.isOpen = false;
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  /** Opens the settings with the price form on `provider` and `model`. */
  openPriceFor(provider: string, model: string): void {
    this.priceRequest = { provider, model };
    this.open();
  }

  async load(): Promise<void> {
    void this.loadPrices();
    try {
      const [entries, target] = await Promise.all([this.backend.providerEntries(), this.backend.defaultTarget()]);
      this.entries = entries;
      this.providers.defaultTarget = target;
    } catch (e) {
      this.notices.error(e);
    } finally {
      this.entriesLoaded = true;
    }
  }

  // ---- providers and keys ----------------------------------------------------

  private putEntry(entry: ProviderEntry): void {
    const i = this.entries.findIndex((x) => x.config.id === entry.config.id);
    this.entries = i < 0 ? [...this.entries, entry] : this.entries.map((x, j) => (j === i ? entry : x));
  }

  private forgetConnection(id: string): void {
    const { [id]: _, ...rest } = this.connections;
    this.connections = rest;
  }

  /** Adds (`isNew`) or updates a provider. Returns the refusal for the form to show. */
  async saveProvider(config: ProviderConfig, isNew: boolean): Promise<ErrorReply | null> {
    try {
      const entry = isNew ? await this.backend.addProvider(config) : await this.backend.updateProvider(config);
      this.putEntry(entry);
      this.forgetConnection(config.id);
      await this.providers.refresh();
      void this.providers.loadModels(config.id);
      this.notices.info(isNew ? `Added ${entry.config.name}` : `Saved ${entry.config.name}`);
      return null;
    } catch (e) {
      return toErrorReply(e);
    }
  }

  async removeProvider(id: string): Promise<boolean> {
    try {
      await this.backend.deleteProvider(id);
      this.entries = this.entries.filter((x) => x.config.id !== id);
      this.forgetConnection(id);
      this.providers.forget(id);
      // The table's rows go with their provider (ON DELETE CASCADE).
      this.prices = this.prices.filter((p) => p.provider !== id);
      await this.providers.refresh();
      return true;
    } catch (e) {
      this.notices.error(e);
      return false;
    }
  }

  async testConnection(id: string): Promise<void> {
    this.connections = { ...this.connections, [id]: { status: "testing" } };
    let state: ConnectionState;
    try {
      state = { status: "ok", result: await this.backend.testConnection(id) };
    } catch (e) {
      state = { status: "error", message: toErrorReply(e).message };
    }
    // The provider may have been removed while the test ran.
    if (this.entries.some((x) => x.config.id === id)) this.connections = { ...this.connections, [id]: state };
  }

  /**
   * Hands the key to the OS keyring. The secret is an argument only: nothing here
   * keeps, logs or shows it, and the caller clears its field when this returns.
   */
  async setKey(providerId: string, secret: string): Promise<ErrorReply | null> {
    try {
      this.putEntry(await this.backend.setKey(providerId, secret));
      void this.providers.loadModels(providerId);
      return null;
    } catch (e) {
      return toErrorReply(e);
    }
  }

  async deleteKey(providerId: string): Promise<void> {
    try {
      this.putEntry(await this.backend.deleteKey(providerId));
    } catch (e) {
      this.notices.error(e);
    }
  }

  async saveDefaultTarget(target: Target | null): Promise<boolean> {
    try {
      await this.backend.setDefaultTarget(target);
      this.providers.defaultTarget = target;
      this.notices.info(target ? `New panes start on ${target.model}` : "Default target cleared");
      return true;
    } catch (e) {
      this.notices.error(e);
      return false;
    }
  }

  // ---- prices ----------------------------------------------------------------

  async loadPrices(): Promise<void> {
    try {
      this.prices = await this.backend.listPrices();
    } catch (e) {
      this.notices.error(e);
    } finally {
      this.pricesLoaded = true;
    }
  }

  /**
   * Adds or replaces a price. `replacing` is the row being edited: when its provider
   * or model changed, the old row is removed once the new one is saved. Returns the
   * refusal for the form to show.
   */
  async savePrice(price: Price, replacing: { provider: string; model: string } | null = null): Promise<ErrorReply | null> {
    try {
      await this.backend.setPrice(price);
    } catch (e) {
      return toErrorReply(e);
    }
    if (replacing && (replacing.provider !== price.provider || replacing.model !== price.model.trim())) {
      try {
        await this.backend.deletePrice(replacing.provider, replacing.model);
      } catch (e) {
        this.notices.error(e);
      }
    }
    await this.loadPrices();
    return null;
  }

  /** Adds a price from the table's add row (replacing the model's price if it has one). */
  async addPrice(price: Price): Promise<ErrorReply | null> {
    const existing = this.prices.find((p) => p.provider === price.provider && p.model === price.model.trim());
    const err = await this.savePrice(price);
    if (!err) this.notices.info(existing ? `Replaced the price of ${existing.model}` : `Added the price of ${price.model.trim()}`);
    return err;
  }

  async removePrice(provider: string, model: string): Promise<boolean> {
    try {
      await this.backend.deletePrice(provider, model);
      this.prices = this.prices.filter((p) => p.provider !== provider || p.model !== model);
      this.notices.info(`Removed the price of ${model}`);
      return true;
    } catch (e) {
      this.notices.error(e);
      await this.loadPrices();
      return false;
    }
  }
}
