import type { OutputPiece, PaneResult } from "./runView";

/**
 * A Svelte action that draws a pane's output as one text node: while it streams, only
 * the pieces that came since the last update are appended; otherwise (another output,
 * or the final one) it is set whole.
 */
export function outputText(node: HTMLElement, initial: PaneResult) {
  const text = document.createTextNode("");
  node.append(text);
  let shown: OutputPiece | null = null;
  const draw = (r: PaneResult) => {
    if (shown && r.stream && r.stream.count >= shown.count) {
      const pieces: string[] = [];
      let piece: OutputPiece | null = r.stream;
      for (; piece && piece.count > shown.count; piece = piece.prev) pieces.push(piece.text);
      if (piece === shown) {
        if (pieces.length > 0) text.appendData(pieces.reverse().join(""));
        shown = r.stream;
        return;
      }
    }
    if (text.data !== r.output) text.data = r.output;
    shown = r.stream;
  };
  draw(initial);
  return { update: draw };
}
