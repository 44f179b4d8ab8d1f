// Model output as Markdown: parsed by marked, then sanitised by DOMPurify (a
// maintained sanitiser) before it reaches the DOM. Output is untrusted: no scripts,
// event handlers, styles, forms, frames or media survive, and links are inert (a
// click must never navigate the window away; the address shows on hover).
import { marked } from "marked";
import DOMPurify from "dompurify";

const FORBID_TAGS = ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "frame", "object", "embed", "img", "picture", "video", "audio", "source", "track", "svg", "math", "link", "meta", "base"];
const FORBID_ATTR = ["style", "srcset", "action", "formaction", "target"];

let purifier: ReturnType<typeof DOMPurify> | null = null;

/** One DOMPurify of our own, so its hook (inert links) applies here only. */
function sanitizer(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const instance = DOMPurify(window);
  instance.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href");
      node.removeAttribute("href");
      if (href) node.setAttribute("title", href);
    }
  });
  purifier = instance;
  return instance;
}

/** Safe HTML for `text` read as GitHub-flavoured Markdown. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true }) as string;
  return sanitizer().sanitize(html, { FORBID_TAGS, FORBID_ATTR, ALLOW_DATA_ATTR: false, ALLOW_ARIA_ATTR: false });
}
