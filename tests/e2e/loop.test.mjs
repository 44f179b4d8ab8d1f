// The first ten minutes in the real window (issue 10): the first screen right while
// the providers' status is slow, a first start with no model
// (the sample library, the providers' status once, Echo), Run disabled with the
// core's reason for each refusal, JSON variables, a fresh re-run not served from the
// cache, a past cell's request opened and its values loaded back, four panes at
// 900×600, and a relaunch that reopens the panes, the values and the outputs.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { byTestId, launchApp, scratchDir, screenshot, startOllama, typeInto } from "./harness.mjs";

/** A loopback port where nothing listens. */
async function closedPort() {
  return new Promise((res) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

/** The open prompt's name. Read in the page: WebKitWebDriver's getText gives "" for
 * this ellipsised heading. */
const promptName = (browser) => browser.execute(() => document.querySelector("h1")?.innerText ?? "");

/** The page's text, read in the page (elements re-render as runs end). */
const bodyText = (browser) => browser.execute(() => document.body.innerText);

/** Each pane's status, output text and footer, read in the page. */
const panesNow = (browser) =>
  browser.execute(() =>
    [...document.querySelectorAll('[data-testid="pane"]')].map((p) => ({
      status: p.querySelector('[data-testid="pane-status"]').dataset.status,
      output: p.querySelector('[data-testid="pane-output"]').innerText,
      cached: !!p.querySelector('[data-testid="pane-cached"]'),
    })),
  );

async function waitPanesDone(browser, count, timeout = 20000) {
  await browser.waitUntil(
    async () => {
      const panes = await panesNow(browser);
      return panes.length >= count && panes.slice(0, count).every((p) => ["ok", "error", "partial", "cancelled"].includes(p.status));
    },
    { timeout, timeoutMsg: `the ${count} panes did not finish` },
  );
  return panesNow(browser);
}

/** The prompt's runs as the side panel counts them. */
const runCount = (browser) =>
  browser.execute(() => Number(document.querySelector('[data-testid="tab-runs"] .count')?.textContent || 0));

/**
 * Clicks Run once the run check allows it, and waits until the run is filed (the
 * history is read again when a run ends): until then the panes may still show the
 * previous run's final states.
 */
async function clickRun(browser) {
  const before = await runCount(browser);
  const run = await browser.$(byTestId("run"));
  await run.waitForEnabled({ timeout: 10000, timeoutMsg: "Run stayed disabled" });
  await run.click();
  await browser.waitUntil(async () => (await runCount(browser)) > before, { timeout: 20000, timeoutMsg: "the run never reached the history" });
}

/** The reason Run is disabled, once it matches `pattern` (names show as code, without backticks). */
async function waitReason(browser, pattern) {
  let last = "";
  await browser.waitUntil(
    async () => {
      const el = await browser.$(byTestId("run-blocked-reason"));
      // innerText: WebKitWebDriver's getText gives "" for text cut with an ellipsis.
      last = (await el.isExisting()) ? await el.getProperty("innerText") : "";
      return pattern.test(last);
    },
    { timeout: 10000, timeoutMsg: `Run's reason never matched ${pattern} (last: "${last}")` },
  );
  assert.equal(await browser.$(byTestId("run")).isEnabled(), false, "Run is disabled while there is a reason");
  return last;
}

/** Replaces the editor's text with `text`. */
async function setTemplate(browser, text) {
  const editor = await browser.$(`${byTestId("editor")} .cm-content`);
  await editor.click();
  await browser.keys(["Control", "a"]);
  await browser.keys(["Delete"]);
  if (text) await typeInto(editor, text);
}

async function openPrompt(browser, name) {
  await browser.$(`${byTestId("prompt-item")}[data-name="${name}"]`).click();
  await browser.waitUntil(async () => (await promptName(browser)) === name, { timeout: 5000 });
}

async function newPrompt(browser, name) {
  await browser.$(byTestId("new-prompt")).click();
  await browser.$(byTestId("prompt-name-input")).setValue(name);
  await browser.keys(["Enter"]);
  await browser.$(`${byTestId("prompt-item")}[data-name="${name}"]`).waitForExist();
}

async function setPane(browser, index, provider, model) {
  const pane = (await browser.$$(byTestId("pane")))[index];
  await pane.$(byTestId("pane-provider")).selectByAttribute("value", provider);
  const field = await pane.$(byTestId("pane-model"));
  if (model) {
    await field.setValue(model);
  } else {
    // Emptied as a user does (WebKitWebDriver refuses an empty setValue).
    await field.click();
    await browser.keys(["Control", "a"]);
    await browser.keys(["Backspace"]);
  }
}

describe("the first screen, while the providers' status is slow", () => {
  let app;
  let server;

  after(async () => {
    await app?.close();
    server?.close();
  });

  test("an untouched sample is its v1 from the first frame, never \"Changed\"; its text never moves", async () => {
    // An "Ollama" that takes connections and never answers: the status waits for its
    // time limit, so the draft's status is shown long before the panes' target is known.
    server = net.createServer(() => {}).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    app = await launchApp({ dataDir: scratchDir("badge"), env: { OLLAMA_HOST: `127.0.0.1:${server.address().port}` } });
    const { browser } = app;
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
    // Each frame: the badge, and where the template's last line is drawn (plain text
    // until CodeMirror has loaded, then the editor's: it must not move in the editor).
    const frames = await browser.executeAsync((done) => {
      const badges = new Set();
      const lines = new Set();
      const start = performance.now();
      let statusAt = null;
      const tick = (now) => {
        const badge = document.querySelector('[data-testid="version-badge"]');
        if (badge) badges.add(`${badge.dataset.state}: ${badge.textContent.trim()}`);
        const editor = document.querySelector('[data-testid="editor"]');
        const last = [...editor.querySelectorAll(".cm-line, .plain .text")].find((l) => l.textContent.startsWith("Say hello"));
        // In the editor's box: the providers' note, when it comes, moves the whole editor.
        const at = last?.getBoundingClientRect();
        const box = editor.getBoundingClientRect();
        lines.add(at ? `${editor.querySelector(".cm-editor") ? "editor" : "plain"} ${at.left - box.left},${at.top - box.top}` : "none");
        if (statusAt === null && document.querySelector('[data-testid="provider-summary"]')) statusAt = now;
        if ((statusAt !== null && now - statusAt > 500) || now - start > 10000) done({ badges: [...badges], lines: [...lines] });
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    assert.equal(await promptName(browser), "Start here");
    assert.deepEqual(frames.badges, ["clean: v1"]);
    const at = new Set(frames.lines.map((l) => l.split(" ")[1]));
    assert.equal(at.size, 1, `the template is shown from the first frame, in one place: ${frames.lines.join(" · ")}`);
    assert.ok(frames.lines.some((l) => l.startsWith("editor ")), frames.lines.join(" · "));
    // CodeMirror is not part of the first screen's script: the editor comes after it.
    const marks = await browser.execute(() => ["ready", "editor"].map((m) => performance.getEntriesByName(`whetstone:${m}`)[0]?.startTime));
    assert.ok(marks[0] < marks[1], `ready at ${marks[0]} ms, the editor at ${marks[1]} ms`);
  });
});

describe("a first start with no model", () => {
  let app;
  let browser;
  const dataDir = scratchDir("loop");

  before(async () => {
    app = await launchApp({ dataDir, env: { OLLAMA_HOST: `127.0.0.1:${await closedPort()}` } });
    browser = app.browser;
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
  });

  after(async () => {
    if (browser) await screenshot(browser, "loop-last-state").catch(() => {});
    await app?.close();
  });

  test("the sample library, the providers' status once, and a run on Echo", async () => {
    const names = await browser.$$(byTestId("prompt-item")).map((p) => p.getAttribute("data-name"));
    assert.deepEqual(names, ["Start here", "Summarize an article", "Support reply", "Sentiment (few-shot)"]);
    assert.equal(await promptName(browser), "Start here");

    const summary = await browser.$(byTestId("provider-summary"));
    await summary.waitForDisplayed({ timeout: 10000 });
    assert.match(await summary.getText(), /Ollama is not reachable/);
    assert.match(await summary.getText(), /ollama serve/);
    assert.match(await summary.getText(), /Echo answers with the rendered prompt/);
    const text = await bodyText(browser);
    assert.equal(text.split("not reachable").length - 1, 1, "the status is said once, not per pane");
    assert.match(await browser.$(byTestId("provider-indicator")).getProperty("innerText"), /Echo ready/);
    // No placeholder that looks like content: the sample's own text is in the editor.
    assert.match(await browser.$(`${byTestId("editor")} .cm-content`).getText(), /Say hello to \{\{ name \}\}/);
    await screenshot(browser, "first-start");

    await clickRun(browser);
    const panes = await waitPanesDone(browser, 1);
    assert.equal(panes[0].status, "ok");
    assert.match(panes[0].output, /Say hello to Ada/);
    assert.match(panes[0].output, /Answer in English/);
  });

  test("Run is disabled with the core's reason for each refusal", async () => {
    await newPrompt(browser, "Refusals");
    // An empty prompt: a card offering an example, never grey text that looks like content.
    await browser.$(byTestId("empty-template")).waitForDisplayed({ timeout: 5000 });
    assert.equal(await browser.$(`${byTestId("editor")} .cm-content`).getText(), "");
    await waitReason(browser, /renders no message/);

    await browser.$(byTestId("start-from-example")).click();
    await browser.waitUntil(async () => /\{\{ question \}\}/.test(await browser.$(`${byTestId("editor")} .cm-content`).getText()));
    await waitReason(browser, /No value for the variables language and question/);

    await browser.$(byTestId("var-input-language")).setValue("English");
    await browser.$(byTestId("var-input-question")).setValue("x");
    await browser.keys(["Backspace"]);
    await waitReason(browser, /The variable question is empty/);
    const anyway = await browser.$(byTestId("run-anyway"));
    assert.ok(await anyway.isDisplayed(), "an empty value can be run anyway");
    await anyway.click();
    const panes = await waitPanesDone(browser, 2);
    assert.equal(panes[0].status, "ok");

    await browser.$(byTestId("var-input-question")).setValue("What is a whetstone?");
    await browser.waitUntil(async () => !(await browser.$(byTestId("run-blocked")).isExisting()), { timeout: 10000, timeoutMsg: "a reason stayed" });

    // A syntax error.
    await typeInto(await browser.$(`${byTestId("editor")} .cm-content`), "\n{% endif %}");
    await waitReason(browser, /does not parse/);

    // No model, and a provider known unreachable (Ollama is down): both listed.
    await setTemplate(browser, "user:\nHello");
    await setPane(browser, 1, "ollama", "");
    await waitReason(browser, /No model is chosen for Ollama/);
    await browser.$(byTestId("run-blocked")).click();
    const problems = await browser.$(byTestId("run-problems"));
    await problems.waitForDisplayed();
    assert.match(await problems.getText(), /Ollama is not reachable/);
    const provider = (await browser.$$(byTestId("pane")))[1].$(byTestId("pane-provider"));
    assert.match(await provider.getAttribute("class"), /problem/);
    await screenshot(browser, "run-disabled");
    await browser.keys(["Escape"]);
    await setPane(browser, 1, "echo", "echo");
    await browser.waitUntil(async () => !(await browser.$(byTestId("run-blocked")).isExisting()), { timeout: 10000 });
  });

  test("a template without a user message is flagged where one types, fixed in a click", async () => {
    await setTemplate(browser, "Summarize this: {{ text }}");
    await browser.$(byTestId("var-input-text")).waitForExist({ timeout: 5000 });
    await browser.$(byTestId("var-input-text")).setValue("Whetstones are sharpening stones.");
    const flag = await browser.$(byTestId("no-user-line"));
    await flag.waitForDisplayed({ timeout: 10000 });
    assert.match(await flag.getText(), /system message/);
    assert.equal(await browser.$(byTestId("run")).isEnabled(), true, "a warning, not a refusal");
    await browser.$(byTestId("add-user-line")).click();
    await browser.waitUntil(async () => /user:/.test(await browser.$(`${byTestId("editor")} .cm-content`).getText()));
    await flag.waitForDisplayed({ reverse: true, timeout: 10000 });
    await clickRun(browser);
    const panes = await waitPanesDone(browser, 1);
    assert.match(panes[0].output, /^user:\nSummarize this: Whetstones/m);
  });

  test("JSON variables: the sample's values, and where bad JSON stops", async () => {
    await openPrompt(browser, "Support reply");
    const customer = await browser.$(byTestId("var-mode-customer-json"));
    assert.equal(await customer.getAttribute("aria-checked"), "true");
    await clickRun(browser);
    const panes = await waitPanesDone(browser, 1);
    assert.match(panes[0].output, /Grace Hopper/);
    assert.match(panes[0].output, /Coticule 200 × 50 mm/);

    const field = await browser.$(byTestId("var-input-customer"));
    // A line break typed as Enter: WebKitWebDriver drops a "\n" inside the text sent.
    await field.setValue('{"name": "Ada",');
    await browser.keys(["Enter"]);
    await field.addValue(' "plan": }');
    const error = await browser.$(byTestId("var-error-customer"));
    await error.waitForDisplayed({ timeout: 5000 });
    assert.match(await error.getText(), /not JSON: .* line 2, column \d+/);
    await waitReason(browser, /The value of customer is not JSON/);
    await field.setValue('{"name": "Ada Lovelace", "plan": "pro"}');
    await error.waitForDisplayed({ reverse: true, timeout: 5000 });
    await clickRun(browser);
    await browser.waitUntil(async () => /Ada Lovelace/.test((await panesNow(browser))[0].output), { timeout: 10000 });
  });

  test("four panes at 900×600 stay readable", async () => {
    await openPrompt(browser, "Start here");
    while ((await browser.$$(byTestId("pane"))).length < 4) await browser.$(byTestId("add-pane")).click();
    await browser.setWindowSize(900, 600);
    await browser.waitUntil(async () => (await browser.execute(() => window.innerWidth)) <= 900, { timeout: 5000 });
    await clickRun(browser);
    await waitPanesDone(browser, 4);
    await screenshot(browser, "four-panes-900x600");
    const layout = await browser.execute(() => {
      const grid = document.querySelector('[data-testid="pane-grid"]');
      const panes = [...document.querySelectorAll('[data-testid="pane"]')];
      const box = (el) => el.getBoundingClientRect();
      return {
        columns: Number(grid.dataset.columns),
        innerWidth: window.innerWidth,
        panes: panes.map((p) => ({
          right: box(p).right,
          width: box(p).width,
          model: box(p.querySelector('[data-testid="pane-model"]')).width,
          provider: box(p.querySelector('[data-testid="pane-provider"]')).width,
          source: box(p.querySelector('[data-testid="pane-source"]')).width,
          footClipped: (() => {
            const foot = p.querySelector("footer");
            return foot.scrollWidth > foot.clientWidth + 1;
          })(),
          statsClipped: (() => {
            const s = p.querySelector('[data-testid="pane-stats"]');
            return s.scrollWidth > s.clientWidth + 1;
          })(),
          footHeight: box(p.querySelector("footer")).height,
          outputHeight: box(p.querySelector('[data-testid="pane-output"]')).height,
        })),
      };
    });
    assert.equal(layout.columns, 2, "four panes wrap into two rows below 1100 px");
    for (const [i, p] of layout.panes.entries()) {
      assert.ok(p.right <= layout.innerWidth, `pane ${i + 1} ends inside the window`);
      assert.ok(p.model >= 120, `pane ${i + 1}: the model field is ${p.model} px wide`);
      assert.ok(p.provider >= 80 && p.source >= 60, `pane ${i + 1}: the selects show their value`);
      assert.equal(p.footClipped, false, `pane ${i + 1}: the footer is not cut off`);
      assert.equal(p.statsClipped, false, `pane ${i + 1}: the stats are not cut off`);
      assert.ok(p.outputHeight >= 60, `pane ${i + 1}: ${p.outputHeight} px of output`);
    }
    assert.equal(new Set(layout.panes.map((p) => Math.round(p.footHeight))).size, 1, "equal footers");
  });
});

describe("fresh answers, a past cell's request, and a relaunch", () => {
  let ollama;
  let app;
  let browser;
  const dataDir = scratchDir("loop-ollama");

  before(async () => {
    ollama = await startOllama(["--models", "llama3.2:1b"]);
    app = await launchApp({ dataDir, env: { OLLAMA_HOST: ollama.url } });
    browser = app.browser;
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
  });

  after(async () => {
    if (browser) await screenshot(browser, "loop-ollama-last-state").catch(() => {});
    await app?.close();
    await ollama?.stop();
  });

  test("a re-run at temperature 0 is cached; Run fresh is not", async () => {
    await newPrompt(browser, "Fresh");
    await typeInto(await browser.$(`${byTestId("editor")} .cm-content`), "user:\nTell me about {{ topic }}");
    await browser.$(byTestId("var-input-topic")).waitForExist({ timeout: 5000 });
    await browser.$(byTestId("var-input-topic")).setValue("whetstones");
    // One pane, on the test server's model, at temperature 0.
    await (await browser.$$(byTestId("pane")))[1].$(byTestId("remove-pane")).click();
    await setPane(browser, 0, "ollama", "llama3.2:1b");
    await browser.$(byTestId("params-toggle")).click();
    await browser.$(byTestId("param-temperature")).setValue("0");
    await browser.$(byTestId("params-toggle")).click();

    await clickRun(browser);
    let [pane] = await waitPanesDone(browser, 1);
    assert.equal(pane.status, "ok");
    assert.equal(pane.cached, false);
    assert.match(pane.output, /Tell me about whetstones/);

    await clickRun(browser);
    await browser.waitUntil(async () => (await panesNow(browser))[0].cached, { timeout: 10000, timeoutMsg: "the same request was not answered from the cache" });

    await browser.$(byTestId("run-menu")).click();
    await browser.$(byTestId("run-fresh")).click();
    await browser.waitUntil(async () => {
      const [p] = await panesNow(browser);
      return p.status === "ok" && !p.cached;
    }, { timeout: 10000, timeoutMsg: "Run fresh was served from the cache" });
    [pane] = await panesNow(browser);
    assert.match(pane.output, /Tell me about whetstones/);
  });

  test("a past cell opens to what produced it, and its values load back", async () => {
    await browser.$(byTestId("var-input-topic")).setValue("something else");
    await browser.$(byTestId("tab-runs")).click();
    const items = await browser.$$(byTestId("run-item"));
    assert.equal(items.length, 3);
    await items[items.length - 1].click();
    await browser.$(byTestId("back-to-live")).waitForDisplayed();
    await browser.$(byTestId("pane-details")).click();
    const dialog = await browser.$(byTestId("cell-details"));
    await dialog.waitForDisplayed({ timeout: 5000 });
    assert.match(await browser.$(byTestId("details-vars")).getText(), /topic[\s\S]*whetstones/);
    assert.match(await browser.$(byTestId("details-messages")).getText(), /Tell me about whetstones/);
    assert.match(await browser.$(byTestId("details-template")).getText(), /Tell me about \{\{ topic \}\}/);
    const request = await browser.$(byTestId("details-request"));
    assert.match(await request.getText(), /^curl /);
    assert.match(await request.getText(), new RegExp(`${ollama.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/api/chat`));
    await browser.$(byTestId("details-format-json")).click();
    const json = JSON.parse(await browser.$(byTestId("details-request")).getText());
    assert.equal(json.body.options.temperature, 0);
    await screenshot(browser, "cell-details");
    await browser.$(byTestId("load-inputs")).click();
    await dialog.waitForDisplayed({ reverse: true });
    await browser.$(byTestId("tab-vars")).click();
    assert.equal(await browser.$(byTestId("var-input-topic")).getValue(), "whetstones");
    await browser.$(byTestId("back-to-live")).click();
  });

  test("a relaunch reopens the panes, the values and the last run's outputs", async () => {
    await browser.$(byTestId("add-pane")).click();
    await setPane(browser, 1, "echo", "echo");
    await clickRun(browser);
    const before = await waitPanesDone(browser, 2);
    await browser.pause(800); // the setup and values are saved as typing pauses
    await app.close();

    app = await launchApp({ dataDir, env: { OLLAMA_HOST: ollama.url } });
    browser = app.browser;
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
    assert.equal(await promptName(browser), "Fresh", "the prompt used last is open");
    await browser.$(byTestId("restored-run")).waitForDisplayed({ timeout: 5000 });
    const panes = await browser.$$(byTestId("pane"));
    assert.equal(panes.length, 2);
    assert.equal(await panes[0].$(byTestId("pane-provider")).getValue(), "ollama");
    assert.equal(await panes[0].$(byTestId("pane-model")).getValue(), "llama3.2:1b");
    assert.equal(await panes[1].$(byTestId("pane-provider")).getValue(), "echo");
    assert.equal(await browser.$(byTestId("var-input-topic")).getValue(), "whetstones");
    const after = await panesNow(browser);
    assert.deepEqual(
      after.map((p) => [p.status, p.output]),
      before.map((p) => [p.status, p.output]),
    );
    await screenshot(browser, "relaunch");
  });
});
