/**
 * Runs `save` `delayMs` after the last `schedule`; `flush` saves what is pending at
 * once (switching prompts, closing). Only the latest value is saved, and saves run
 * one after another, so an older value never lands after a newer one.
 */
export interface Debounced<T> {
  schedule(value: T): void;
  flush(): Promise<void>;
  cancel(): void;
  readonly pending: boolean;
}

export function debounced<T>(delayMs: number, save: (value: T) => Promise<unknown> | void): Debounced<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let latest: { value: T } | null = null;
  let chain: Promise<void> = Promise.resolve();

  const run = (): Promise<void> => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const item = latest;
    latest = null;
    if (!item) return chain;
    // Serialize saves so an older text can never land after a newer one.
    chain = chain.then(async () => {
      await save(item.value);
    }).catch(() => {
      // The caller's save reports its own errors; the chain must stay usable.
    });
    return chain;
  };

  return {
    schedule(value: T) {
      latest = { value };
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => void run(), delayMs);
    },
    flush: run,
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      latest = null;
    },
    get pending() {
      return latest !== null;
    },
  };
}
