// Math: how many formulas are on the page, MathJax's error nodes, math sources left untypeset, glyphs that point
// at nothing, whether MathJax runs in the browser, and the visible text outside code and typeset math
// (test_site_browser.py looks for raw TeX delimiters in it). Every <details> is open, so the math inside
// collapsed solutions is checked too.
() => {
  for (const details of document.querySelectorAll("details")) details.open = true;
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
    // SVG glyphs are <use> references into the page's glyph cache: one pointing at nothing draws nothing.
    brokenGlyphs: [...document.querySelectorAll("mjx-container use")]
      .map((use) => use.getAttribute("href") || use.getAttribute("xlink:href"))
      .filter((ref) => !ref || !document.getElementById(ref.slice(1))),
    clientMathJax: typeof window.MathJax !== "undefined"
      || [...document.scripts].some((script) => /mathjax/i.test(script.src)),
  };
}
