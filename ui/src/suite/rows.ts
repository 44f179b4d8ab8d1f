// The suite editor's rows: test cases as the table edits them (variable values as
// typed text, assertions as form fields) and back. Pure functions, unit-tested.
// Nothing here decides whether a case or an assertion is valid: `save_suite` does,
// and its refusal names the place (`cases.2.assertions.0`).
import type { Assertion, AssertionKind, AssertionKindInfo, AssertionType, TestCase } from "../ipc/bindings";

/** One variable value as typed: text, or JSON (objects, lists, numbers …). */
export interface VarCell {
  text: string;
  json: boolean;
}

/** An assertion as its form edits it. Untouched values go back exactly as they came. */
export interface AssertionDraft {
  key: number;
  type: AssertionType;
  /** The value as text: one item a line for lists and references. */
  value: string;
  /** Lists and references: one item a line; else the text is sent as one text. */
  lines: boolean;
  /** The text is JSON (e.g. `equals` of an object, a schema object). */
  json: boolean;
  /** Counts: the bounds. */
  min: number | null;
  max: number | null;
  /** ROUGE: rouge-score's Porter stemmer. */
  stem: boolean;
  threshold: number | null;
  weight: number | null;
  /** The value as it came from the library, sent back unchanged until edited. */
  original?: unknown;
  valueEdited: boolean;
}

export interface CaseRow {
  /** Stable key for rendering and undo; not sent. */
  key: number;
  /** Empty for a new case: the core names it when saved. */
  id: string;
  description: string;
  /** By variable name; a name absent here is a missing value. */
  vars: Record<string, VarCell>;
  reference: string;
  assertions: AssertionDraft[];
  threshold: number | null;
}

export interface SuiteDraft {
  rows: CaseRow[];
  /** The suite's default assertions, scored on every case. */
  defaults: AssertionDraft[];
}

let nextKey = 1;
export function newKey(): number {
  return nextKey++;
}

export function varCell(value: unknown): VarCell {
  return typeof value === "string" ? { text: value, json: false } : { text: JSON.stringify(value), json: true };
}

export function kindOf(type: AssertionType): AssertionKind {
  return (type.startsWith("not-") ? type.slice(4) : type) as AssertionKind;
}

export function isNegated(type: AssertionType): boolean {
  return type.startsWith("not-");
}

export function withNegation(kind: AssertionKind, negated: boolean): AssertionType {
  return negated ? `not-${kind}` : kind;
}

/** An assertion ready for its form. */
export function draftOf(a: Assertion): AssertionDraft {
  const draft: AssertionDraft = {
    key: newKey(),
    type: a.type,
    value: "",
    lines: false,
    json: false,
    min: null,
    max: null,
    stem: false,
    threshold: a.threshold ?? null,
    weight: a.weight ?? null,
    original: a.value,
    valueEdited: false,
  };
  const v = a.value;
  if (v === undefined || v === null) return draft;
  if (typeof v === "string") draft.value = v;
  else if (Array.isArray(v) && v.every((x) => typeof x === "string")) {
    draft.value = v.join("\n");
    draft.lines = true;
  } else if (typeof v === "number" && (kindOf(a.type) === "character-count" || kindOf(a.type) === "word-count")) {
    draft.min = draft.max = v;
  } else if (typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.every((k) => k === "min" || k === "max") && keys.every((k) => typeof o[k] === "number")) {
      draft.min = (o.min as number | undefined) ?? null;
      draft.max = (o.max as number | undefined) ?? null;
    } else if (keys.every((k) => k === "stem" || k === "references") && (o.stem === undefined || typeof o.stem === "boolean")) {
      draft.stem = o.stem === true;
      const refs = o.references;
      if (Array.isArray(refs)) {
        draft.value = refs.join("\n");
        draft.lines = true;
      } else if (typeof refs === "string") draft.value = refs;
    } else {
      draft.value = JSON.stringify(v, null, 2);
      draft.json = true;
    }
  } else {
    draft.value = JSON.stringify(v);
    draft.json = true;
  }
  return draft;
}

