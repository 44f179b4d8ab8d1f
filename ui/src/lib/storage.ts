// Small per-prompt UI state kept in localStorage (variable values, pane setup).
// Storage may be unavailable or full; the UI works without it.

export function loadJson<T>(key: string, fallback: T, valid: (v: unknown) => v is T): T {
  try {
    const raw = localStorage.getItem(key);
    if (raw === null) return fallback;
    const parsed: unknown = JSON.parse(raw);
    return valid(parsed) ? parsed : fallback;
  } catch {
    return fallback;
  }
}

export function saveJson(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Quota or privacy mode: values then live for this session only.
  }
}

export function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");
}

// Prompt ids are per library, and the webview's storage is shared by every library
// the app opens (--data-dir), so keys are scoped by the library's folder.
export const varsKey = (library: string, promptId: number) => `whetstone.vars.${library}.${promptId}`;
export const panesKey = (library: string, promptId: number) => `whetstone.panes.${library}.${promptId}`;
