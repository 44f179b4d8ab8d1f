import type { SetupVariant, Target, TemplateSource, Variant, Version } from "../ipc/bindings";

/** One column of the side-by-side view, as the user set it up. */
export interface PaneConfig {
  /** Stable key for rendering; not sent to the backend. */
  key: number;
  /** "draft", or the id of a saved version. */
  source: "draft" | number;
  target: Target;
}

let nextKey = 1;
export function newPaneKey(): number {
  return nextKey++;
}

/** The run's variant for a pane; `template` is the current editor draft. */
export function toVariant(config: PaneConfig, promptId: number, template: string): Variant {
  const source: TemplateSource =
    config.source === "draft"
      ? { kind: "draft", prompt_id: promptId, template }
      : { kind: "version", version_id: config.source };
  return { source, target: structuredClone(config.target) };
}

/** A pane as the library keeps it in the prompt's run setup. */
export function toSetupVariant(config: PaneConfig): SetupVariant {
  return {
    source: config.source === "draft" ? { kind: "draft" } : { kind: "version", version_id: config.source },
    target: structuredClone(config.target),
  };
}

/** The panes of a saved run setup; a pane of a version that is gone runs the draft. */
export function panesFromSetup(variants: SetupVariant[], versions: Version[]): PaneConfig[] {
  return variants.map((v) => ({
    key: newPaneKey(),
    source: v.source.kind === "version" && versions.some((x) => x.id === (v.source as { version_id: number }).version_id) ? v.source.version_id : "draft",
    target: structuredClone(v.target),
  }));
}

export function sourceLabel(source: "draft" | number, versions: Version[]): string {
  if (source === "draft") return "Draft";
  const v = versions.find((x) => x.id === source);
  return v ? `v${v.number}` : "Missing version";
}
