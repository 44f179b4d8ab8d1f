// Every modal of the window opens the same way: a native <dialog> shown as a modal
// (it traps focus), whose Escape goes to the caller's close instead of closing the
// element behind Svelte's back.
import type { Attachment } from "svelte/attachments";

/** `{@attach modal(onclose)}` on a <dialog>. */
export function modal(onclose: () => void): Attachment<HTMLDialogElement> {
  return (dialog) => {
    if (!dialog.open) dialog.showModal();
    const cancel = (e: Event) => {
      e.preventDefault();
      onclose();
    };
    dialog.addEventListener("cancel", cancel);
    return () => dialog.removeEventListener("cancel", cancel);
  };
}
