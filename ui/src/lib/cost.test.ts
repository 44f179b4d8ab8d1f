import { describe, expect, it } from "vitest";
import { formatCost, formatPrice } from "./cost";

describe("formatCost", () => {
  it("shows cents from ten cents up, grouped by thousands", () => {
    expect(formatCost(1.2749)).toBe("$1.27");
    expect(formatCost(0.5)).toBe("$0.50");
    expect(formatCost(0.13)).toBe("$0.13");
    expect(formatCost(1234.5)).toBe("$1,234.50");
  });

  it("keeps two significant digits below ten cents, without trailing zeros", () => {
    expect(formatCost(0.013)).toBe("$0.013");
    expect(formatCost(0.00042)).toBe("$0.00042");
    expect(formatCost(0.000423)).toBe("$0.00042");
    expect(formatCost(0.05)).toBe("$0.05");
    expect(formatCost(0.001)).toBe("$0.001");
    expect(formatCost(0.000075)).toBe("$0.000075");
  });

  it("rounds up into cents where two digits reach ten cents", () => {
    expect(formatCost(0.0996)).toBe("$0.10");
  });

  it("shows nothing paid as $0 and dust as under a hundred-thousandth", () => {
    expect(formatCost(0)).toBe("$0");
    expect(formatCost(0.0000003)).toBe("<$0.00001");
  });

  it("marks estimates and leaves unknown costs unknown", () => {
    expect(formatCost(0.013, true)).toBe("≈$0.013");
    expect(formatCost(0, true)).toBe("≈$0");
    expect(formatCost(null)).toBeNull();
    expect(formatCost(Number.NaN)).toBeNull();
  });
});

describe("formatPrice", () => {
  it("shows at least cents and the decimals that were entered", () => {
    expect(formatPrice(2)).toBe("$2.00");
    expect(formatPrice(0.15)).toBe("$0.15");
    expect(formatPrice(0.075)).toBe("$0.075");
    expect(formatPrice(0.0375)).toBe("$0.0375");
    expect(formatPrice(15)).toBe("$15.00");
  });
});
