// End-to-end bench of the matrix in the real window: a 1,000-case suite over four
// columns (4,000 cells) streaming from the loopback Ollama test server, and the
// frame times the webview delivers while the grid is scrolled, during the run and
// after it, beside the same scrolling of a static list of plain lines (what any page
// costs to scroll on this display). Prints a table; run by `cargo xtask bench` (or
// alone, under Xvfb).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { byTestId, launchApp, scratchDir, startOllama, whet } from "./harness.mjs";

const CASES = Number(process.env.CASES ?? 1000);
const COLUMNS = 4;
const SCROLL_MS = Number(process.env.SCROLL_MS ?? 8000);

const dataDir = scratchDir("bench-matrix");
// Every chunk a few milliseconds apart: cells stream for a while, many at once.
const server = await startOllama(["--models", "m1,m2,m3,m4", "--chunk-delay-ms", "4"]);
whet(dataDir, ["providers", "edit", "ollama", "--base-url", server.url, "--concurrency", "32"]);
const template = join(dataDir, "template.txt");
writeFileSync(template, "system:\nAnswer in two sentences.\nuser:\nTell me about {{ topic }} and {{ place }}.");
whet(dataDir, ["library", "save", "Bench", "--file", template, "--message", "bench"]);
const rows = ["topic,place,__expected1,__expected2"];
for (let i = 0; i < CASES; i++) rows.push(`topic number ${i},place ${i % 37},icontains: topic,not-contains: sorry`);
const csv = join(dataDir, "cases.csv");
writeFileSync(csv, rows.join("\n") + "\n");
whet(dataDir, ["suite", "import", "Bench", csv]);

const app = await launchApp({ dataDir });
const { browser } = app;
const $ = (id) => browser.$(byTestId(id));

/** Records every animation frame's interval while `scroll` moves the grid. */
function measure(durationMs, pxPerFrame, selector = '[data-testid="matrix-rows"]') {
  return browser.executeAsync(
    (durationMs, pxPerFrame, selector, done) => {
      const list = document.querySelector(selector);
      const frames = [];
      let last = performance.now();
      const end = last + durationMs;
      let direction = 1;
      function tick(now) {
        frames.push(now - last);
        last = now;
        if (list) {
          if (list.scrollTop + list.clientHeight >= list.scrollHeight - 2) direction = -1;
          else if (list.scrollTop <= 0) direction = 1;
          list.scrollTop += direction * pxPerFrame;
        }
        if (now < end) requestAnimationFrame(tick);
        else {
          const cells = document.querySelectorAll('[data-testid="matrix-cell"]').length;
          const p = document.querySelector('[data-testid="suite-progress"]');
          done({ frames, cells, done: p ? Number(p.getAttribute("data-done")) : null });
        }
      }
      requestAnimationFrame(tick);
    },
    durationMs,
    pxPerFrame,
    selector,
  );
}

function summary(name, { frames, cells, done }) {
  const sorted = [...frames.slice(1)].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const over = (ms) => sorted.filter((f) => f > ms).length;
  const mean = sorted.reduce((s, f) => s + f, 0) / sorted.length;
  console.log(
    `${name.padEnd(28)} ${String(sorted.length).padStart(5)} frames  mean ${mean.toFixed(1)} ms  p50 ${q(0.5).toFixed(1)}  p95 ${q(0.95).toFixed(1)}  p99 ${q(0.99).toFixed(1)}  max ${sorted.at(-1).toFixed(1)} ms  >25 ms: ${over(25)}  >50 ms: ${over(50)}  (cells in the DOM: ${cells}${done !== null ? `, done: ${done}` : ""})`,
  );
}

try {
  await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
  await browser.setWindowSize(1280, 800);
  // Four columns, each v1 on its own model.
  while ((await browser.$$(byTestId("pane"))).length < COLUMNS) await $("add-pane").click();
  const panes = await browser.$$(byTestId("pane"));
  for (const [i, pane] of panes.entries()) {
    await pane.$(byTestId("pane-source")).selectByVisibleText("v1");
    await pane.$(byTestId("pane-provider")).selectByAttribute("value", "ollama");
    await pane.$(byTestId("pane-model")).setValue(`m${i + 1}`);
  }
  // The floor: frames of this window doing nothing, under this display; and the
  // suite table (1,000 rows of text fields) scrolled, for comparison.
  const floor = await measure(3000, 0);
  // What scrolling costs on this display whatever the page: a static list of plain
  // lines (no script, no virtualisation) over the whole window, scrolled the same way.
  await browser.execute(() => {
    const list = document.createElement("div");
    list.id = "static-list";
    list.style.cssText = "position:fixed;inset:0;overflow:auto;z-index:99;background:var(--bg);font:13px/23px sans-serif";
    list.textContent = Array.from({ length: 3000 }, (_, i) => `line ${i}: some plain text to paint`).join("\n");
    list.style.whiteSpace = "pre";
    document.body.append(list);
  });
  const staticList = await measure(3000, 24, "#static-list");
  await browser.execute(() => document.getElementById("static-list").remove());
  await $("view-suite").click();
  await $("suite-rows").waitForExist({ timeout: 10000 });
  const table = await measure(3000, 24, '[data-testid="suite-rows"]');
  await $("view-results").click();
  await browser.waitUntil(async () => (await $("results-run-suite").isEnabled()), { timeout: 10000 });
  const started = performance.now();
  await $("results-run-suite").click();
  await $("matrix-rows").waitForExist({ timeout: 30000 });
  const streaming = await measure(SCROLL_MS, 24);
  await browser.waitUntil(async () => !(await $("cancel-suite").isEnabled()), { timeout: 600000, interval: 250 });
  const runMs = performance.now() - started;
  const still = await measure(3000, 0);
  const idle = await measure(Math.min(SCROLL_MS, 5000), 24);
  const total = await browser.execute(() => Number(document.querySelector('[data-testid="suite-progress"]')?.getAttribute("data-total")));
  console.log(`matrix bench: ${CASES} cases × ${COLUMNS} columns = ${total} cells, run took ${(runMs / 1000).toFixed(1)} s (whole run, as the window saw it)`);
  summary("idle window (the floor)", floor);
  summary("static list scrolled", staticList);
  summary("suite table scrolled", table);
  summary("matrix shown, not scrolled", still);
  summary("scrolling while streaming", streaming);
  summary("scrolling after the run", idle);
} finally {
  await app.close();
  await server.stop();
}
