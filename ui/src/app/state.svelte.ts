// The window's root: builds each feature's state, wires what one needs of another,
// and runs start-up. Opening a prompt spans two features (the editor shows it, the
// panes set up for it), so it is done here; the features only see the callbacks.
//
//   notices ◀── every feature (toasts)
//   providers ◀── run (Targets), settings (ProviderCatalog)
//   library ──OpenPrompt──▶ this root ──▶ editor + run
//   editor ──PaneSetup──▶ run        run ──RunSource──▶ editor
//   settings ──beforeOpen──▶ editor (save the draft)
//   suite ──SuiteSource──▶ editor (the template's variables)
//   results ──MatrixSource──▶ run (the panes' variants), editor, suite (saved before a run)
import type { Backend } from "../platform/backend";
import type { OpenedPrompt, WindowStart } from "../ipc/bindings";
import { toErrorReply } from "../platform/backend";
import { Notices } from "../notices/state.svelte";
import { ProvidersState } from "../providers/state.svelte";
import { LibraryState, type OpenPrompt } from "../library/state.svelte";
import { EditorState } from "../editor/state.svelte";
import { RunState } from "../run/state.svelte";
import { SettingsState } from "../settings/state.svelte";
import { Layout } from "./layout.svelte";
import { sentence } from "../lib/errors";
import { SuiteState } from "../suite/state.svelte";
import { ResultsState } from "../suite/results.svelte";
import { toVariant, type PaneConfig } from "../run/panes";
import type { FileDialogs } from "../platform/files";

/** The views of the open prompt, as the tab bar names them. */
export type View = "playground" | "suite" | "results";

export class AppState {
  readonly backend: Backend;
  readonly notices = new Notices();
  readonly providers: ProvidersState;
  readonly library: LibraryState;
  readonly editor: EditorState;
  readonly run: RunState;
  readonly settings: SettingsState;
  readonly layout = new Layout();
  readonly suite: SuiteState;
  readonly results: ResultsState;

  /** Which view of the open prompt is shown. */
  view = $state<View>("playground");
  ready = $state(false);
  libraryError = $state<string | null>(null);
  appVersion = $state("");
  /** How many hex digits of a content hash to show (the core's length, as the CLI's). */
  shortHashLen = $state(8);
  private selectSeq = 0;

  constructor(backend: Backend, files: FileDialogs | null = null) {
    this.backend = backend;
    this.providers = new ProvidersState(backend, this.notices);
    this.library = new LibraryState(backend, this.notices, this.openPrompt());
    // The editor and the panes each read a little of the other; the editor's
    // callbacks read `this.run` only once the constructor has made both.
    this.editor = new EditorState(backend, this.notices, {
      panes: { draftPaneTarget: () => this.run.draftPaneTarget(), versionIds: () => this.run.versionIds() },
      promptsChanged: () => this.library.load(),
      changed: () => this.run.changed(),
    });
    this.run = new RunState(backend, this.notices, this.editor, this.providers);
    this.settings = new SettingsState(backend, this.notices, this.providers, () => void this.editor.flushDraft());
    this.providers.onStatus(() => this.editor.recheckStatus());
    this.suite = new SuiteState(backend, this.notices, this.editor, files, (suite) => this.results.suiteSaved(suite));
    const editor = this.editor;
    this.results = new ResultsState(backend, this.notices, {
      get prompt() {
        return editor.prompt;
      },
      variants: () => {
        const prompt = this.editor.prompt;
        if (!prompt) return [];
        return this.run.panes.map((p) => toVariant($state.snapshot(p) as PaneConfig, prompt.id, this.editor.draft));
      },
      prepare: async () => {
        await this.editor.flushDraft();
        return this.suite.saveIfDirty();
      },
      versionNumber: (id) => this.editor.versions.find((v) => v.id === id)?.number ?? null,
    });
  }

  /** Shows a view of the open prompt. */
  showView(view: View): void {
    this.view = view;
    if (view === "results") void this.results.activate();
  }

  /** Runs the suite over the panes and shows the matrix. */
  runSuite(): Promise<void> {
    this.view = "results";
    return this.results.runSuite();
  }

  /**
   * Start-up: the core's `window_start`, one reply with all the first screen shows.
   * `main.ts` asks for it before mounting, and hands it in.
   */
  async init(start: Promise<WindowStart> = this.backend.windowStart()): Promise<void> {
    try {
      const first = await start;
      performance.mark("whetstone:start");
      const { status } = first;
      this.appVersion = status.version;
      this.shortHashLen = status.short_hash_len;
      this.run.maxPanes = status.max_panes;
      if (status.library_error) {
        this.libraryError = status.library_error;
        return;
      }
      this.providers.started(first);
      this.library.started(first.prompts);
      // Which providers answer takes up to 2 s: the window is usable meanwhile.
      void this.providers.checkStatus();
      if (first.opened) {
        this.selectSeq++;
        // How the draft stands against its newest version follows the first screen.
        this.show(first.opened).catch((e) => this.notices.error(e));
      }
    } catch (e) {
      const err = toErrorReply(e);
      if (err.code === "library") this.libraryError = err.message;
      else this.notices.error(err);
    } finally {
      this.ready = true;
    }
  }

  /** Opens prompt `id`: the editor shows it with its values, the panes with its last run. */
  async select(id: number): Promise<void> {
    if (this.editor.prompt?.id === id) return;
    const seq = ++this.selectSeq;
    await Promise.all([this.editor.flushDraft(), this.run.flushSetup()]);
    try {
      const opened = await this.backend.openPrompt(id);
      if (seq !== this.selectSeq) return; // another prompt was opened meanwhile
      await this.show(opened);
    } catch (e) {
      this.notices.error(e);
    }
  }

  /** Shows a prompt just opened in every view; resolves once its draft status is known. */
  private async show(opened: OpenedPrompt): Promise<void> {
    const { prompt, versions, runs, setup, last_run } = opened;
    // The editor first: the panes read its prompt.
    this.editor.show(opened);
    this.run.show(prompt, versions, runs, setup, last_run);
    this.results.show(prompt, runs);
    this.suite.show(opened.suite);
    await Promise.all([this.editor.analyzeNow(), this.view === "results" ? this.results.activate() : null]);
  }

  /** Save version: says at once when there is nothing to save (the core's rule); true to ask for a message. */
  async canSaveVersion(): Promise<boolean> {
    if (!this.editor.prompt || this.editor.viewingVersion) return false;
    await this.editor.flushDraft();
    const status = await this.editor.currentStatus();
    if (status?.refusal) {
      this.notices.info(sentence(status.refusal));
      return false;
    }
    return true;
  }

  /** What the library sees of the open prompt. */
  private openPrompt(): OpenPrompt {
    return {
      id: () => this.editor.prompt?.id ?? null,
      open: (id) => this.select(id),
      saveDraft: () => this.editor.flushDraft(),
      dropDraft: () => this.editor.dropDraft(),
      renamed: (name) => this.editor.renamed(name),
      close: () => {
        this.editor.close();
        this.run.close();
        this.suite.close();
        this.results.close();
      },
    };
  }
}
