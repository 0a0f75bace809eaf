// @requires node_modules/axe-core/axe.min.js
// Accessibility: axe-core's default rule set (WCAG 2.x A and AA, and axe's best practices) over the whole page,
// once per load; returns the violations of impact "serious" or "critical", each with its rule id, summary and
// the elements it was found on (CSS selector, an HTML snippet and axe's own explanation).
// Colour contrast, by far the most expensive rule (it inspects every span of every code block), runs at the
// desktop width only: the theme's colours do not depend on the width, and the survey loads each page in both
// schemes at both widths.
async () => {
  const SERIOUS = ["serious", "critical"];
  const desktop = window.innerWidth >= 960;
  const { violations } = await axe.run(document, {
    resultTypes: ["violations"],
    rules: { "color-contrast": { enabled: desktop } },
  });
  return violations
    .map((rule) => ({ rule, nodes: rule.nodes.filter((node) => SERIOUS.includes(node.impact)) }))
    .filter(({ nodes }) => nodes.length)
    .map(({ rule, nodes }) => ({
      id: rule.id,
      impact: rule.impact,
      help: rule.help,
      count: nodes.length,
      nodes: nodes.slice(0, 5).map((node) => ({
        target: node.target.join(" "),
        html: node.html.slice(0, 160),
        summary: (node.failureSummary || "").replace(/\s+/g, " ").slice(0, 300),
      })),
    }));
}
