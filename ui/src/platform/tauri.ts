// The real backend: the window's commands over Tauri's IPC. The only file that
// imports @tauri-apps. The methods themselves are generated (backendOver).
import { Channel, invoke } from "@tauri-apps/api/core";
import { backendOver, type Backend, type Invoke } from "../ipc/bindings";

const tauriInvoke: Invoke = <T>(command: string, args: Record<string, unknown>, onEvent?: (event: never) => void) => {
  if (!onEvent) return invoke<T>(command, args);
  // A streaming command's events arrive on a channel passed as `events`.
  const events = new Channel<never>();
  events.onmessage = onEvent;
  return invoke<T>(command, { ...args, events });
};

export const tauriBackend: Backend = backendOver(tauriInvoke);
