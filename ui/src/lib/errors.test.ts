import { describe, expect, it } from "vitest";
import { errorRange, formatErrorReply, formatTemplateError } from "./errors";
import type { TemplateError } from "../ipc/bindings";

const err = (line: number | null, column: number | null, message = "undefined variable `topic`"): TemplateError => ({
  kind: "undefined_variable",
  message,
  line,
  column,
  variable: "topic",
});

describe("formatTemplateError", () => {
  it("prefixes line:column", () => {
    expect(formatTemplateError(err(3, 14))).toBe("3:14 undefined variable `topic`");
  });
  it("uses column 1 when only the line is known", () => {
    expect(formatTemplateError(err(2, null))).toBe("2:1 undefined variable `topic`");
  });
  it("is just the message without a position", () => {
    expect(formatTemplateError(err(null, null))).toBe("undefined variable `topic`");
  });
});

describe("formatErrorReply", () => {
  it("uses the template position when there is one", () => {
    expect(formatErrorReply({ code: "template", message: "ignored", template: err(1, 5, "syntax error"), field: null })).toBe("1:5 syntax error");
  });
  it("is the message otherwise", () => {
    expect(formatErrorReply({ code: "provider", message: "Ollama is not reachable", template: null, field: null })).toBe("Ollama is not reachable");
  });
});

describe("errorRange", () => {
  const doc = "system: hi\nuser: {{ topic }} and more\n";
  it("marks the word at line:column", () => {
    const { from, to } = errorRange(doc, 2, 10);
    expect(doc.slice(from, to)).toBe("topic");
  });
  it("marks the whole line without a column", () => {
    const { from, to } = errorRange(doc, 1, null);
    expect(doc.slice(from, to)).toBe("system: hi");
  });
  it("clamps positions past the end to the last line", () => {
    const { from, to } = errorRange(doc, 99, 99);
    expect(from).toBe(doc.length);
    expect(to).toBe(doc.length);
  });
  it("marks one character where no word starts", () => {
    const { from, to } = errorRange(doc, 2, 7);
    expect(doc.slice(from, to)).toBe("{");
  });
});
