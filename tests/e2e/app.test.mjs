// The real Whetstone window under Xvfb, driven over WebDriver (tauri-driver +
// WebKitWebDriver), against the loopback Ollama test server.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { byTestId, launchApp, scratchDir, screenshot, startOllama, typeInto } from "./harness.mjs";

const TEMPLATE = "system:\nYou answer in one short sentence.\nuser:\nTell me about {{ topic }}";

describe("the main flow", () => {
  let ollama;
  let app;
  let browser;
  const $ = (id) => browser.$(byTestId(id));

  before(async () => {
    ollama = await startOllama(["--models", "llama3.2:1b,qwen2.5:0.5b", "--chunk-delay-ms", "150"]);
    app = await launchApp({ dataDir: scratchDir("e2e"), env: { OLLAMA_HOST: ollama.url } });
    browser = app.browser;
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
  });

  after(async () => {
    if (browser) await screenshot(browser, "last-state").catch(() => {});
    await app?.close();
    await ollama?.stop();
  });

  test("create a prompt and type a template with a variable", async () => {
    await $("new-prompt").click();
    const name = await $("prompt-name-input");
    await name.waitForDisplayed();
    await name.setValue("Whetstone facts");
    await browser.keys(["Enter"]);
    await browser.$(`${byTestId("prompt-item")}[data-name="Whetstone facts"]`).waitForExist();

    const editor = await browser.$(`${byTestId("editor")} .cm-content`);
    await typeInto(editor, TEMPLATE);
    const text = await editor.getText();
    assert.match(text, /Tell me about \{\{ topic \}\}/);

    const topic = await $("var-input-topic");
    await topic.waitForExist({ timeout: 5000 });
    await topic.setValue("whetstones");
  });

  test("a syntax error is shown with its line", async () => {
    const editor = await browser.$(`${byTestId("editor")} .cm-content`);
    await typeInto(editor, " {% endif %}");
    const status = await $("editor-error");
    await status.waitForDisplayed({ timeout: 5000 });
    assert.match(await status.getText(), /^4:\d+/);

    await browser.keys(["Control", "a"]);
    await typeInto(editor, TEMPLATE);
    await browser.waitUntil(async () => !(await $("editor-error").isExisting()), {
      timeout: 5000,
      timeoutMsg: "the error stays after the template was fixed",
    });
    assert.doesNotMatch(await editor.getText(), /endif/);
  });

  test("run two panes against the test Ollama server and watch both stream", async () => {
    const panes = await browser.$$(byTestId("pane"));
    assert.ok(panes.length >= 2, `expected two panes, found ${panes.length}`);
    const models = ["llama3.2:1b", "qwen2.5:0.5b"];
    for (const [i, model] of models.entries()) {
      const pane = panes[i];
      await pane.$(byTestId("pane-provider")).selectByAttribute("value", "ollama");
      const modelInput = await pane.$(byTestId("pane-model"));
      if ((await modelInput.getTagName()) === "select") {
        await modelInput.selectByAttribute("value", model);
      } else {
        await modelInput.setValue(model);
      }
    }
    await $("run").click();

    // Streaming: some pane shows text while still running. What a running pane shows is
    // kept, to check it against the final answer (pieces are appended as they come).
    const seen = [];
    const look = async () => {
      const panes = await browser.execute(() =>
        [...document.querySelectorAll('[data-testid="pane"]')].map((p) => ({
          status: p.querySelector('[data-testid="pane-status"]').dataset.status,
          text: p.querySelector('[data-testid="pane-output"] .text')?.textContent ?? "",
        })),
      );
      panes.forEach(({ status, text }, i) => status === "running" && text && seen.push({ pane: i, text }));
      return panes.map((p) => p.status);
    };
    await browser.waitUntil(async () => (await look()).includes("running") && seen.length > 0, {
      timeout: 15000,
      interval: 20,
      timeoutMsg: "never saw a pane streaming",
    });
    await browser.waitUntil(async () => (await look()).slice(0, 2).every((s) => s === "ok"), {
      timeout: 20000,
      interval: 20,
      timeoutMsg: "the panes did not both finish ok",
    });
    const outputs = await browser.$$(byTestId("pane-output")).map((o) => o.getText());
    for (const output of outputs.slice(0, 2)) {
      assert.match(output, /Tell me about whetstones/);
    }
    const finals = await browser.execute(() => [...document.querySelectorAll('[data-testid="pane-output"] .text')].map((t) => t.textContent));
    for (const { pane, text } of seen) {
      assert.ok(finals[pane].startsWith(text), `pane ${pane} showed ${JSON.stringify(text)} while streaming, not a start of ${JSON.stringify(finals[pane])}`);
    }
    const stats = await browser.$$(byTestId("pane-stats")).map((s) => s.getText());
    assert.match(stats[0], /tok/);
    await screenshot(browser, "two-panes");
  });

  test("an unknown model says so in its pane", async () => {
    const pane = () => browser.$$(byTestId("pane"))[1];
    const modelInput = await pane().$(byTestId("pane-model"));
    if ((await modelInput.getTagName()) === "select") {
      await browser.execute((el) => {
        const opt = document.createElement("option");
        opt.value = opt.textContent = "no-such-model";
        el.appendChild(opt);
      }, modelInput);
      await modelInput.selectByAttribute("value", "no-such-model");
    } else {
      await modelInput.setValue("no-such-model");
    }
    await $("run").click();
    await browser.waitUntil(
      async () => (await pane().$(byTestId("pane-status")).getAttribute("data-status")) === "error",
      { timeout: 15000, timeoutMsg: "the pane with an unknown model did not end in error" },
    );
    // Read in the page: the pane re-renders as the run ends, which makes element
    // references go stale under WebKitWebDriver.
    const text = await browser.execute(() => document.querySelectorAll('[data-testid="pane"]')[1].innerText);
    assert.match(text, /no-such-model/);
    assert.match(text, /ollama pull/);
  });

  test("save a version, change the draft, reopen v1 from history", async () => {
    await $("save-version").click();
    await $("version-message").setValue("First cut");
    await $("confirm-save-version").click();
    await $("tab-history").click();
    const v1 = await browser.$(`${byTestId("version-item")}[data-number="1"]`);
    await v1.waitForExist({ timeout: 5000 });

    const editor = await browser.$(`${byTestId("editor")} .cm-content`);
    await typeInto(editor, " in detail");
    await browser.waitUntil(async () => /in detail/.test(await editor.getText()));

    await v1.click();
    await $("version-view").waitForDisplayed({ timeout: 5000 });
    const shown = await browser.$(`${byTestId("editor")} .cm-content`).getText();
    assert.match(shown, /Tell me about \{\{ topic \}\}/);
    assert.doesNotMatch(shown, /in detail/);
    await screenshot(browser, "version-view");

    await $("back-to-draft").click();
    await browser.waitUntil(async () =>
      /in detail/.test(await browser.$(`${byTestId("editor")} .cm-content`).getText()),
    );
  });

  test("past runs are listed and reopen", async () => {
    await $("tab-runs").click();
    // The history refreshes after the tab opens; wait for it rather than read it at once.
    let items = [];
    await browser
      .waitUntil(async () => (items = await browser.$$(byTestId("run-item"))).length >= 2, {
        timeout: 5000,
      })
      .catch(() => {});
    assert.ok(items.length >= 2, `expected the two runs, found ${items.length}`);
    await items[items.length - 1].click();
    await browser.waitUntil(async () => {
      const outputs = await browser.$$(byTestId("pane-output")).map((o) => o.getText());
      return outputs.some((o) => /Tell me about whetstones/.test(o));
    });
  });
});

