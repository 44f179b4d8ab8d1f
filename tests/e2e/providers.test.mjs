// Every cloud provider kind through the real window, each against its loopback test
// server: one added in Settings with its key typed into the window (kept in the real
// Secret Service), the others configured with `whet providers add`, keys from
// environment variables. Streamed and not, with a price set in the window.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { byTestId, launchApp, scratchDir, screenshot, startTestServer, typeInto, whet } from "./harness.mjs";

const TEMPLATE = "system:\nBe brief.\nuser:\nHello from the window";
const ANSWER = "You said: Hello from the window";
// Unique per run, so a hit can only come from this run.
const ANTHROPIC_KEY = `sk-ant-e2e-${process.pid}-${Date.now()}`;

/** Every file under `dir`. */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile());
}

describe("cloud providers in the window", () => {
  const servers = {};
  let dataDir;
  let app;
  let browser;
  const $ = (id) => browser.$(byTestId(id));
  const panes = () => browser.$$(byTestId("pane"));

  before(async () => {
    servers.anthropic = await startTestServer("anthropic", ["--key", ANTHROPIC_KEY]);
    servers.gemini = await startTestServer("gemini", ["--key", "gemini-e2e"]);
    servers.azure = await startTestServer("azure", ["--key", "azure-e2e", "--models", "team-gpt"]);
    servers.bedrock = await startTestServer("bedrock", ["--key", "bedrock-e2e"]);
    servers.local = await startTestServer("openai", ["--compatible", "--key", "local-e2e", "--models", "local-model"]);
    servers.openai = await startTestServer("openai", ["--key", "openai-e2e"]);

    dataDir = scratchDir("providers");
    const add = (id, kind, url, env, ...extra) =>
      whet(dataDir, ["providers", "add", id, "--kind", kind, "--base-url", url, "--key-env", env, ...extra]);
    add("gemini", "gemini", servers.gemini.url, "E2E_GEMINI_KEY");
    add("azure", "azure-openai", servers.azure.url, "E2E_AZURE_KEY");
    add("bedrock", "bedrock", servers.bedrock.url, "E2E_BEDROCK_KEY", "--region", "us-east-1");
    add("local", "openai-compatible", servers.local.url, "E2E_LOCAL_KEY");
    add("oa", "openai", servers.openai.url, "E2E_OPENAI_KEY");

    app = await launchApp({
      dataDir,
      env: {
        E2E_GEMINI_KEY: "gemini-e2e",
        E2E_AZURE_KEY: "azure-e2e",
        E2E_BEDROCK_KEY: "bedrock-e2e",
        E2E_LOCAL_KEY: "local-e2e",
        E2E_OPENAI_KEY: "openai-e2e",
      },
    });
    browser = app.browser;
    await browser.$("body[data-ready='true']").waitForExist({ timeout: 30000 });
  });

  after(async () => {
    if (browser) await screenshot(browser, "providers-last-state").catch(() => {});
    await app?.close();
    for (const server of Object.values(servers)) await server.stop();
  });

  test("add Anthropic in Settings, type its key, test the connection, price a model", async () => {
    await $("open-settings").click();
    await $("add-provider").click();
    await $("form-kind").selectByAttribute("value", "anthropic");
    await $("form-id").setValue("claude");
    await $("form-base-url").setValue(servers.anthropic.url);
    await $("save-provider").click();

    const row = () => browser.$(`${byTestId("provider-row")}[data-id="claude"]`);
    await row().waitForExist({ timeout: 10000 });
    await typeInto(await row().$(byTestId("key-input")), ANTHROPIC_KEY);
    await row().$(byTestId("save-key")).click();
    await browser.waitUntil(
      async () => (await row().$(byTestId("key-status")).getAttribute("data-status")) === "set",
      { timeout: 10000, timeoutMsg: "the key was not reported as set" },
    );
    assert.equal(await row().$(byTestId("key-input")).getValue(), "", "the key field is cleared after saving");

    await row().$(byTestId("test-connection")).click();
    const result = await row().$(byTestId("connection-result"));
    await browser.waitUntil(async () => /2 models/.test(await result.getText()), {
      timeout: 10000,
      timeoutMsg: "test connection did not report the test server's two models",
    });
    assert.match(await result.getText(), /· \d+ ms$/, "the latency reads as whole milliseconds");

    await $("price-provider").selectByAttribute("value", "claude");
    await $("price-model").setValue("claude-3-5-haiku-20241022");
    await $("price-input").setValue("0.8");
    await $("price-output").setValue("4");
    await $("add-price").click();
    await browser
      .$(`${byTestId("price-row")}[data-provider="claude"][data-model="claude-3-5-haiku-20241022"]`)
      .waitForExist({ timeout: 10000 });
    await screenshot(browser, "settings-providers");
    await $("close-settings").click();
  });

  test("four panes on Anthropic, Gemini, Azure OpenAI and Bedrock stream their answers", async () => {
    await $("new-prompt").click();
    await $("prompt-name-input").setValue("Cloud check");
    await browser.keys(["Enter"]);
    await browser.$(`${byTestId("prompt-item")}[data-name="Cloud check"]`).waitForExist();
    await typeInto(await browser.$(`${byTestId("editor")} .cm-content`), TEMPLATE);

    while ((await panes()).length < 4) await $("add-pane").click();
    const targets = [
      ["claude", "claude-3-5-haiku-20241022"],
      ["gemini", "gemini-2.5-flash"],
      ["azure", "team-gpt"],
      ["bedrock", "us.amazon.nova-lite-v1:0"],
    ];
    for (const [i, [provider, model]] of targets.entries()) {
      const pane = (await panes())[i];
      await pane.$(byTestId("pane-provider")).selectByAttribute("value", provider);
      await pane.$(byTestId("pane-model")).setValue(model);
    }
    // Run waits for the run check of the panes as they are now.
    const reason = () => browser.execute(() => document.querySelector('[data-testid="run-blocked-reason"]')?.innerText ?? "");
    await browser.waitUntil(async () => (await $("run").isEnabled()) && !(await reason()), {
      timeout: 15000,
      timeoutMsg: "Run stayed disabled",
    });
    await $("run").click();
    let statuses = [];
    await browser.waitUntil(
      async () => {
        statuses = await browser.$$(byTestId("pane-status")).map((s) => s.getAttribute("data-status"));
        return statuses.length === 4 && statuses.every((s) => s === "ok" || s === "error");
      },
      { timeout: 30000, timeoutMsg: `the four panes did not all finish (${statuses.join(", ")}; Run: "${await reason()}")` },
    );
    // Read in the page: panes re-render as the run ends.
    const texts = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="pane"]')].map((p) => ({
        status: p.querySelector('[data-testid="pane-status"]').dataset.status,
        output: p.querySelector('[data-testid="pane-output"]').innerText,
        cost: p.querySelector('[data-testid="pane-cost"]')?.innerText ?? "",
      })),
    );
    for (const [i, pane] of texts.entries()) {
      assert.equal(pane.status, "ok", `${targets[i][0]}: ${pane.output}`);
      assert.match(pane.output, new RegExp(ANSWER), targets[i][0]);
    }
    // The priced model has a cost in dollars; the unpriced ones say so.
    assert.match(texts[0].cost, /^\$0\.0000\d+/);
    assert.match(texts[1].cost, /no price/);
    await screenshot(browser, "cloud-panes");
  });

  test("an OpenAI-compatible server answers without streaming, and OpenAI streams", async () => {
    const first = (await panes())[0];
    await first.$(byTestId("pane-provider")).selectByAttribute("value", "local");
    await first.$(byTestId("pane-model")).setValue("local-model");
    await first.$(byTestId("params-toggle")).click();
    const stream = await browser.$(byTestId("param-stream"));
    await stream.waitForExist({ timeout: 5000 });
    assert.equal(await stream.isSelected(), true, "streaming is on by default");
    await stream.click();
    assert.equal(await stream.isSelected(), false);
    await (await panes())[0].$(byTestId("params-toggle")).click();

    const second = (await panes())[1];
    await second.$(byTestId("pane-provider")).selectByAttribute("value", "oa");
    await second.$(byTestId("pane-model")).setValue("gpt-4o-mini");
    while ((await panes()).length > 2) await (await panes())[2].$(byTestId("remove-pane")).click();

    await $("run").click();
    await browser.waitUntil(
      async () => {
        const statuses = await browser.$$(byTestId("pane-status")).map((s) => s.getAttribute("data-status"));
        return statuses.every((s) => s === "ok" || s === "error");
      },
      { timeout: 30000, timeoutMsg: "the two panes did not finish" },
    );
    const texts = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="pane"]')].map((p) => ({
        status: p.querySelector('[data-testid="pane-status"]').dataset.status,
        output: p.querySelector('[data-testid="pane-output"]').innerText,
        text: p.innerText,
      })),
    );
    assert.equal(texts.length, 2);
    for (const pane of texts) {
      assert.equal(pane.status, "ok", pane.text);
      assert.match(pane.output, new RegExp(ANSWER));
    }
    assert.match(texts[0].text, /no stream/, "the pane shows that it is not streamed");
  });

  test("the key typed into the window is nowhere in the data dir", async () => {
    await app.close();
    app = null;
    browser = null;
    const files = filesUnder(dataDir);
    assert.ok(files.some((f) => f.endsWith("library.sqlite3")), "the library is there to search");
    const needle = Buffer.from(ANTHROPIC_KEY);
    for (const file of files) {
      assert.equal(readFileSync(file).indexOf(needle), -1, `${file} holds the key`);
    }
  });
});
