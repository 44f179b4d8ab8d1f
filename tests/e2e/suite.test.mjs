// Suites and the matrix in the real window, against loopback Ollama test servers:
// three test cases typed in and two imported from CSV, run over two columns (the
// draft and v1, each on its own model), pass / fail and scores shown, a cell opened,
// two cells diffed, a check edited and the run re-scored, a run cancelled with its
// finished cells kept. Screenshots at the default size and the minimum size, light
// and dark.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { byTestId, launchApp, scratchDir, screenshot, startOllama, typeInto, whet } from "./harness.mjs";

// The test server answers "You said: <the last user message>".
const V1 = "user:\nWhat is the capital of {{ country }}?";
const DRAFT = "user:\nName the capital city of {{ country }}, please.";

/** France passes in both columns, Italy in neither, Spain only in the draft's. */
const TYPED = [
  { country: "France", check: "France" },
  { country: "Italy", check: "Rome" },
  { country: "Spain", check: "capital city" },
];
/** Peru passes, Chile fails. */
const CSV = "country,__expected\nPeru,contains: Peru\nChile,contains: Santiago\n";

describe("suites and the matrix", () => {
  let fast;
  let slow;
  let dataDir;
  let app;
  let browser;
  const $ = (id) => browser.$(byTestId(id));
  const $$ = (id) => browser.$$(byTestId(id));

  /** The verdicts of the matrix, row by row ("pass", "fail" or "" unscored). */
  async function verdicts() {
    return browser.execute(() =>
      [...document.querySelectorAll('[data-testid="matrix-row"]')].map((row) =>
        [...row.querySelectorAll('[data-testid="matrix-cell"]')].map((c) => c.getAttribute("data-verdict")),
      ),
    );
  }

  async function progress() {
    return browser.execute(() => {
      const p = document.querySelector('[data-testid="suite-progress"]');
      return p ? { done: Number(p.getAttribute("data-done")), total: Number(p.getAttribute("data-total")) } : null;
    });
  }

  /** Waits until the grid shows `count` rows: the virtualised list mounts them once it has measured its viewport. */
  async function rowsShown(count) {
    await browser.waitUntil(async () => (await $$("matrix-row")).length === count, { timeout: 10000, timeoutMsg: `the matrix did not show its ${count} rows` });
  }

  async function runEnded(total) {
    await browser.waitUntil(
      async () => {
        const p = await progress();
        const running = await $("cancel-suite").isEnabled();
        return p && p.done === total && !running;
      },
      { timeout: 30000, interval: 100, timeoutMsg: `the suite run did not finish its ${total} cells` },
    );
  }

  async function setPane(index, { source, provider, model }) {
    const pane = (await $$("pane"))[index];
    if (source) await pane.$(byTestId("pane-source")).selectByVisibleText(source);
    await pane.$(byTestId("pane-provider")).selectByAttribute("value", provider);
    await pane.$(byTestId("pane-model")).setValue(model);
  }

  before(async () => {
    fast = await startOllama(["--models", "llama3.2:1b,qwen2.5:0.5b"]);
    slow = await startOllama(["--models", "slow", "--chunk-delay-ms", "250"]);
    dataDir = scratchDir("suite");
    whet(dataDir, ["providers", "add", "slow", "--kind", "ollama", "--base-url", slow.url, "--concurrency", "2"]);
    app = await launchApp({ dataDir, env: { OLLAMA_HOST: fast.url } });
    browser = app.browser;
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
  });

  after(async () => {
    if (browser) await screenshot(browser, "suite-last-state").catch(() => {});
    await app?.close();
    await fast?.stop();
    await slow?.stop();
  });

  test("a prompt with v1 and a different draft, on two panes", async () => {
    await $("new-prompt").click();
    await $("prompt-name-input").setValue("Capitals");
    await browser.keys(["Enter"]);
    await browser.$(`${byTestId("prompt-item")}[data-name="Capitals"]`).waitForExist();
    const editor = await browser.$(`${byTestId("editor")} .cm-content`);
    await typeInto(editor, V1);
    await $("var-input-country").waitForExist({ timeout: 5000 });
    await $("save-version").click();
    await $("version-message").setValue("First");
    await $("confirm-save-version").click();
    await browser.waitUntil(async () => (await $("version-badge").getText()) === "v1", { timeout: 5000 });
    await editor.click();
    await browser.keys(["Control", "a"]);
    await typeInto(editor, DRAFT);
    await browser.waitUntil(async () => !/What is/.test(await editor.getText()), { timeoutMsg: "the draft still holds v1's text" });
    await browser.waitUntil(async () => /capital city/.test(await editor.getText()));
    await setPane(0, { source: "Draft", provider: "ollama", model: "llama3.2:1b" });
    await setPane(1, { source: "v1", provider: "ollama", model: "qwen2.5:0.5b" });
  });

  test("three cases typed into the suite, two imported from CSV", async () => {
    await $("view-suite").click();
    await $("suite-editor").waitForDisplayed();
    for (const [i, c] of TYPED.entries()) {
      await $("add-case").click();
      await browser.waitUntil(async () => (await $$("case-row")).length === i + 1);
      const row = (await $$("case-row"))[i];
      await row.$(byTestId("cell-var-country")).setValue(c.country);
      await $("case-detail").$(`${byTestId("detail-case")}`).waitForExist();
      await $("add-assertion").selectByAttribute("value", "contains");
      // The selected case is the new one: its checks are the panel's.
      await browser.waitUntil(async () => (await $("case-assertions").$$(byTestId("assertion-value"))).length === 1, {
        timeout: 5000,
        timeoutMsg: `no check was added to case ${i + 1}`,
      });
      await $("case-assertions").$(byTestId("assertion-value")).setValue(c.check);
    }
    // The template reads `country` only: no column is flagged.
    assert.equal(await browser.$$(".colhead.unread").length, 0);
    await screenshot(browser, "suite-editor");

    const file = join(dataDir, "more-cases.csv");
    writeFileSync(file, CSV);
    await $("import-file").addValue(file);
    await browser.waitUntil(async () => (await $("case-count").getText()) === "5 test cases", {
      timeout: 10000,
      timeoutMsg: "the CSV's two cases did not arrive",
    });
    const countries = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="case-row"] [data-testid="cell-var-country"]')].map((t) => t.value),
    );
    assert.deepEqual(countries, ["France", "Italy", "Spain", "Peru", "Chile"]);
    // Importing saved the typed cases first: nothing is left unsaved.
    assert.equal(await $("save-suite").isEnabled(), false);
  });

  test("run suite: every case × column streams, is scored, and each column is summed up", async () => {
    await $("run-suite").click();
    await $("results").waitForDisplayed();
    await runEnded(10);
    await rowsShown(5);
    assert.deepEqual(await verdicts(), [
      ["pass", "pass"],
      ["fail", "fail"],
      ["pass", "fail"],
      ["pass", "pass"],
      ["fail", "fail"],
    ]);
    const rates = await $$("pass-rate").map((e) => e.getText());
    assert.deepEqual(rates, ["60%", "40%"]);
    const footer = await $("matrix-footer").getText();
    assert.match(footer, /case\/contains/);
    assert.match(footer, /p50/);
    const heads = await $$("column-head").map((e) => e.getText());
    assert.match(heads[0], /Draft/);
    assert.match(heads[1], /v1/);
    await screenshot(browser, "matrix");

    await $("filter-disagree").click();
    await browser.waitUntil(async () => (await $$("matrix-row")).length === 1);
    // Read in the page: the clamped case title is not "visible text" to WebDriver.
    assert.match(await browser.execute(() => document.querySelector('[data-testid="matrix-row"]').innerText), /Spain/);
    await $("filter-disagree").click();
    await rowsShown(5);
  });

  test("a cell opens to its output, messages and every score with its reason", async () => {
    const cell = (await (await $$("matrix-row"))[1].$$(byTestId("matrix-cell")))[0];
    await cell.click();
    await $("cell-detail").waitForDisplayed();
    assert.match(await $("detail-output").getText(), /Name the capital city of Italy, please\./);
    const scores = await $("detail-scores").getText();
    assert.match(scores, /case\/contains/);
    assert.match(scores, /Rome/);
    assert.match(scores, /fail/);
    await screenshot(browser, "cell-detail");
    await $("detail-close").click();
    await $("cell-detail").waitForExist({ reverse: true });
  });

  test("two cells diffed, side by side and inline", async () => {
    const row = (await $$("matrix-row"))[0];
    const picks = await row.$$(byTestId("cell-pick"));
    await picks[0].click();
    await picks[1].click();
    await $("diff-dialog").waitForDisplayed();
    await browser.waitUntil(async () => (await $("diff-view").isExisting()) && /France/.test(await $("diff-view").getText()));
    const side = await $("diff-view").getText();
    assert.match(side, /Name the capital city of France, please\./);
    assert.match(side, /What is the capital of France\?/);
    await screenshot(browser, "diff-side");
    await $("diff-layout-inline").click();
    await browser.waitUntil(async () => (await $("diff-view").getAttribute("data-layout")) === "inline");
    const deleted = await browser.execute(() => [...document.querySelectorAll('[data-testid="diff-view"] del')].map((d) => d.textContent).join(""));
    const inserted = await browser.execute(() => [...document.querySelectorAll('[data-testid="diff-view"] ins')].map((d) => d.textContent).join(""));
    assert.match(deleted, /Name/);
    assert.match(inserted, /What/);
    // Escape closes a modal (the cell's dialog above closed by its button).
    await browser.keys(["Escape"]);
    await $("diff-dialog").waitForExist({ reverse: true, timeoutMsg: "Escape did not close the comparison" });
  });

  test("a check edited in the suite, and the shown run re-scored without running it again", async () => {
    await $("view-suite").click();
    // The table's rows mount once the virtualised list has measured its viewport.
    await browser.waitUntil(async () => (await $$("case-row")).length === 5, { timeoutMsg: "the suite's rows did not show" });
    const italy = (await $$("case-row"))[1];
    await italy.$(byTestId("cell-var-country")).click();
    const value = await $("case-assertions").$(byTestId("assertion-value"));
    await value.setValue("Italy");
    await $("save-suite").click();
    await browser.waitUntil(async () => !(await $("save-suite").isEnabled()), { timeoutMsg: "the suite was not saved" });
    await $("view-results").click();
    await $("rescore-offer").waitForDisplayed({ timeout: 5000 });
    await $("rescore").click();
    await $("rescore-offer").waitForExist({ reverse: true, timeout: 10000 });
    await browser.waitUntil(async () => (await verdicts())[1].every((v) => v === "pass"), { timeoutMsg: "Italy was not re-scored" });
    const rates = await $$("pass-rate").map((e) => e.getText());
    assert.deepEqual(rates, ["80%", "60%"]);
    // Re-scoring ran nothing: the progress still counts the first run's 10 cells.
    assert.deepEqual(await progress(), { done: 10, total: 10 });
  });

  test("a run cancelled mid-way keeps its finished cells", async () => {
    await $("view-playground").click();
    await setPane(0, { provider: "slow", model: "slow" });
    await setPane(1, { provider: "slow", model: "slow" });
    await browser.keys(["Control", "Shift", "Enter"]);
    await $("results").waitForDisplayed();
    await browser.waitUntil(
      async () => {
        const p = await progress();
        return p && p.total === 10 && p.done >= 2;
      },
      { timeout: 30000, interval: 50, timeoutMsg: "no cell of the slow run finished" },
    );
    await screenshot(browser, "matrix-streaming");
    await $("cancel-suite").click();
    await browser.waitUntil(async () => /Cancelled/.test(await $("suite-progress").getText()), { timeout: 15000 });
    const cells = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="matrix-cell"]')].map((c) => ({ status: c.getAttribute("data-status"), verdict: c.getAttribute("data-verdict") })),
    );
    const ok = cells.filter((c) => c.status === "ok");
    const cancelled = cells.filter((c) => c.status === "cancelled");
    assert.ok(ok.length >= 2, `finished cells were not kept: ${JSON.stringify(cells)}`);
    assert.ok(cancelled.length >= 1, `nothing was cancelled: ${JSON.stringify(cells)}`);
    assert.ok(ok.every((c) => c.verdict === "pass" || c.verdict === "fail"), "a finished cell lost its score");
    assert.equal(ok.length + cancelled.length, 10);
    await screenshot(browser, "matrix-cancelled");

    // The rest run again in place.
    await $("rerun-failed").click();
    await browser.waitUntil(
      async () =>
        browser.execute(() => {
          const cells = [...document.querySelectorAll('[data-testid="matrix-cell"]')];
          return cells.length === 10 && cells.every((c) => c.getAttribute("data-status") === "ok");
        }),
      { timeout: 30000, timeoutMsg: "the rerun did not finish every cell" },
    );
  });

  test("the window at its minimum size", async () => {
    await browser.setWindowSize(900, 600);
    await browser.pause(300);
    await screenshot(browser, "matrix-900x600");
    await $("view-suite").click();
    await screenshot(browser, "suite-editor-900x600");
    await $("view-results").click();
    await browser.setWindowSize(1280, 800);
  });
});

