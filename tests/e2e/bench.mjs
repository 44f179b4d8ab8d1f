// End-to-end bench of the RELEASE build in the real window, beside a Tauri
// hello-world built with the same profile (src-tauri/examples/hello), in one run:
//   1. launch to interactive (WebDriver session start → body[data-ready='true']) of
//      both apps, launches interleaved so both see the same machine load;
//   2. idle memory of both (PSS and RSS summed over the app process and its WebKit
//      children, after settling);
//   3. Whetstone's memory over a long session: RUNS runs of four panes on Echo, each
//      pane ~140 KB of output, switching prompts between runs; memory before, along
//      the way, right after and once settled, and that of the same screen after a
//      relaunch (what the outputs on screen need, without the session behind them),
//      and each process's CPU while idle once the session ended and after the relaunch
//      (what WebKit's memory-pressure policy costs: src-tauri/src/web_memory.rs).
// Prints tables and writes artifacts/e2e/bench.json; run by `cargo xtask bench`,
// which builds both binaries (or alone under Xvfb, see xtask's in_window_session).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";
import { artifacts, byTestId, launchApp, root, scratchDir, typeInto } from "./harness.mjs";

const LAUNCHES = Number(process.env.LAUNCHES ?? 9);
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 5000);
const RUNS = Number(process.env.RUNS ?? 48);
const LONG_SETTLE_MS = Number(process.env.LONG_SETTLE_MS ?? 30000);
/** Lines each long prompt renders (~70 bytes each): Echo answers with all of them. */
const LINES = Number(process.env.LINES ?? 2000);
const PROMPTS = 4;
const PANES = 4;

const apps = {
  whetstone: resolve(root, process.env.WHETSTONE_APP ?? "target/release/whetstone"),
  hello: resolve(root, process.env.HELLO_APP ?? "target/release/examples/hello"),
};
for (const [name, path] of Object.entries(apps)) {
  if (!existsSync(path)) throw new Error(`${name}: ${path} is missing; \`cargo xtask bench\` builds it`);
}

// ---- processes and memory ------------------------------------------------------

/** PIDs of `rootPid` and all its descendants. */
function tree(rootPid) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(procStat(name)[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // the process ended while we looked
    }
  }
  const out = [];
  const walk = (pid) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(rootPid);
  return out;
}

/** The process running `binary` under tauri-driver (found by its executable, not its name). */
function appPid(driverPid, binary) {
  const exe = realpathSync(binary);
  for (const pid of tree(driverPid)) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === exe) return pid;
    } catch {
      // gone, or not ours to read
    }
  }
  throw new Error(`${binary} was not found running under tauri-driver`);
}

function memoryKb(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
  const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  // CPU time used so far (user + system), in ms: what idle costs between two snapshots.
  const stat = procStat(pid);
  const cpuMs = ((Number(stat[11]) + Number(stat[12])) * 1000) / CLK_TCK;
  // Anonymous memory (heaps: JavaScript, DOM, malloc) apart from mapped files and shared memory.
  return { pid, comm, rss: field("Rss"), pss: field("Pss"), pssAnon: field("Pss_Anon"), cpuMs };
}

/** The app process and every process it started (WebKit's web and network processes). */
function memory(app, binary) {
  const procs = [];
  for (const pid of tree(appPid(app.driver.pid, binary))) {
    try {
      procs.push(memoryKb(pid));
    } catch {
      // ended while we looked
    }
  }
  const sum = (k) => procs.reduce((s, m) => s + m[k], 0);
  return { procs, rss: sum("rss"), pss: sum("pss") };
}

/** PSS of the WebKit web process(es): the page, its DOM and JavaScript. */
const webPss = (m) => m.procs.filter((p) => p.comm.startsWith("WebKitWeb")).reduce((t, p) => t + p.pss, 0);

/** The fields of /proc/PID/stat after the command name (the third field is index 0). */
function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Clock ticks a second, the unit of a process's start and CPU times in /proc. */
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/**
 * When process `pid` was started, in ms since the epoch: /proc gives clock ticks since
 * boot, and the boot's epoch is now minus /proc/uptime (both to 10 ms).
 */
function startedAt(pid) {
  const ticks = Number(procStat(pid)[19]);
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return Date.now() - uptime * 1000 + (ticks * 1000) / CLK_TCK;
}

/** Each process's share of one CPU between two snapshots `ms` apart: what idling costs. */
function idleCpu(from, to, ms) {
  const shares = to.procs.map((p) => {
    const before = from.procs.find((q) => q.pid === p.pid);
    return `${p.comm} ${before ? (((p.cpuMs - before.cpuMs) / ms) * 100).toFixed(1) : "?"} %`;
  });
  console.log(`    CPU over those ${ms / 1000} s: ${shares.join(", ")}`);
}

