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
import { toErrorReply } from "../platform/backend";
import { Notices } from "../notices/state.svelte";
import { ProvidersState } from "../providers/state.svelte";
import { LibraryState, type OpenPrompt } from "../library/state.svelte";
import { EditorState } from "../editor/state.svelte";
import { RunState } from "../run/state.svelte";
import { SettingsState } from "../settings/state.svelte";
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
  readonly suite: SuiteState;
  readonly results: ResultsState;

  /** Which view of the open prompt is shown. */
  view = $state<View>("playground");
  ready = $state(false);
  libraryError = $state<string | null>(null);
  appVersion = $state("");
  /** The library's folder: scopes per-prompt UI state kept in the webview's storage. */
  private dataDir = "";

  constructor(backend: Backend, files: FileDialogs | null = null) {
    this.backend = backend;
    const dataDir = () => this.dataDir;
    this.providers = new ProvidersState(backend, this.notices);
    this.library = new LibraryState(backend, this.notices, this.openPrompt());
    // The editor and the panes each read a little of the other; the editor's
    // callbacks read `this.run` only once the constructor has made both.
    this.editor = new EditorState(backend, this.notices, {
      panes: { draftPaneTarget: () => this.run.draftPaneTarget(), versionIds: () => this.run.versionIds() },
      dataDir,
      promptsChanged: () => this.library.load(),
    });
    this.run = new RunState(backend, this.notices, this.editor, this.providers, dataDir);
    this.settings = new SettingsState(backend, this.notices, this.providers, () => void this.editor.flushDraft());
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

  async init(): Promise<void> {
    try {
      const status = await this.backend.appStatus();
      this.appVersion = status.version;
      this.dataDir = status.data_dir;
      if (status.library_error) {
        this.libraryError = status.library_error;
        return;
      }
      await Promise.all([this.providers.load(), this.library.load()]);
      const first = this.library.prompts[0];
      if (first) await this.select(first.id);
    } catch (e) {
      const err = toErrorReply(e);
      if (err.code === "library") this.libraryError = err.message;
      else this.notices.error(err);
    } finally {
      this.ready = true;
    }
  }

  /** Opens prompt `id`: the editor shows it, the panes set up for it. */
  async select(id: number): Promise<void> {
    if (this.editor.prompt?.id === id) return;
    await this.editor.flushDraft();
    try {
      const [prompt, versions, runs] = await Promise.all([
        this.backend.getPrompt(id),
        this.backend.listVersions(id),
        this.backend.listRuns(id, null),
      ]);
      // The editor first: the panes keep their setup under the open prompt's id.
      this.editor.show(prompt, versions);
      this.run.show(prompt, versions, runs);
      await this.editor.analyzeNow();
      this.results.show(prompt, runs);
      await this.suite.show(prompt);
      if (this.view === "results") await this.results.activate();
    } catch (e) {
      this.notices.error(e);
    }
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
