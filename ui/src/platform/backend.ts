// The UI's view of the Rust backend: one method per command, generated from the
// command list (crates/core/src/api.rs) into ../ipc/bindings. Components talk to
// this interface only, so the same UI runs on the real app (tauri.ts) and, in tests
// and the browser preview, on the real core behind the development bridge (bridge.ts).
import type { ErrorReply } from "../ipc/bindings";

export type { Backend } from "../ipc/bindings";

function isErrorReply(value: unknown): value is ErrorReply {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && typeof v.message === "string";
}

/**
 * Every rejection seen by the UI as an ErrorReply: the backend's own replies pass
 * through, anything else (a JS exception, an IPC failure string) becomes `internal`.
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (isErrorReply(error)) {
    return { code: error.code, message: error.message, template: error.template ?? null, field: error.field ?? null };
  }
  const internal = (message: string): ErrorReply => ({ code: "internal", message, template: null, field: null });
  if (error instanceof Error) return internal(error.message);
  if (typeof error === "string") return internal(error);
  return internal("Unexpected error");
}