const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function printMemory(label, m) {
  console.log(`  ${label}`);
  for (const p of m.procs) console.log(`    ${p.comm.padEnd(22)} rss ${mb(p.rss).padStart(9)}  pss ${mb(p.pss).padStart(9)}  (anonymous ${mb(p.pssAnon).padStart(9)})`);
  console.log(`    ${"total".padEnd(22)} rss ${mb(m.rss).padStart(9)}  pss ${mb(m.pss).padStart(9)}`);
}

/** A loopback port where nothing listens: Whetstone's Ollama check fails at once, as on a machine without it. */
async function closedPort() {
  return new Promise((res) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}
const env = { OLLAMA_HOST: `127.0.0.1:${await closedPort()}` };

// ---- 1 and 2: launch to interactive and idle memory, both apps ------------------

/** One launch: ms from session start to the ready first screen, and the memory once settled if asked. */
async function launch(name, dataDir, measureMemory) {
  const app = await launchApp({ dataDir, env, binary: apps[name] });
  try {
    // Looked for every 10 ms (webdriverio's default of 100 ms would round the times).
    await app.browser.$("body[data-ready='true']").waitForExist({ timeout: 30000, interval: 10 });
    const ms = performance.now() - app.startedAt;
    // What a user waits for: from the app's process starting (not WebDriver's session,
    // which starts it) to the page's ready mark, both as wall-clock times.
    const readyAt = await app.browser.execute(() => performance.timeOrigin + (performance.getEntriesByName("whetstone:ready")[0]?.startTime ?? NaN));
    const fromProcess = readyAt - startedAt(appPid(app.driver.pid, apps[name]));
    // Where the time went: until the webview starts loading the page (process, GTK,
    // WebKit), then in the page (its scripts, and for the app its start-up calls).
    const origin = await app.browser.execute(() => performance.timeOrigin);
    const toPage = origin - (performance.timeOrigin + app.startedAt);
    // In the page: navigation milestones and the app's own start-up marks (ms from the page's origin).
    const phases = await app.browser.execute(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const out = nav ? { response: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd } : {};
      for (const p of performance.getEntriesByType("paint")) out[p.name] = p.startTime;
      for (const m of performance.getEntriesByType("mark")) if (m.name.startsWith("whetstone:")) out[m.name.slice(10)] = m.startTime;
      return out;
    });
    let mem = null;
    if (measureMemory) {
      await sleep(SETTLE_MS);
      mem = memory(app, apps[name]);
    }
    return { ms, fromProcess, toPage, phases, mem };
  } finally {
    await app.close();
  }
}

const results = { launches: {}, fromProcess: {}, toPage: {}, phases: {}, firstLaunchMs: {}, idle: {}, session: null };
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s.at(-1) };
};

if (LAUNCHES > 0) {
  // One data directory per app, reused: the first launch (a new library for Whetstone,
  // its samples seeded) is reported apart; the others reopen it as a user's launch does.
  const dirs = { whetstone: scratchDir("bench-app"), hello: scratchDir("bench-hello") };
  for (const name of Object.keys(apps)) {
    results.launches[name] = [];
    results.fromProcess[name] = [];
    results.toPage[name] = [];
    results.phases[name] = [];
    results.firstLaunchMs[name] = (await launch(name, dirs[name], false)).ms;
  }
  for (let i = 0; i < LAUNCHES; i++) {
    for (const name of Object.keys(apps)) {
      const { ms, fromProcess, toPage, phases, mem } = await launch(name, dirs[name], i === LAUNCHES - 1);
      results.launches[name].push(ms);
      results.fromProcess[name].push(fromProcess);
      results.toPage[name].push(toPage);
      results.phases[name].push(phases);
      if (mem) results.idle[name] = mem;
    }
  }

  console.log(`\nlaunch to interactive (WebDriver session start → first screen ready), release builds, ${LAUNCHES} launches each:`);
  for (const name of Object.keys(apps)) {
    const s = stats(results.launches[name]);
    console.log(
      `  ${name.padEnd(10)} median ${s.median.toFixed(0)} ms  min ${s.min.toFixed(0)} ms  max ${s.max.toFixed(0)} ms  (first launch, new data dir: ${results.firstLaunchMs[name].toFixed(0)} ms)`,
    );
    const page = stats(results.launches[name].map((ms, i) => ms - results.toPage[name][i]));
    console.log(
      `  ${"".padEnd(10)} of which until the page starts loading: median ${stats(results.toPage[name]).median.toFixed(0)} ms; in the page: median ${page.median.toFixed(0)} ms`,
    );
    // When each milestone came, from the page's start (medians over the launches).
    const names = [...new Set(results.phases[name].flatMap((p) => Object.keys(p)))];
    const at = names.map((k) => [k, stats(results.phases[name].map((p) => p[k]).filter((v) => v !== undefined)).median]).sort((a, b) => a[1] - b[1]);
    console.log(`  ${"".padEnd(10)} in the page, medians: ${at.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(" · ")} ms`);
  }
  const delta = stats(results.launches.whetstone).median - stats(results.launches.hello).median;
  console.log(`  whetstone − hello-world (medians): ${delta.toFixed(0)} ms`);
  console.log(`\nlaunch to interactive from the app's process start (without WebDriver's session set-up; ±10 ms):`);
  for (const name of Object.keys(apps)) {
    const s = stats(results.fromProcess[name]);
    console.log(`  ${name.padEnd(10)} median ${s.median.toFixed(0)} ms  min ${s.min.toFixed(0)} ms  max ${s.max.toFixed(0)} ms`);
  }
  const fromProcessDelta = stats(results.fromProcess.whetstone).median - stats(results.fromProcess.hello).median;
  console.log(`  whetstone − hello-world (medians): ${fromProcessDelta.toFixed(0)} ms`);
  console.log(`\nidle memory ${SETTLE_MS / 1000} s after the first screen:`);
  for (const name of Object.keys(apps)) printMemory(name, results.idle[name]);
}

