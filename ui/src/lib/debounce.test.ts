import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { debounced } from "./debounce";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("debounced", () => {
  it("saves once, with the latest value, after the quiet period", async () => {
    const saved: string[] = [];
    const d = debounced<string>(400, (v) => {
      saved.push(v);
    });
    d.schedule("a");
    await vi.advanceTimersByTimeAsync(300);
    d.schedule("ab");
    await vi.advanceTimersByTimeAsync(300);
    d.schedule("abc");
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(399);
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toEqual(["abc"]);
    expect(d.pending).toBe(false);
  });

  it("flush saves the pending value at once and only once", async () => {
    const save = vi.fn();
    const d = debounced<string>(400, save);
    d.schedule("x");
    expect(d.pending).toBe(true);
    await d.flush();
    expect(save).toHaveBeenCalledExactlyOnceWith("x");
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("flush with nothing pending saves nothing", async () => {
    const save = vi.fn();
    const d = debounced<string>(400, save);
    await d.flush();
    expect(save).not.toHaveBeenCalled();
  });

  it("cancel drops the pending value", async () => {
    const save = vi.fn();
    const d = debounced<string>(400, save);
    d.schedule("x");
    d.cancel();
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).not.toHaveBeenCalled();
  });

  it("never lets an older save finish after a newer one", async () => {
    const finished: string[] = [];
    const d = debounced<string>(10, async (v) => {
      // The first save is slow; the second must wait for it.
      await new Promise((r) => setTimeout(r, v === "old" ? 500 : 1));
      finished.push(v);
    });
    d.schedule("old");
    await vi.advanceTimersByTimeAsync(10);
    d.schedule("new");
    await vi.advanceTimersByTimeAsync(1000);
    expect(finished).toEqual(["old", "new"]);
  });

  it("keeps working after a failed save", async () => {
    const saved: string[] = [];
    const d = debounced<string>(10, async (v) => {
      if (v === "bad") throw new Error("disk full");
      saved.push(v);
    });
    d.schedule("bad");
    await d.flush();
    d.schedule("good");
    await d.flush();
    expect(saved).toEqual(["good"]);
  });
});
