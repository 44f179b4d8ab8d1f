import { describe, expect, it } from "vitest";
import { fieldForPriceError, parseDollars, priceFormFrom, priceFromForm } from "./prices";

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
  it("names each field that cannot be sent", () => {
    const r = priceFromForm({ provider: "", model: "  ", input: "", output: "cheap" });
    expect("errors" in r && r.errors).toEqual({
      provider: "Pick a provider.",
      model: "Enter the model's name, as the provider spells it.",
      input: "Enter the input price in US dollars per million tokens (0 if free).",
      output: "The output price “cheap” is not a number of US dollars.",
    });
    const neg = priceFromForm({ provider: "openai", model: "m", input: "-1", output: "0" });
    expect("errors" in neg && neg.errors).toEqual({ input: "The input price cannot be negative." });
  });
  it("round-trips a stored price through the form", () => {
    const price = { provider: "openai", model: "gpt-4o-mini", input_per_mtok: 0.15, output_per_mtok: 0.6 };
    expect(priceFromForm(priceFormFrom(price))).toEqual({ price });
  });
});

describe("fieldForPriceError", () => {
  const reply = (code: string, field: string | null = null) => ({ code, message: "m", template: null, field });
  it("puts a refusal at the field it names", () => {
    expect(fieldForPriceError(reply("invalid", "model"))).toBe("model");
    expect(fieldForPriceError(reply("invalid", "input_per_mtok"))).toBe("input");
    expect(fieldForPriceError(reply("invalid", "output_per_mtok"))).toBe("output");
    expect(fieldForPriceError(reply("not_found"))).toBe("provider");
    expect(fieldForPriceError(reply("invalid"))).toBe("form");
    expect(fieldForPriceError(reply("library"))).toBe("form");
  });
});
