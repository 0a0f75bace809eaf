// @requires node_modules/axe-core/axe.min.js
// Accessibility: axe-core's default rule set (WCAG 2.x A and AA, and axe's best practices) over the whole page,
// once per load; returns the violations of impact "serious" or "critical", each with its rule id, summary and
// the elements it was found on (CSS selector, an HTML snippet and axe's own explanation).
async () => {
  const SERIOUS = ["serious", "critical"];
  const { violations } = await axe.run(document, { resultTypes: ["violations"] });
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
