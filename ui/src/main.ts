import "./app/theme.css";
import { mount } from "svelte";
import App from "./app/App.svelte";
import { AppState } from "./app/state.svelte";
import type { Backend } from "./platform/backend";
import type { FileDialogs } from "./platform/files";
import { isLinux } from "./lib/platform";
import { tauriBackend, tauriFiles } from "./platform/tauri";

// The browser preview talks to the real core through the development bridge:
// `npm run preview -w ui` starts both (or `?bridge=URL` on the dev server). In a
// production build both conditions are statically false and the bridge module is
// not even emitted.
async function loadBackend(): Promise<{ backend: Backend; files: FileDialogs | null }> {
  if (import.meta.env.DEV || import.meta.env.MODE === "bridge") {
    const env = import.meta.env as Record<string, string | undefined>;
    const url = new URLSearchParams(location.search).get("bridge") ?? env.VITE_BRIDGE_URL;
    if (url) {
      const { bridgeBackend } = await import("./platform/bridge");
      return { backend: bridgeBackend(url), files: null };
    }
  }
  return { backend: tauriBackend, files: tauriFiles };
}

// Before the first layout: which font stacks apply (theme.css).
if (isLinux) document.documentElement.dataset.platform = "linux";

// Start-up phases, read by the launch bench (tests/e2e/bench.mjs).
performance.mark("whetstone:script");
const { backend, files } = await loadBackend();
// The first screen in one call, asked before mounting so the reply is on its way meanwhile.
const start = backend.windowStart();
const app = new AppState(backend, files);
mount(App, { target: document.getElementById("app") as HTMLElement, props: { app } });
performance.mark("whetstone:mounted");
void app.init(start);
