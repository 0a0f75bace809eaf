// Math: how many formulas MathJax typeset, MathJax's error nodes, math sources left untypeset, and the visible text
// outside code and typeset math (test_site_browser.py looks for raw TeX delimiters in it). Runs with every
// <details> open, so the math inside collapsed solutions is checked too.
() => {
  const skip = "pre, code, script, style, textarea, mjx-container, .md-search, .md-header, .md-nav, .highlight";
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    if (parent.closest("[hidden], [aria-hidden='true']")) continue;
    if (!parent.checkVisibility()) continue;
    raw.push(node.textContent);
  }
  const unprocessed = [...document.querySelectorAll(".arithmatex, .jp-RenderedLatex")]
    .filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 80));
  return {
    text: raw.join(" "),
    math: document.querySelectorAll("mjx-container").length,
    mathSources: document.querySelectorAll(".arithmatex, .jp-RenderedLatex").length,
    errors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")].map(
      (el) => el.getAttribute("data-mjx-error") || el.textContent.slice(0, 80)),
    unprocessed,
  };
}
