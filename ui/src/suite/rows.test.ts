import { describe, expect, it } from "vitest";
import type { AssertionKindInfo } from "../ipc/bindings";
import { assertionOf, casesOf, draftOf, emptyRow, newDraft, parseTsv, placeOf, rowOf } from "./rows";

/** The kinds' shapes as the core describes them (only what these tests use). */
function info(kind: AssertionKindInfo["kind"], value: AssertionKindInfo["value"]): AssertionKindInfo {
  return {
    kind,
    group: "",
    summary: "",
    value,
    value_required: false,
    value_hint: "",
    threshold: "none",
    threshold_unit: "",
    threshold_default: null,
    stem: false,
    matches: null,
  };
}

describe("suite rows: spreadsheet paste", () => {
  it("splits tabs and lines, with quoted cells as spreadsheets write them", () => {
    expect(parseTsv("a\tb\nc\td\n")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(parseTsv('"two\nlines"\t"say ""hi"""\r\nx\t\r\n')).toEqual([
      ["two\nlines", 'say "hi"'],
      ["x", ""],
    ]);
    // A quote inside a cell that does not start quoted is text.
    expect(parseTsv('5" screen\tok')).toEqual([['5" screen', "ok"]]);
    // A quote that does not close right before a separator was text too.
    expect(parseTsv('"quoted" and more\tz')).toEqual([['"quoted" and more', "z"]]);
  });
});

describe("suite rows: assertions", () => {
  it("sends an untouched value back exactly as it came", () => {
    const original = { type: "contains-any" as const, value: "Rome, \"a, b\"", weight: 2 };
    const d = draftOf(original);
    expect(assertionOf(d, info("contains-any", "texts"))).toEqual(original);
    const schema = { type: "is-json" as const, value: { type: "object", required: ["a"] } };
    expect(assertionOf(draftOf(schema), info("is-json", "schema"))).toEqual(schema);
  });

  it("builds edited values in the kind's shape", () => {
    const list = { ...newDraft(info("icontains-all", "texts")), value: "paris\n\nfrance\n" };
    expect(assertionOf(list, info("icontains-all", "texts"))).toEqual({ type: "icontains-all", value: ["paris", "france"] });
    const count = { ...newDraft(info("word-count", "count")), min: 3, max: 3 };
    expect(assertionOf(count, info("word-count", "count"))).toEqual({ type: "word-count", value: 3 });
    const bounds = { ...newDraft(info("word-count", "count")), max: 10 };
    expect(assertionOf(bounds, info("word-count", "count"))).toEqual({ type: "word-count", value: { max: 10 } });
    const rouge = { ...newDraft(info("rouge-l", "references")), stem: true, threshold: 0.3 };
    expect(assertionOf(rouge, info("rouge-l", "references"))).toEqual({ type: "rouge-l", value: { stem: true }, threshold: 0.3 });
    const schemaText = { ...newDraft(info("is-json", "schema")), value: "type: object" };
    // YAML goes as text: the core reads it (and refuses it, saying why, if it is neither).
    expect(assertionOf(schemaText, info("is-json", "schema")).value).toBe("type: object");
  });
});

describe("suite rows: cases", () => {
  it("keeps JSON values typed and text as text, and names a value that is not JSON", () => {
    const row = rowOf({ id: "c-1", vars: { n: 3, facts: { a: [1] }, q: "{not json" }, assertions: [] });
    expect(row.vars.n).toEqual({ text: "3", json: true });
    expect(row.vars.q).toEqual({ text: "{not json", json: false });
    const built = casesOf([row], new Map());
    expect(built).toEqual({ cases: [{ id: "c-1", vars: { n: 3, facts: { a: [1] }, q: "{not json" }, assertions: [] }] });

    const bad = emptyRow(["topic"]);
    bad.vars.topic = { text: "{oops", json: true };
    const refused = casesOf([row, bad], new Map());
    expect("problem" in refused && refused.problem.field).toBe("cases.1.vars.topic");
  });

  it("reads where a refusal points", () => {
    expect(placeOf("cases.2.assertions.0")).toEqual({ scope: "case", row: 2, assertion: 0, rest: "" });
    expect(placeOf("cases.4.threshold")).toEqual({ scope: "case", row: 4, assertion: null, rest: "threshold" });
    expect(placeOf("assertions.1")).toEqual({ scope: "suite", assertion: 1 });
    expect(placeOf("name")).toBeNull();
  });
});
