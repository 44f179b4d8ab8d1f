import { describe, expect, it } from "vitest";
import { formatMs } from "./time";

describe("formatMs", () => {
  it("formats milliseconds for the stats line", () => {
    expect(formatMs(null)).toBe("–");
    expect(formatMs(312.4)).toBe("312 ms");
    expect(formatMs(2345)).toBe("2.35 s");
    expect(formatMs(12_345)).toBe("12.3 s");
  });
});
