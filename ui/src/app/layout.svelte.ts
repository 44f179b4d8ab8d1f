// How the window is laid out: the sidebar and the side panel (shown, hidden, or
// following the window's width), the editor's share of the height (the splitter),
// the side panel's width, and what is maximised. Preferences of this window only,
// kept in the webview's storage; nothing here belongs in the library.

/** Below this window width the sidebar folds away unless it was opened by hand. */
export const NARROW_WIDTH = 1100;
const KEY = "whetstone.layout";

export const EDITOR_SHARE = { min: 0.15, max: 0.85, initial: 0.46 };
export const SIDE_WIDTH = { min: 220, max: 560, initial: 300, narrow: 260 };

export type Maximized = { kind: "editor" } | { kind: "pane"; index: number } | null;

interface Saved {
  sidebar: "auto" | "open" | "closed";
  sidePanel: boolean;
  editorShare: number;
  sideWidth: number | null;
}

function load(): Partial<Saved> {
  try {
    const raw = localStorage.getItem(KEY);
    const value: unknown = raw ? JSON.parse(raw) : null;
    return typeof value === "object" && value !== null ? (value as Partial<Saved>) : {};
  } catch {
    return {};
  }
}

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

export class Layout {
  /** The window's width, kept current by the shell. */
  width = $state(typeof window === "undefined" ? 1280 : window.innerWidth);
  sidebar = $state<Saved["sidebar"]>("auto");
  sidePanel = $state(true);
  editorShare = $state(EDITOR_SHARE.initial);
  /** Null: the default for the window's width. */
  sideWidthSet = $state<number | null>(null);
  maximized = $state<Maximized>(null);

  constructor() {
    const saved = load();
    if (saved.sidebar === "open" || saved.sidebar === "closed") this.sidebar = saved.sidebar;
    if (typeof saved.sidePanel === "boolean") this.sidePanel = saved.sidePanel;
    if (typeof saved.editorShare === "number") this.editorShare = clamp(saved.editorShare, EDITOR_SHARE.min, EDITOR_SHARE.max);
    if (typeof saved.sideWidth === "number") this.sideWidthSet = clamp(saved.sideWidth, SIDE_WIDTH.min, SIDE_WIDTH.max);
  }

  get narrow(): boolean {
    return this.width < NARROW_WIDTH;
  }

  get sidebarOpen(): boolean {
    return this.sidebar === "auto" ? !this.narrow : this.sidebar === "open";
  }

  get sideWidth(): number {
    return this.sideWidthSet ?? (this.narrow ? SIDE_WIDTH.narrow : SIDE_WIDTH.initial);
  }

  toggleSidebar(): void {
    this.sidebar = this.sidebarOpen ? "closed" : "open";
    this.save();
  }

  toggleSidePanel(): void {
    this.sidePanel = !this.sidePanel;
    this.save();
  }

  setEditorShare(share: number): void {
    this.editorShare = clamp(share, EDITOR_SHARE.min, EDITOR_SHARE.max);
    this.save();
  }

  setSideWidth(px: number): void {
    this.sideWidthSet = clamp(Math.round(px), SIDE_WIDTH.min, SIDE_WIDTH.max);
    this.save();
  }

  /** Maximises the editor or pane `index`; the same again puts it back. */
  toggleMaximized(what: NonNullable<Maximized>): void {
    const same =
      this.maximized?.kind === what.kind && (what.kind === "editor" || (this.maximized as { index: number }).index === what.index);
    this.maximized = same ? null : what;
  }

  private save(): void {
    const saved: Saved = { sidebar: this.sidebar, sidePanel: this.sidePanel, editorShare: this.editorShare, sideWidth: this.sideWidthSet };
    try {
      localStorage.setItem(KEY, JSON.stringify(saved));
    } catch {
      // Storage unavailable: the layout lasts this session.
    }
  }
}
