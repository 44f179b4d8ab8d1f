// CodeMirror setup for Jinja templates: the theme reads the app's CSS variables so
// it follows light/dark mode without reconfiguring the editor.
import { basicSetup } from "codemirror";
import { Decoration, EditorView, MatchDecorator, ViewPlugin, keymap, type DecorationSet, type ViewUpdate } from "@codemirror/view";
import { Compartment, EditorState, Prec, type Extension } from "@codemirror/state";
import { HighlightStyle, LanguageSupport, syntaxHighlighting, type Language } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { tags as t } from "@lezer/highlight";
import type { TemplateError } from "../ipc/bindings";
import { errorRange } from "../lib/errors";
import { afterNextPaint } from "../lib/paint";

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.operatorKeyword, t.logicOperator, t.modifier], color: "var(--syn-keyword)" },
  { tag: [t.variableName, t.propertyName], color: "var(--syn-variable)" },
  { tag: t.special(t.variableName), color: "var(--syn-keyword)", fontStyle: "italic" },
  { tag: [t.string], color: "var(--syn-string)" },
  { tag: [t.number, t.bool], color: "var(--syn-number)" },
  { tag: [t.blockComment, t.comment], color: "var(--syn-comment)", fontStyle: "italic" },
  { tag: t.brace, color: "var(--syn-brace)" },
  { tag: [t.tagName, t.angleBracket], color: "var(--syn-tag)" },
  { tag: t.attributeName, color: "var(--syn-number)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", backgroundColor: "var(--bg)", color: "var(--text)", fontSize: "13px" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.6" },
  ".cm-content": { caretColor: "var(--text)", padding: "8px 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--bg)", color: "var(--text-faint)", border: "none", borderRight: "1px solid var(--border)" },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 8px 0 12px", fontVariantNumeric: "tabular-nums" },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--bg-hover) 55%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "transparent", color: "var(--text-muted)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "color-mix(in srgb, var(--accent) 28%, transparent) !important",
  },
  ".cm-matchingBracket": { backgroundColor: "var(--accent-soft)", outline: "none" },
  ".cm-foldGutter .cm-gutterElement": { color: "var(--text-faint)" },
  ".cm-tooltip": { backgroundColor: "var(--bg-elevated)", border: "1px solid var(--border)", borderRadius: "6px", boxShadow: "var(--shadow)", color: "var(--text)" },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "var(--accent)", color: "var(--accent-text)" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--danger)" },
  ".cm-lintRange-error": { backgroundImage: "none", textDecoration: "underline wavy var(--danger)", textUnderlineOffset: "3px" },
  ".cm-lint-marker": { width: "0.9em", height: "0.9em" },
  ".cm-panels": { backgroundColor: "var(--bg-sunken)", color: "var(--text)" },
  ".cm-searchMatch": { backgroundColor: "color-mix(in srgb, var(--warning) 30%, transparent)" },
  ".cm-role": { color: "var(--syn-role)", fontWeight: "600" },
});

// Prompty role markers (`system:` at a line start) stand out so the message
// structure is visible at a glance.
const roleMatcher = new MatchDecorator({
  regexp: /^(system|user|assistant):/gm,
  decoration: Decoration.mark({ class: "cm-role" }),
});
const roleMarkers = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = roleMatcher.createDeco(view);
    }
    update(u: ViewUpdate) {
      this.decorations = roleMatcher.updateDeco(u, this.decorations);
    }
  },
  { decorations: (v) => v.decorations },
);

/** Diagnostics for the template error, positioned at its line and column. */
export function diagnosticsFor(doc: string, error: TemplateError | null): Diagnostic[] {
  if (!error) return [];
  const { from, to } = errorRange(doc, error.line, error.column);
  return [{ from, to, severity: "error", message: error.message, source: error.kind === "syntax" ? "syntax" : "template" }];
}

export interface EditorHandle {
  view: EditorView;
  setDoc(text: string): void;
  reset(text: string): void;
  setReadOnly(readOnly: boolean): void;
  setError(error: TemplateError | null): void;
  setVariables(names: string[]): void;
  destroy(): void;
}

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  readOnly: boolean;
  onChange: (text: string) => void;
  onSave: () => void;
  /** Ctrl/Cmd+Enter; `fresh` with Alt (no cached answers; Shift runs the suite). */
  onRun: (fresh: boolean) => void;
}

