import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Tauri expects a fixed dev port and serves the built files from ui/dist.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: mode === "bridge" ? "dist-bridge" : "dist",
    target: "es2022",
    emptyOutDir: true,
    // One ~700 kB chunk (mostly CodeMirror) read from local disk by the webview;
    // splitting it would not make the window open faster.
    chunkSizeWarningLimit: 1024,
  },
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
    // One bridge (the real core) serves every test file, one file at a time.
    globalSetup: ["test/bridge.global.ts"],
    fileParallelism: false,
  },
}));