/** A new assertion of `kind`, its fields set up for the kind's value. */
export function newDraft(info: AssertionKindInfo): AssertionDraft {
  return {
    key: newKey(),
    type: info.kind,
    value: "",
    lines: info.value === "texts" || info.value === "references",
    json: false,
    min: null,
    max: null,
    stem: false,
    threshold: null,
    weight: null,
    valueEdited: true,
  };
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

/**
 * The assertion a form stands for. The value takes the kind's shape (as the core
 * describes it); a value the person did not touch goes back as it came.
 */
export function assertionOf(d: AssertionDraft, info: AssertionKindInfo | undefined): Assertion {
  const out: Assertion = { type: d.type };
  const value = valueOf(d, info);
  if (value !== undefined) out.value = value;
  if (d.threshold !== null && Number.isFinite(d.threshold)) out.threshold = d.threshold;
  if (d.weight !== null && Number.isFinite(d.weight)) out.weight = d.weight;
  return out;
}

function valueOf(d: AssertionDraft, info: AssertionKindInfo | undefined): unknown {
  if (!d.valueEdited) return d.original;
  const shape = info?.value ?? "text";
  switch (shape) {
    case "none":
      // A value the kind does not take is still sent, so the core can say so.
      return d.value.trim() ? d.value : undefined;
    case "count":
      if (d.min !== null && d.max !== null && d.min === d.max) return d.min;
      if (d.min === null && d.max === null) return undefined;
      return { ...(d.min !== null ? { min: d.min } : {}), ...(d.max !== null ? { max: d.max } : {}) };
    case "texts":
      return d.lines ? lines(d.value) : d.value;
    case "references": {
      const refs = d.lines ? lines(d.value) : d.value.trim() ? [d.value] : [];
      if (d.stem) return refs.length ? { stem: true, references: refs } : { stem: true };
      return refs.length ? refs : undefined;
    }
    case "schema":
      if (!d.value.trim()) return undefined;
      // A schema written as JSON is kept as the object; anything else goes as text,
      // which the core reads as JSON or YAML (and refuses, saying why).
      try {
        const parsed: unknown = JSON.parse(d.value);
        return typeof parsed === "object" && parsed !== null ? parsed : d.value;
      } catch {
        return d.value;
      }
    case "text":
      if (d.json) {
        try {
          return JSON.parse(d.value) as unknown;
        } catch {
          return d.value;
        }
      }
      return d.value;
  }
}

export function rowOf(c: TestCase): CaseRow {
  const vars: Record<string, VarCell> = {};
  for (const [name, value] of Object.entries(c.vars)) vars[name] = varCell(value);
  return {
    key: newKey(),
    id: c.id,
    description: c.description ?? "",
    vars,
    reference: c.reference ?? "",
    assertions: c.assertions.map(draftOf),
    threshold: c.threshold ?? null,
  };
}

export function emptyRow(variables: string[]): CaseRow {
  const vars: Record<string, VarCell> = {};
  for (const name of variables) vars[name] = { text: "", json: false };
  return { key: newKey(), id: "", description: "", vars, reference: "", assertions: [], threshold: null };
}

/** A value typed as JSON that does not parse: where, and the parser's words. */
export interface JsonProblem {
  field: string;
  message: string;
}

/**
 * The test cases the rows stand for, or the first variable typed as JSON that is
 * not JSON (its path, as `save_suite` would name it).
 */
export function casesOf(rows: CaseRow[], kinds: Map<AssertionKind, AssertionKindInfo>): { cases: TestCase[] } | { problem: JsonProblem } {
  const cases: TestCase[] = [];
  for (const [i, row] of rows.entries()) {
    const vars: Record<string, unknown> = {};
    for (const [name, cell] of Object.entries(row.vars)) {
      if (!cell.json) {
        vars[name] = cell.text;
        continue;
      }
      try {
        vars[name] = JSON.parse(cell.text) as unknown;
      } catch (e) {
        return { problem: { field: `cases.${i}.vars.${name}`, message: `\`${name}\` is marked JSON but is not: ${(e as Error).message}` } };
      }
    }
    const c: TestCase = { id: row.id, vars, assertions: row.assertions.map((a) => assertionOf(a, kinds.get(kindOf(a.type)))) };
    if (row.description.trim()) c.description = row.description;
    if (row.reference !== "") c.reference = row.reference;
    if (row.threshold !== null && Number.isFinite(row.threshold)) c.threshold = row.threshold;
    cases.push(c);
  }
  return { cases };
}

/** Where a refusal's `field` path points: a case (and maybe one of its assertions) or a default assertion. */
export type FieldPlace =
  | { scope: "case"; row: number; assertion: number | null; rest: string }
  | { scope: "suite"; assertion: number }
  | null;

export function placeOf(field: string | null): FieldPlace {
  if (!field) return null;
  let m = /^cases\.(\d+)\.assertions\.(\d+)/.exec(field);
  if (m) return { scope: "case", row: Number(m[1]), assertion: Number(m[2]), rest: "" };
  m = /^cases\.(\d+)(?:\.(.*))?$/.exec(field);
  if (m) return { scope: "case", row: Number(m[1]), assertion: null, rest: m[2] ?? "" };
  m = /^assertions\.(\d+)/.exec(field);
  if (m) return { scope: "suite", assertion: Number(m[1]) };
  return null;
}

/**
 * Cells of text copied from a spreadsheet (tab-separated; a cell holding a tab,
 * newline or quote comes quoted, quotes doubled, as spreadsheets write them).
 */
export function parseTsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let i = 0;
  const s = text.replace(/\r\n?/g, "\n");
  let atCellStart = true;
  while (i < s.length) {
    const c = s[i];
    if (atCellStart && c === '"') {
      // A quoted cell: up to the closing quote; "" is a quote.
      let j = i + 1;
      let quoted = "";
      let closed = false;
      while (j < s.length) {
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            quoted += '"';
            j += 2;
            continue;
          }
          closed = true;
          j++;
          break;
        }
        quoted += s[j++];
      }
      // Only a quote that closes right before a separator made the cell quoted;
      // otherwise the quote was part of the text.
      if (closed && (j === s.length || s[j] === "\t" || s[j] === "\n")) {
        cell = quoted;
        i = j;
        atCellStart = false;
        continue;
      }
    }
    atCellStart = false;
    if (c === "\t") {
      row.push(cell);
      cell = "";
      atCellStart = true;
    } else if (c === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      atCellStart = true;
    } else {
      cell += c;
    }
    i++;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
