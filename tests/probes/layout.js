// @narrower
// Layout: does the document scroll sideways, which content boxes (display math, tables, code, notebook outputs)
// need a sideways scroll, can a keyboard reach and a screen reader name the ones that do, and does anything in
// the content paint outside the content column (over the sidebars and the table of contents)?
() => {
  const TOLERANCE = 1; // px: sub-pixel rounding of widths
  const column = document.querySelector(".md-content");
  const inner = document.querySelector(".md-content__inner");
  const edge = column.getBoundingClientRect();

  // Short, readable description of an element for a failure message: tag.class#id "text..."
  const describe = (el) => {
    const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const id = el.id ? "#" + el.id : "";
    const near = el.closest("[id]");
    const text = (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 60);
    return `${el.tagName.toLowerCase()}${cls}${id}${near && near !== el ? ` in #${near.id}` : ""} "${text}"`;
  };
  // Does the element clip its content sideways? (overflow does not apply to inline and table boxes)
  const clips = (el) => {
    const style = getComputedStyle(el);
    return style.overflowX !== "visible" && !/^(inline|table|inline-table)$/.test(style.display);
  };
  const focusable = (el) => el.tabIndex >= 0 && (el.hasAttribute("tabindex") || el.matches("a[href], button, input, select, textarea"));
  const accessibleName = (el) => {
    const label = (el.getAttribute("aria-label") || "").trim();
    if (label) return label;
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
    return ids.map((id) => document.getElementById(id)?.textContent.trim() || "").join(" ").trim();
  };

  // The content items, by kind, and the boxes that hold each: the item itself and its ancestors inside the
  // column that clip sideways (scroll boxes; a table can be one inside another, and the outer one may be the one
  // that overflows). An item with no such box overflows onto whatever is beside it.
  const KINDS = {
    display: 'mjx-container[display="true"], .jp-RenderedLatex',
    table: ".md-content table",
    code: ".md-content pre > code",
    output: ".jp-OutputArea-output",
  };
  const boxes = new Map();
  const unboxed = [];
  const counts = {};
  for (const [kind, selector] of Object.entries(KINDS)) {
    const items = [...document.querySelectorAll(selector)].filter((el) => el.getClientRects().length);
    counts[kind] = items.length;
    for (const item of items) {
      let boxed = false;
      for (let el = item; el && el !== column; el = el.parentElement) {
        if (!clips(el)) continue;
        boxed = true;
        if (!boxes.has(el)) boxes.set(el, kind);
      }
      const rect = item.getBoundingClientRect();
      if (!boxed && (rect.right > edge.right + TOLERANCE || rect.left < edge.left - TOLERANCE))
        unboxed.push({ kind, what: describe(item), width: Math.round(rect.width), room: Math.round(edge.width) });
    }
  }
  const overflowing = [];
  for (const [box, kind] of boxes) {
    if (box.scrollWidth <= box.clientWidth + TOLERANCE) continue;
    overflowing.push({
      kind,
      what: describe(box),
      scrollWidth: box.scrollWidth,
      clientWidth: box.clientWidth,
      overflowX: getComputedStyle(box).overflowX,
      focusable: focusable(box),
      name: accessibleName(box),
    });
  }

  // Anything in the content that paints outside the column: walk the article, but not into boxes that clip
  // (their content cannot paint outside them), math (measured as a whole) or SVG.
  const outside = [];
  const walk = (el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width && (rect.right > edge.right + TOLERANCE || rect.left < edge.left - TOLERANCE)) {
      outside.push({ what: describe(el), left: Math.round(rect.left - edge.left), right: Math.round(rect.right - edge.right) });
      return; // one report per subtree
    }
    if (clips(el) || el.matches("mjx-container, svg")) return;
    for (const child of el.children) walk(child);
  };
  walk(inner);

  return {
    viewportWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    column: { left: Math.round(edge.left), right: Math.round(edge.right) },
    counts,
    overflowing,
    unboxed,
    outside: outside.slice(0, 20),
    outsideCount: outside.length,
  };
}
