// The price form of the settings screen: text fields in, a Price out, and the
// backend's refusals put next to the field they are about. The backend stays the
// judge; this only catches what cannot be sent at all (a field that is not a number
// has no JSON form) and words it for the field.
import type { ErrorReply, Price } from "../ipc/bindings";

export interface PriceForm {
  provider: string;
  model: string;
  input: string;
  output: string;
}

export type PriceField = keyof PriceForm;
export type PriceErrors = Partial<Record<PriceField | "form", string>>;

export function emptyPriceForm(provider: string): PriceForm {
  return { provider, model: "", input: "", output: "" };
}

export function priceFormFrom(price: Price): PriceForm {
  return { provider: price.provider, model: price.model, input: String(price.input_per_mtok), output: String(price.output_per_mtok) };
}

/**
 * Dollars per million tokens from what was typed: "2.5", "$2.50", "0,15" (a decimal
 * comma), " 3 ". Null when it is not a number.
 */
export function parseDollars(text: string): number | null {
  let t = text.trim().replace(/^\$\s*/, "");
  if (!t.includes(".") && /^\d*,\d+$/.test(t)) t = t.replace(",", ".");
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export function priceFromForm(form: PriceForm): { price: Price } | { errors: PriceErrors } {
  const errors: PriceErrors = {};
  if (!form.provider) errors.provider = "Pick a provider.";
  const amounts: Record<"input" | "output", number> = { input: 0, output: 0 };
  for (const field of ["input", "output"] as const) {
    const text = form[field].trim();
    const n = parseDollars(text);
    if (!text) errors[field] = `Enter the ${field} price in US dollars per million tokens (0 if free).`;
    else if (n === null) errors[field] = `The ${field} price “${text}” is not a number of US dollars.`;
    else amounts[field] = n;
  }
  if (Object.keys(errors).length) return { errors };
  return { price: { provider: form.provider, model: form.model.trim(), input_per_mtok: amounts.input, output_per_mtok: amounts.output } };
}

/**
 * Puts a refusal of set_price at its field: `invalid` replies name it
 * (ErrorReply.field); `not_found` means the provider is gone.
 */
export function fieldForPriceError(err: ErrorReply): PriceField | "form" {
  if (err.code === "not_found") return "provider";
  const fields: Record<string, PriceField> = { model: "model", input_per_mtok: "input", output_per_mtok: "output" };
  return (err.code === "invalid" && err.field && fields[err.field]) || "form";
}

export function samePrice(a: Pick<Price, "provider" | "model">, b: Pick<Price, "provider" | "model">): boolean {
  return a.provider === b.provider && a.model === b.model;
}
