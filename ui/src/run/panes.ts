import type { Params, ProviderConfig, Target, TemplateSource, Variant, Version } from "../ipc/bindings";
import { defaultParams } from "../providers/state.svelte";

export const MAX_PANES = 4;

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

export function defaultTarget(providers: ProviderConfig[], draftTarget: Target | null): Target {
  if (draftTarget) return structuredClone(draftTarget);
  return { provider: providers[0]?.id ?? "", model: "", params: defaultParams() };
}

/** Two panes: the draft, and the latest version on the same target (or the draft again). */
export function defaultPanes(providers: ProviderConfig[], draftTarget: Target | null, versions: Version[]): PaneConfig[] {
  const target = defaultTarget(providers, draftTarget);
  const latest = versions[0];
  return [
    { key: newPaneKey(), source: "draft", target },
    { key: newPaneKey(), source: latest ? latest.id : "draft", target: structuredClone(latest?.default_target ?? target) },
  ];
}

/** The run's variant for a pane; `template` is the current editor draft. */
export function toVariant(config: PaneConfig, promptId: number, template: string): Variant {
  const source: TemplateSource =
    config.source === "draft"
      ? { kind: "draft", prompt_id: promptId, template }
      : { kind: "version", version_id: config.source };
  return { source, target: structuredClone(config.target) };
}

function isParams(v: unknown): v is Params {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Record<string, unknown>;
  const num = (x: unknown) => x === null || typeof x === "number";
  return (
    num(p.temperature) &&
    num(p.top_p) &&
    num(p.max_tokens) &&
    num(p.seed) &&
    Array.isArray(p.stop) &&
    p.stop.every((s) => typeof s === "string") &&
    (p.stream === undefined || typeof p.stream === "boolean")
  );
}

export function isTarget(v: unknown): v is Target {
  if (typeof v !== "object" || v === null) return false;
  const t = v as Record<string, unknown>;
  return typeof t.provider === "string" && typeof t.model === "string" && isParams(t.params);
}

export interface StoredPane {
  source: "draft" | number;
  target: Target;
}

export function isStoredPanes(v: unknown): v is StoredPane[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.length <= MAX_PANES &&
    v.every((p) => {
      if (typeof p !== "object" || p === null) return false;
      const s = (p as Record<string, unknown>).source;
      return (s === "draft" || typeof s === "number") && isTarget((p as Record<string, unknown>).target);
    })
  );
}

/** Restores stored panes, pointing panes at versions that no longer exist back to the draft. */
export function restorePanes(stored: StoredPane[], versions: Version[]): PaneConfig[] {
  return stored.map((p) => ({
    key: newPaneKey(),
    source: p.source === "draft" || versions.some((v) => v.id === p.source) ? p.source : "draft",
    target: p.target,
  }));
}

export function sourceLabel(source: "draft" | number, versions: Version[]): string {
  if (source === "draft") return "Draft";
  const v = versions.find((x) => x.id === source);
  return v ? `v${v.number}` : "Missing version";
}
