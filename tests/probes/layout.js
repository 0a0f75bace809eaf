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
  // Where an element paints: its box, widened by any content that overflows it without being clipped (a block
  // <mjx-container> keeps the column's width while its formula runs past it).
  const extent = (el) => {
    const rect = el.getBoundingClientRect();
    if (clips(el) || !el.clientWidth) return { left: rect.left, right: rect.right, width: rect.width };
    return { left: rect.left, right: Math.max(rect.right, rect.left + el.scrollWidth), width: Math.max(rect.width, el.scrollWidth) };
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
      const rect = extent(item);
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

  // Anything in the content that paints outside the column: walk the article, descending only where something
  // overflows (an element's scroll width counts the content that runs past it unclipped), and not into boxes that
  // clip (their content cannot paint outside them) or into math and SVG (reported as a whole).
  const outside = [];
  const beyond = (r) => r.right > edge.right + TOLERANCE || r.left < edge.left - TOLERANCE;
  const report = (el, r) => outside.push({ what: describe(el), left: Math.round(r.left - edge.left), right: Math.round(r.right - edge.right) });
  const walk = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width && beyond(box)) return report(el, box);
    if (clips(el)) return;
    const ext = extent(el);
    if (!beyond(ext)) return;
    if (el.matches("mjx-container, svg") || !el.children.length) return report(el, ext);
    const before = outside.length;
    for (const child of el.children) walk(child);
    if (outside.length === before) report(el, ext); // the element's own text runs past the column
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
