// Where the window asks the person for a file path: the native save dialog of the
// real app (tauri.ts). The browser preview and the tests have none; a suite is then
// exported as a download.
import type { SuiteFormat } from "../ipc/bindings";

export interface FileDialogs {
  /** A path chosen in a save dialog, or null when it was cancelled. */
  savePath(defaultName: string, format: SuiteFormat): Promise<string | null>;
}
