// @requires node_modules/axe-core/axe.min.js
// @after-networkidle
// The interactive figures (tests/test_site_interactive.py), once the network is idle and they have mounted: per
// figure, its id, how many static images it holds and how many still show, axe-core's serious and critical
// violations within it (the default rules, colour contrast at every width), its right edge against the window,
// its own overflow, its elements that stick out of it, and its smallest SVG text as displayed.
async () => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const figures = [];
  for (const container of document.querySelectorAll("[data-widget]")) {
    const fig = container.closest("figure");
    if (!fig) {
      figures.push({ widget: container.dataset.widget, id: null });
      continue;
    }
    const { violations } = await axe.run(fig);
    const r = fig.getBoundingClientRect();
    const texts = [...fig.querySelectorAll("svg text")].filter((t) => t.textContent.trim()).map((t) => {
      const svg = t.ownerSVGElement;
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      return parseFloat(getComputedStyle(t).fontSize) * scale;
    });
    // the widget's own elements and the caption's box (the caption's formulas are MathJax's business)
    const own = [...fig.querySelectorAll(".rnn-widget *"), fig.querySelector("figcaption")];
    const wide = own.filter((e) => e.getBoundingClientRect().right > r.right + 1)
      .map((e) => e.tagName + "." + e.getAttribute("class"));
    figures.push({
      widget: container.dataset.widget,
      id: fig.id,
      images: fig.querySelectorAll("img").length,
      visibleImages: [...fig.querySelectorAll("img")].filter(visible).length,
      serious: violations.filter((v) => ["serious", "critical"].includes(v.impact))
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })),
      layout: { right: r.right, inner: window.innerWidth, overflow: fig.scrollWidth - fig.clientWidth,
                smallest: Math.min(...texts), wide },
    });
  }
  return figures;
}
