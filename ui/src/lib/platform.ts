/** True on macOS, where shortcuts read ⌘ rather than Ctrl. */
export const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** "Ctrl+S" / "⌘S" for tooltips. */
export function shortcut(key: string): string {
  return isMac ? `⌘${key === "Enter" ? "↩" : key}` : `Ctrl+${key}`;
}