// ---- 3: a long session ------------------------------------------------------------

/** The template of long prompt `k`: Echo answers with its LINES rendered lines. */
const longTemplate = (k) => `user:\n{% for i in range(${LINES}) %}Prompt ${k}, line {{ i }}: the quick brown fox jumps over the lazy dog.\n{% endfor %}`;

/** What the page holds, to tell the outputs on screen from what stays behind. */
const pageStats = (browser) =>
  browser.execute(() => ({
    domNodes: document.getElementsByTagName("*").length,
    domTextChars: document.body.textContent.length,
    outputChars: [...document.querySelectorAll('[data-testid="pane-output"]')].reduce((s, p) => s + p.textContent.length, 0),
  }));

/** Run's state, and each pane's status and output length, read in the page (not the text: it is large). */
const runNow = (browser) =>
  browser.execute(() => ({
    run: document.querySelector('[data-testid="run"]')?.dataset.state,
    panes: [...document.querySelectorAll('[data-testid="pane"]')].map((p) => ({
      status: p.querySelector('[data-testid="pane-status"]')?.dataset.status,
      chars: p.querySelector('[data-testid="pane-output"]')?.textContent.length ?? 0,
    })),
  }));

/** Whetstone's memory and page now, printed and added to `snapshots`. */
async function snap(app, snapshots, label) {
  const m = memory(app, apps.whetstone);
  const page = await pageStats(app.browser);
  snapshots.push({ label, ...m, page });
  printMemory(`${label}: DOM ${page.domNodes} elements, ${(page.domTextChars / 1024).toFixed(0)} K chars of text (${(page.outputChars / 1024).toFixed(0)} K in the panes' outputs)`, m);
}

const promptShown = (browser) => browser.execute(() => document.querySelector("h1")?.innerText);

async function openPrompt(browser, name) {
  if ((await promptShown(browser)) === name) return;
  await browser.$(`${byTestId("prompt-item")}[data-name="${name}"]`).click();
  await browser.waitUntil(async () => (await promptShown(browser)) === name, { timeout: 5000 });
}

