// The window's state as main.ts builds it (the root and every feature, wired), on the
// real core, for the features' tests.
import { AppState } from "../app/state.svelte";
import type { Backend, Prompt } from "../ipc/bindings";
import { freshBackend } from "./bridge";

/** The window on `backend` (a fresh library by default), started. */
export async function startedApp(backend?: Backend): Promise<{ backend: Backend; app: AppState }> {
  backend ??= await freshBackend();
  const app = new AppState(backend);
  await app.init();
  return { backend, app };
}

/** A window on `backend` with two prompts, A (open) and B. */
export async function withTwoPrompts(backend?: Backend): Promise<{ backend: Backend; app: AppState; a: Prompt; b: Prompt }> {
  backend ??= await freshBackend();
  const a = await backend.createPrompt("A");
  const b = await backend.createPrompt("B");
  const { app } = await startedApp(backend);
  // The library lists the most recently changed prompt first.
  await app.select(a.id);
  return { backend, app, a, b };
}
