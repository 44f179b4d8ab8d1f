import type { ErrorReply, TemplateError } from "../ipc/bindings";

/** "3:14 undefined variable `topic`", or just the message when the position is unknown. */
export function formatTemplateError(error: TemplateError): string {
  if (error.line === null) return error.message;
  return `${error.line}:${error.column ?? 1} ${error.message}`;
}

/** The core's words as a sentence on their own: "no value for `x`" → "No value for `x`". */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The sentence to show for a failed command. */
export function formatErrorReply(error: ErrorReply): string {
  if (error.template) return formatTemplateError(error.template);
  return error.message;
}

/**
 * Document offsets [from, to) for a 1-based line and column, clamped to the
 * document so a stale or out-of-range position still lands on a real line.
 * Without a column, the whole line is marked.
 */
export function errorRange(doc: string, line: number | null, column: number | null): { from: number; to: number } {
  const lines = doc.split("\n");
  const lineIndex = Math.min(Math.max((line ?? 1) - 1, 0), lines.length - 1);
  let start = 0;
  for (let i = 0; i < lineIndex; i++) start += lines[i].length + 1;
  const text = lines[lineIndex];
  if (column === null) return { from: start, to: start + text.length };
  const col = Math.min(Math.max(column - 1, 0), text.length);
  const from = start + col;
  // Mark the word at the position, or one character, so the squiggle is visible.
  const word = /^[\w.]+/.exec(text.slice(col));
  const to = Math.min(from + (word ? word[0].length : 1), start + text.length);
  return { from, to: Math.max(to, from) };
}