async function session(dataDir) {
  const app = await launchApp({ dataDir, env, binary: apps.whetstone });
  const { browser } = app;
  const $ = (id) => browser.$(byTestId(id));
  const snapshots = [];
  const mark = (label) => snap(app, snapshots, label);
  try {
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
    await sleep(SETTLE_MS);
    console.log(`\nlong session: ${RUNS} runs × ${PANES} panes on Echo, switching among ${PROMPTS} prompts`);
    await mark("idle after launch");

    const names = [];
    for (let k = 1; k <= PROMPTS; k++) {
      const name = `Long ${k}`;
      names.push(name);
      await $("new-prompt").click();
      await $("prompt-name-input").setValue(name);
      await browser.keys(["Enter"]);
      await browser.$(`${byTestId("prompt-item")}[data-name="${name}"]`).waitForExist();
      await browser.waitUntil(async () => (await promptShown(browser)) === name, { timeout: 5000 });
      await typeInto(await browser.$(`${byTestId("editor")} .cm-content`), longTemplate(k));
      while ((await browser.$$(byTestId("pane"))).length < PANES) await $("add-pane").click();
    }
    await sleep(SETTLE_MS);
    await mark(`before the runs (${PROMPTS} prompts of ${PANES} panes)`);

    const runMs = [];
    // The web process's and the app's PSS after each round of the prompts: a climb that
    // goes on is something kept; a plateau is the heaps' high-water mark.
    const series = [];
    for (let i = 0; i < RUNS; i++) {
      const name = names[i % names.length];
      await openPrompt(browser, name);
      const run = await $("run");
      await run.waitForEnabled({ timeout: 15000, timeoutMsg: `Run stayed disabled on ${name}` });
      const t0 = performance.now();
      await run.click();
      // Started (Run turns into Stop, or the panes show it), then idle with every pane final.
      let now = null;
      await browser.waitUntil(
        async () => {
          now = await runNow(browser);
          return now.run === "running" || now.panes.some((p) => p.status === "running");
        },
        // The panes show the prompt's last run until this one starts: it must be seen
        // running (four ~140 KB answers take longer than a look).
        { timeout: 10000, interval: 50, timeoutMsg: `run ${i + 1} was not seen starting` },
      );
      await browser.waitUntil(
        async () => {
          now = await runNow(browser);
          return now.run === "idle" && now.panes.length === PANES && now.panes.every((p) => ["ok", "error", "partial", "cancelled"].includes(p.status));
        },
        { timeout: 60000, interval: 100, timeoutMsg: `run ${i + 1} did not finish` },
      );
      const panes = now.panes;
      runMs.push(performance.now() - t0);
      if ((i + 1) % PROMPTS === 0) series.push({ runs: i + 1, ...memory(app, apps.whetstone) });
      if (panes.some((p) => p.status !== "ok" || p.chars < LINES * 50)) {
        throw new Error(`run ${i + 1} on ${name}: unexpected panes ${JSON.stringify(panes)}`);
      }
    }
    const r = stats(runMs);
    console.log(`  runs: median ${r.median.toFixed(0)} ms, min ${r.min.toFixed(0)} ms, max ${r.max.toFixed(0)} ms (click → every pane final)`);
    console.log(`  PSS after each round of ${PROMPTS} runs (total / web process / app):`);
    const appOf = (m) => m.procs[0].pss;
    for (let j = 0; j < series.length; j += 6) {
      console.log(`    ${series.slice(j, j + 6).map((m) => `${String(m.runs).padStart(3)}: ${(m.pss / 1024).toFixed(0)}/${(webPss(m) / 1024).toFixed(0)}/${(appOf(m) / 1024).toFixed(0)}`).join("  ")}`);
    }
    await mark(`right after ${RUNS} runs`);
    await sleep(LONG_SETTLE_MS);
    await mark(`${LONG_SETTLE_MS / 1000} s later`);
    idleCpu(snapshots.at(-2), snapshots.at(-1), LONG_SETTLE_MS);
    return { names, runMs, snapshots, series: series.map((m) => ({ runs: m.runs, pss: m.pss, rss: m.rss, webPss: webPss(m), appPss: appOf(m) })) };
  } finally {
    await app.close();
  }
}

/**
 * What the same screen takes without the session behind it: the app relaunched on the
 * session's library, each long prompt opened once (its last run restored in the panes),
 * ending on the prompt the session ended on.
 */
async function sameScreen(dataDir, names) {
  const app = await launchApp({ dataDir, env, binary: apps.whetstone });
  const snapshots = [];
  try {
    await app.browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
    const last = (RUNS - 1) % names.length;
    for (let j = 1; j <= names.length; j++) await openPrompt(app.browser, names[(last + j) % names.length]);
    const opened = memory(app, apps.whetstone);
    await sleep(LONG_SETTLE_MS);
    await snap(app, snapshots, `the same screen after a relaunch, ${LONG_SETTLE_MS / 1000} s after opening the ${names.length} prompts`);
    idleCpu(opened, snapshots[0], LONG_SETTLE_MS);
    return snapshots[0];
  } finally {
    await app.close();
  }
}

if (RUNS > 0) {
  const dataDir = scratchDir("bench-session");
  results.session = await session(dataDir);
  results.session.sameScreen = await sameScreen(dataDir, results.session.names);
  const [launched, before, after, settled] = results.session.snapshots;
  const same = results.session.sameScreen;
  const growth = (m) => `${mb(m.pss - before.pss)} PSS (${((m.pss / before.pss - 1) * 100).toFixed(1)} %)`;
  console.log(`  growth over the session: right after ${growth(after)}, settled ${growth(settled)}; setting up the prompts took ${mb(before.pss - launched.pss)} PSS`);
  console.log(`  settled session − the same screen relaunched: ${mb(settled.pss - same.pss)} PSS (web process ${mb(webPss(settled) - webPss(same))}, app ${mb(settled.procs[0].pss - same.procs[0].pss)})`);
}

writeFileSync(join(artifacts, "bench.json"), JSON.stringify({ apps, LAUNCHES, SETTLE_MS, RUNS, LINES, ...results }, null, 2));