describe("suites in the dark", () => {
  test("the suite editor and the matrix with a dark theme", async () => {
    const dataDir = scratchDir("suite-dark");
    const server = await startOllama(["--models", "llama3.2:1b"]);
    const app = await launchApp({ dataDir, env: { OLLAMA_HOST: server.url, GTK_THEME: "Adwaita:dark" } });
    const { browser } = app;
    const $ = (id) => browser.$(byTestId(id));
    try {
      await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
      const dark = await browser.execute(() => matchMedia("(prefers-color-scheme: dark)").matches);
      assert.ok(dark, "the webview does not see a dark theme");
      await $("new-prompt").click();
      await $("prompt-name-input").setValue("Dark");
      await browser.keys(["Enter"]);
      const editor = await browser.$(`${byTestId("editor")} .cm-content`);
      await typeInto(editor, "user:\nSay something about {{ topic }}");
      await $("var-input-topic").waitForExist({ timeout: 5000 });
      const pane = (await browser.$$(byTestId("pane")))[0];
      await pane.$(byTestId("pane-provider")).selectByAttribute("value", "ollama");
      await pane.$(byTestId("pane-model")).setValue("llama3.2:1b");
      const pane2 = (await browser.$$(byTestId("pane")))[1];
      await pane2.$(byTestId("pane-provider")).selectByAttribute("value", "echo");
      await pane2.$(byTestId("pane-model")).setValue("echo");
      await $("view-suite").click();
      const file = join(dataDir, "topics.csv");
      writeFileSync(file, "topic,__expected\nwhetstones,icontains: whetstone\nrivers,contains: ocean\nbread,\"not-contains: sorry\"\n");
      await $("import-file").addValue(file);
      await browser.waitUntil(async () => (await $("case-count").getText()) === "3 test cases", { timeout: 10000 });
      await screenshot(browser, "suite-editor-dark");
      await $("run-suite").click();
      await browser.waitUntil(async () => (await browser.$$(`${byTestId("matrix-cell")}[data-verdict="pass"]`).length) >= 2, { timeout: 20000 });
      await browser.pause(1200);
      await screenshot(browser, "matrix-dark");
      await browser.setWindowSize(900, 600);
      await browser.pause(300);
      await screenshot(browser, "matrix-dark-900x600");
    } finally {
      await app.close();
      await server.stop();
    }
  });
});
