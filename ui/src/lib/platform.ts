/** True on macOS, where shortcuts read ⌘ rather than Ctrl. */
export const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** True on Linux (not Android), where the UI takes the desktop's fonts (theme.css). */
export const isLinux = typeof navigator !== "undefined" && /Linux/.test(navigator.platform) && !/Android/.test(navigator.userAgent);

/** "Ctrl+S" / "⌘S" for tooltips. */
export function shortcut(key: string): string {
  return isMac ? `⌘${key === "Enter" ? "↩" : key}` : `Ctrl+${key}`;
}
