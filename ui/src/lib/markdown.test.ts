// @vitest-environment jsdom
// DOMPurify in happy-dom drops allowed elements; jsdom parses as a browser does.
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

/** The sanitised HTML, parsed as the window would show it. */
function shown(text: string): HTMLElement {
  const host = document.createElement("div");
  host.innerHTML = renderMarkdown(text);
  return host;
}

describe("output as Markdown", () => {
  it("renders the usual Markdown", () => {
    const host = shown("# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n```\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(host.querySelector("h1")?.textContent).toBe("Title");
    expect(host.querySelector("strong")?.textContent).toBe("bold");
    expect(host.querySelectorAll("li")).toHaveLength(2);
    expect(host.querySelector("pre code")?.textContent).toContain("fn main()");
    expect(host.querySelectorAll("td")).toHaveLength(2);
  });

  it("drops scripts, event handlers, frames, forms, styles and media from model output", () => {
    const hostile = [
      "<script>window.pwned = 1</script>",
      '<img src="x" onerror="window.pwned = 2">',
      '<iframe src="https://example.com"></iframe>',
      '<form action="https://example.com"><input name="q"><button>go</button></form>',
      '<div style="position:fixed;inset:0" onclick="window.pwned = 3">cover</div>',
      '<svg onload="window.pwned = 4"></svg>',
      "<style>body { display: none }</style>",
      '<a href="javascript:window.pwned = 5">click</a>',
    ].join("\n\n");
    const html = renderMarkdown(hostile);
    for (const bad of ["<script", "onerror", "<iframe", "<form", "<input", "<button", "style=", "onclick", "<svg", "<style", "javascript:", "<img"]) {
      expect(html).not.toContain(bad);
    }
    expect(shown(hostile).textContent).toContain("cover");
  });

  it("keeps links inert: no address to follow, the address in the title", () => {
    const link = shown("[docs](https://example.com/page)").querySelector("a");
    expect(link?.textContent).toBe("docs");
    expect(link?.hasAttribute("href")).toBe(false);
    expect(link?.getAttribute("title")).toBe("https://example.com/page");
  });
});