/**
 * Jinja over HTML (so `<document>`-style tags in prompts are highlighted). With the
 * HTML, CSS and JavaScript parsers it embeds it is a third of the editor's script, so
 * it loads once the editor has painted; the editor is plain text until then.
 */
interface Jinja {
  language: Language;
  completion: typeof import("@codemirror/lang-jinja").jinjaCompletionSource;
}
let jinja: Promise<Jinja> | null = null;
let jinjaLoaded: Jinja | null = null;
function loadJinja(): Promise<Jinja> {
  jinja ??= afterNextPaint()
    .then(() => import("@codemirror/lang-jinja"))
    .then((m) => (jinjaLoaded = { language: m.jinja().language, completion: m.jinjaCompletionSource }));
  return jinja;
}

export function createEditor(opts: EditorOptions): EditorHandle {
  const readOnly = new Compartment();
  const language = new Compartment();
  let applyingExternal = false;
  // Without the HTML tag auto-closing and the `{%` → `{%%}` input handler that
  // jinja() bundles: they duplicate text that people (and WebDriver) type in full.
  const languageFor = (names: string[]): Extension => {
    if (!jinjaLoaded) return [];
    const { language, completion } = jinjaLoaded;
    return new LanguageSupport(language, [
      language.data.of({ autocomplete: completion({ variables: names.map((label) => ({ label, type: "variable", detail: "input" })) }) }),
    ]);
  };

  let isReadOnly = opts.readOnly;
  let variables: string[] = [];
  const readOnlyExt = (value: boolean): Extension => [EditorState.readOnly.of(value), EditorView.editable.of(!value)];
  const extensions = (): Extension[] => [
        // Above the default keymap, where Mod-Enter inserts a blank line.
        Prec.highest(
          keymap.of([
            { key: "Mod-Enter", preventDefault: true, run: () => (opts.onRun(false), true) },
            { key: "Alt-Mod-Enter", preventDefault: true, run: () => (opts.onRun(true), true) },
            { key: "Mod-s", preventDefault: true, run: () => (opts.onSave(), true) },
          ]),
        ),
        basicSetup,
        language.of(languageFor(variables)),
        syntaxHighlighting(highlight),
        roleMarkers,
        lintGutter(),
        theme,
        EditorView.lineWrapping,
        readOnly.of(readOnlyExt(isReadOnly)),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !applyingExternal) opts.onChange(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ "aria-label": "Template", spellcheck: "false" }),
      ];

  const view = new EditorView({ parent: opts.parent, state: EditorState.create({ doc: opts.doc, extensions: extensions() }) });

  let destroyed = false;
  if (!jinjaLoaded) {
    void loadJinja().then(() => {
      if (!destroyed) view.dispatch({ effects: language.reconfigure(languageFor(variables)) });
    });
  }

  let currentError: TemplateError | null = null;
  const pushDiagnostics = () => view.dispatch(setDiagnostics(view.state, diagnosticsFor(view.state.doc.toString(), currentError)));

  return {
    view,
    setDoc(text: string) {
      if (text === view.state.doc.toString()) return;
      applyingExternal = true;
      try {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 }, scrollIntoView: true });
      } finally {
        applyingExternal = false;
      }
      pushDiagnostics();
    },
    reset(text: string) {
      // A fresh state: undo must not bring back another prompt's text.
      view.setState(EditorState.create({ doc: text, extensions: extensions() }));
      pushDiagnostics();
    },
    setReadOnly(value: boolean) {
      if (value === isReadOnly) return;
      isReadOnly = value;
      view.dispatch({ effects: readOnly.reconfigure(readOnlyExt(value)) });
    },
    setError(error: TemplateError | null) {
      if (error === currentError) return;
      currentError = error;
      pushDiagnostics();
    },
    setVariables(names: string[]) {
      if (names.join("\0") === variables.join("\0")) return;
      variables = names;
      view.dispatch({ effects: language.reconfigure(languageFor(names)) });
    },
    destroy() {
      destroyed = true;
      view.destroy();
    },
  };
}
