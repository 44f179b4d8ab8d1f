// End-to-end bench of the real window: launch to interactive, and idle memory of
// the app with its WebKit processes. Prints a table; run by `cargo xtask bench`.
import { readFileSync, readdirSync } from "node:fs";
import { launchApp, scratchDir } from "./harness.mjs";

const LAUNCHES = Number(process.env.LAUNCHES ?? 5);

/** PIDs of `root` and all its descendants. */
function tree(root) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
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
  walk(root);
  return out;
}

function memoryKb(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
  const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  return { pid, comm, rss: field("Rss"), pss: field("Pss") };
}

function appPid(driverPid) {
  for (const pid of tree(driverPid)) {
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    if (comm === "whetstone") return pid;
  }
  throw new Error("the app process was not found under tauri-driver");
}

const launches = [];
let memory;
for (let i = 0; i < LAUNCHES; i++) {
  const app = await launchApp({ dataDir: scratchDir("bench") });
  try {
    await app.browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
    launches.push(performance.now() - app.startedAt);
    if (i === LAUNCHES - 1) {
      await new Promise((r) => setTimeout(r, 5000)); // let it settle to idle
      const pids = tree(appPid(app.driver.pid)).filter((pid) => {
        const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        return comm === "whetstone" || comm.startsWith("WebKit");
      });
      memory = pids.map(memoryKb);
    }
  } finally {
    await app.close();
  }
}

launches.sort((a, b) => a - b);
const median = launches[Math.floor(launches.length / 2)];
console.log(`launch to interactive (session start → first screen ready), ${LAUNCHES} launches:`);
console.log(`  median ${median.toFixed(0)} ms, min ${launches[0].toFixed(0)} ms, max ${launches.at(-1).toFixed(0)} ms`);
console.log("idle memory after 5 s:");
for (const m of memory) console.log(`  ${m.comm.padEnd(22)} rss ${(m.rss / 1024).toFixed(1)} MB  pss ${(m.pss / 1024).toFixed(1)} MB`);
const sum = (k) => memory.reduce((s, m) => s + m[k], 0) / 1024;
console.log(`  ${"total".padEnd(22)} rss ${sum("rss").toFixed(1)} MB  pss ${sum("pss").toFixed(1)} MB`);
