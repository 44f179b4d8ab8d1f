// The toasts in the window's corner: what any feature tells the user in passing.
import { toErrorReply } from "../platform/backend";
import { formatErrorReply } from "../lib/errors";

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

/** How a feature tells the user something: all a feature's state gets of the notices. */
export interface Notify {
  info(text: string): void;
  /** A failed command, worded as the core words it. */
  error(e: unknown): void;
}

export class Notices implements Notify {
  toasts = $state<Toast[]>([]);
  private seq = 0;

  info(text: string): void {
    this.push(text, "info");
  }

  error(e: unknown): void {
    this.push(formatErrorReply(toErrorReply(e)), "error");
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  private push(text: string, kind: Toast["kind"]): void {
    const id = ++this.seq;
    this.toasts = [...this.toasts, { id, kind, text }];
    setTimeout(() => this.dismiss(id), kind === "error" ? 8000 : 3500);
  }
}
