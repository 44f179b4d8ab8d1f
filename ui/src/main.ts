import "./app/theme.css";
import { mount } from "svelte";
import App from "./app/App.svelte";
import { AppStore } from "./app/store.svelte";
import type { Backend } from "./platform/backend";

// The fake backend is for the browser preview only: `vite --mode fake`, or `?fake`
// on the dev server. In a production build both conditions are statically false,
// so the fake module is not even emitted.
async function loadBackend(): Promise<Backend> {
  const params = new URLSearchParams(location.search);
  if (import.meta.env.MODE === "fake" || (import.meta.env.DEV && params.has("fake"))) {
    const { FakeBackend } = await import("./platform/fake");
    return new FakeBackend({
      seed: params.get("empty") === null,
      ollamaDown: params.has("ollama-down"),
      keyringDown: params.has("keyring-down"),
      libraryError: params.get("library-error"),
    });
  }
  const { TauriBackend } = await import("./platform/tauri");
  return new TauriBackend();
}

const store = new AppStore(await loadBackend());
mount(App, { target: document.getElementById("app") as HTMLElement, props: { store } });
void store.init();