describe("Ollama is down", () => {
  // Said once for the window (the note under the toolbar), not per pane; the pane on
  // Ollama is marked and Run says why it cannot start.
  test("the window says Ollama is not reachable and how to start it, and Run will not send", async () => {
    const closed = await new Promise((res) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address();
        server.close(() => res(port));
      });
    });
    const app = await launchApp({ dataDir: scratchDir("down"), env: { OLLAMA_HOST: `127.0.0.1:${closed}` } });
    const { browser } = app;
    try {
      await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
      await browser.$(byTestId("new-prompt")).click();
      await browser.$(byTestId("prompt-name-input")).setValue("Offline");
      await browser.keys(["Enter"]);
      const pane = await browser.$(byTestId("pane"));
      await pane.$(byTestId("pane-provider")).selectByAttribute("value", "ollama");
      await pane.$(byTestId("pane-model")).setValue("llama3.2");
      const note = await browser.$(byTestId("provider-summary"));
      await note.waitForDisplayed({ timeout: 15000, timeoutMsg: "the window never said that Ollama is not reachable" });
      assert.match(await note.getText(), /Ollama is not reachable/);
      assert.match(await note.getText(), /ollama serve/);
      await browser.waitUntil(
        async () => /Ollama is not reachable/.test(await browser.execute(() => document.querySelector('[data-testid="run-blocked-reason"]')?.innerText ?? "")),
        { timeout: 15000, timeoutMsg: "Run never said that Ollama is not reachable" },
      );
      assert.equal(await browser.$(byTestId("run")).isEnabled(), false);
      assert.match(await pane.$(byTestId("pane-provider")).getAttribute("class"), /problem/);
      await screenshot(browser, "ollama-down");
    } finally {
      await app.close();
    }
  });
});

describe("a library the app cannot open", () => {
  test("a corrupt database is reported and left untouched", async () => {
    const dataDir = scratchDir("corrupt");
    const file = join(dataDir, "library.sqlite3");
    const junk = Buffer.from("this is not a database, it is a note I saved here\n".repeat(100));
    writeFileSync(file, junk);
    const app = await launchApp({ dataDir });
    try {
      const error = await app.browser.$(byTestId("library-error"));
      await error.waitForDisplayed({ timeout: 30000 });
      assert.match(await error.getText(), /not a readable Whetstone database/);
      await screenshot(app.browser, "corrupt-library");
    } finally {
      await app.close();
    }
    assert.deepEqual(readFileSync(file), junk);
  });
});
