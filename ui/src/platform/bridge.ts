// The development bridge (`whet-devbridge`): the same commands as the window, over
// loopback HTTP, answered by the real core on a temporary library. The UI's tests
// and its browser preview use it, so they exercise the product, not a stand-in.
import { backendOver, type Backend, type ErrorReply, type Invoke } from "../ipc/bindings";

type Line = { ok: unknown } | { err: ErrorReply } | { events: unknown[] };

/** Calls `whet-devbridge` at `base` (e.g. http://127.0.0.1:4123). */
export function bridgeBackend(base: string): Backend {
  const invoke: Invoke = async <T>(command: string, args: Record<string, unknown>, onEvent?: (event: never) => void) => {
    const response = await fetch(`${base}/invoke/${command}`, { method: "POST", body: JSON.stringify(args) });
    if (!response.body) throw new Error(`the bridge sent no body for ${command}`);
    const lines = readLines(response.body);
    const first = await lines.next();
    if (first.done) throw new Error(`the bridge closed ${command} without a reply`);
    const reply = first.value;
    if ("err" in reply) throw reply.err;
    if (onEvent) {
      const deliver = onEvent as (event: unknown) => void;
      void (async () => {
        for await (const line of lines) if ("events" in line) line.events.forEach(deliver);
      })();
    }
    return (reply as { ok: T }).ok;
  };
  return backendOver(invoke);
}

/** Swaps the bridge's library for a new, empty one. */
export async function resetBridge(base: string): Promise<void> {
  await fetch(`${base}/reset`, { method: "POST" });
}

async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffered += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line) as Line;
    }
    if (done) return;
  }
}
