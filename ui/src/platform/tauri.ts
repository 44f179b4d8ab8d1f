// The real backend: the window's commands over Tauri's IPC, and the native save
// dialog. The only file that imports @tauri-apps. The methods themselves are
// generated (backendOver).
import { Channel, invoke } from "@tauri-apps/api/core";
import { save } from "@tauri-apps/plugin-dialog";
import { backendOver, type Backend, type Invoke } from "../ipc/bindings";
import type { FileDialogs } from "./files";

const tauriInvoke: Invoke = <T>(command: string, args: Record<string, unknown>, onEvent?: (event: never) => void) => {
  if (!onEvent) return invoke<T>(command, args);
  // A streaming command's events arrive on a channel passed as `events`, a frame's
  // worth per message (one IPC message per frame, however many cells end in it).
  const events = new Channel<never[]>();
  events.onmessage = (frame) => frame.forEach((event) => onEvent(event));
  return invoke<T>(command, { ...args, events });
};

export const tauriBackend: Backend = backendOver(tauriInvoke);

/** The save dialog only names the file: the core writes it (`export_suite_file`). */
export const tauriFiles: FileDialogs = {
  savePath: (defaultName, format) =>
    save({
      defaultPath: defaultName,
      filters: [format === "csv" ? { name: "CSV (promptfoo's test columns)", extensions: ["csv"] } : { name: "JSONL (one test case a line)", extensions: ["jsonl"] }],
    }),
};
