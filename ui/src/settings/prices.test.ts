import { describe, expect, it } from "vitest";
import { fieldForPriceError, parseDollars, priceFormFrom, priceFromForm } from "./prices";
import type { ErrorCode, ErrorReply } from "../ipc/bindings";

describe("parseDollars", () => {
  it("reads plain numbers, a dollar sign, a decimal comma and exponents", () => {
    expect(parseDollars("2.5")).toBe(2.5);
    expect(parseDollars(" $0.15 ")).toBe(0.15);
    expect(parseDollars("0,15")).toBe(0.15);
    expect(parseDollars(".075")).toBe(0.075);
    expect(parseDollars("1e-1")).toBe(0.1);
    expect(parseDollars("-1")).toBe(-1);
  });
  it("refuses what is not a number", () => {
    for (const t of ["", "abc", "1.2.3", "1,000.5", "2 dollars", "Infinity", "0x10"]) expect(parseDollars(t)).toBeNull();
  });
});

describe("priceFromForm", () => {
  it("builds a price with the model trimmed", () => {
    expect(priceFromForm({ provider: "openai", model: " gpt-4.1 ", input: "2", output: "$8" })).toEqual({
      price: { provider: "openai", model: "gpt-4.1", input_per_mtok: 2, output_per_mtok: 8 },
    });
  });
  it("names each field that cannot be sent, and leaves judging the rest to the core", () => {
    const r = priceFromForm({ provider: "", model: "  ", input: "", output: "cheap" });
    expect("errors" in r && r.errors).toEqual({
      provider: "Pick a provider.",
      input: "Enter the input price in US dollars per million tokens (0 if free).",
      output: "The output price “cheap” is not a number of US dollars.",
    });
    // A negative price and an empty model are numbers and text: the core refuses them.
    const neg = priceFromForm({ provider: "openai", model: " ", input: "-1", output: "0" });
    expect("price" in neg && neg.price).toEqual({ provider: "openai", model: "", input_per_mtok: -1, output_per_mtok: 0 });
  });
  it("round-trips a stored price through the form", () => {
    const price = { provider: "openai", model: "gpt-4o-mini", input_per_mtok: 0.15, output_per_mtok: 0.6 };
    expect(priceFromForm(priceFormFrom(price))).toEqual({ price });
  });
});

describe("fieldForPriceError", () => {
  const reply = (code: ErrorCode, field: string | null = null): ErrorReply => ({ code, message: "m", template: null, field });
  it("puts a refusal at the field it names", () => {
    expect(fieldForPriceError(reply("invalid", "model"))).toBe("model");
    expect(fieldForPriceError(reply("invalid", "input_per_mtok"))).toBe("input");
    expect(fieldForPriceError(reply("invalid", "output_per_mtok"))).toBe("output");
    expect(fieldForPriceError(reply("not_found"))).toBe("provider");
    expect(fieldForPriceError(reply("invalid"))).toBe("form");
    expect(fieldForPriceError(reply("library"))).toBe("form");
  });
});
