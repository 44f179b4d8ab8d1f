// The prompt list of the sidebar: search, create, rename, duplicate, delete. Which
// prompt is open, and opening one, belong to the window (editor and panes together):
// the library reaches them through `OpenPrompt` only.
import type { Backend } from "../platform/backend";
import type { PromptSummary } from "../ipc/bindings";
import type { Notify } from "../notices/state.svelte";

/** What the library needs of the prompt the window has open. */
export interface OpenPrompt {
  /** The open prompt's id, or null. */
  id(): number | null;
  open(id: number): Promise<void>;
  /** Saves the open prompt's pending draft now. */
  saveDraft(): Promise<void>;
  /** Drops the open prompt's pending draft (the prompt is being deleted). */
  dropDraft(): void;
  renamed(name: string): void;
  /** Shows no prompt. */
  close(): void;
}

export class LibraryState {
  prompts = $state<PromptSummary[]>([]);
  search = $state("");
  loaded = $state(false);
  /** The sidebar shows its inline name field for a new prompt. */
  creating = $state(false);

  private readonly backend: Backend;
  private readonly notices: Notify;
  private readonly opened: OpenPrompt;
  private searchSeq = 0;

  constructor(backend: Backend, notices: Notify, opened: OpenPrompt) {
    this.backend = backend;
    this.notices = notices;
    this.opened = opened;
  }

  get openId(): number | null {
    return this.opened.id();
  }

  /** The list the window started with (the core's `window_start`). */
  started(prompts: PromptSummary[]): void {
    this.prompts = prompts;
    this.loaded = true;
  }

  async load(): Promise<void> {
    const seq = ++this.searchSeq;
    const list = await this.backend.listPrompts(this.search.trim() || null);
    if (seq !== this.searchSeq) return; // a newer search answered first
    this.prompts = list;
    this.loaded = true;
  }

  async setSearch(text: string): Promise<void> {
    this.search = text;
    try {
      await this.load();
    } catch (e) {
      this.notices.error(e);
    }
  }

  open(id: number): Promise<void> {
    return this.opened.open(id);
  }

  async create(name: string): Promise<boolean> {
    try {
      const prompt = await this.backend.createPrompt(name);
      this.search = "";
      await this.load();
      await this.opened.open(prompt.id);
      return true;
    } catch (e) {
      this.notices.error(e);
      return false;
    }
  }

  async rename(id: number, name: string): Promise<boolean> {
    try {
      const prompt = await this.backend.renamePrompt(id, name);
      if (this.opened.id() === id) this.opened.renamed(prompt.name);
      await this.load();
      return true;
    } catch (e) {
      this.notices.error(e);
      return false;
    }
  }

  async duplicate(id: number): Promise<void> {
    try {
      if (this.opened.id() === id) await this.opened.saveDraft();
      const copy = await this.backend.duplicatePrompt(id);
      await this.load();
      await this.opened.open(copy.id);
      this.notices.info(`Created “${copy.name}”`);
    } catch (e) {
      this.notices.error(e);
    }
  }

  async remove(id: number): Promise<void> {
    try {
      if (this.opened.id() === id) this.opened.dropDraft();
      await this.backend.deletePrompt(id);
      const index = this.prompts.findIndex((p) => p.id === id);
      await this.load();
      if (this.opened.id() === id) {
        this.opened.close();
        const next = this.prompts[Math.min(index, this.prompts.length - 1)];
        if (next) await this.opened.open(next.id);
      }
    } catch (e) {
      this.notices.error(e);
    }
  }
}
