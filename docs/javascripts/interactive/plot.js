// A small log-scale line plot in SVG, coloured by CSS classes (light and dark themes).
import { svg } from "./dom.js";

const decade = (v) => Math.log10(v);

// series: [{ values: [y(0), y(1), ...], cls, label }]; x runs 0 ... n - 1.
export function logPlot(box, { series, xlabel, ylabel, width = 340, height = 210 }) {
  const m = { l: 56, r: 8, t: 8, b: 34 };
  const all = series.flatMap((s) => s.values).filter((v) => v > 0 && Number.isFinite(v));
  let lo = Math.floor(decade(Math.min(...all)));
  let hi = Math.ceil(decade(Math.max(...all)));
  lo = Math.max(lo, hi - 40); // at most 40 decades: lower values run off the bottom
  if (hi - lo < 2) { lo -= 1; hi += 1; }
  const n = series[0].values.length;
  const px = (i) => m.l + (i / (n - 1)) * (width - m.l - m.r);
  const py = (v) => m.t + ((hi - decade(v)) / (hi - lo)) * (height - m.t - m.b);
  const clipId = `${box.id || "plot"}-clip`;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "rnn-plot", "aria-hidden": "true" });
  root.append(svg("defs", {}, [svg("clipPath", { id: clipId }, [svg("rect", { x: m.l, y: m.t, width: width - m.l - m.r, height: height - m.t - m.b })])]));
  const step = Math.max(1, Math.ceil((hi - lo) / 6));
  for (let k = hi; k >= lo; k -= step) {
    root.append(svg("line", { class: "rnn-plot__grid", x1: m.l, x2: width - m.r, y1: py(10 ** k), y2: py(10 ** k) }));
    root.append(svg("text", { class: "rnn-plot__tick", x: m.l - 4, y: py(10 ** k) + 4, "text-anchor": "end",
      text: k === 0 ? "1" : `1e${String(k).replace("-", "\u2212")}` }));
  }
  for (let i = 0; i < n; i += Math.max(1, Math.round((n - 1) / 4))) {
    root.append(svg("text", { class: "rnn-plot__tick", x: px(i), y: height - m.b + 14, "text-anchor": "middle", text: String(i) }));
  }
  root.append(svg("rect", { class: "rnn-plot__frame", x: m.l, y: m.t, width: width - m.l - m.r, height: height - m.t - m.b }));
  root.append(svg("text", { class: "rnn-plot__label", x: (m.l + width - m.r) / 2, y: height - 4, "text-anchor": "middle", text: xlabel }));
  root.append(svg("text", { class: "rnn-plot__label", x: 10, y: (m.t + height - m.b) / 2, "text-anchor": "middle",
    transform: `rotate(-90 10 ${(m.t + height - m.b) / 2})`, text: ylabel }));
  const floor = 10 ** (lo - 1); // values at or below zero are drawn at the bottom edge, outside the frame
  for (const s of series) {
    const d = s.values.map((v, i) => `${i ? "L" : "M"}${px(i).toFixed(2)},${py(Math.max(v, floor)).toFixed(2)}`).join(" ");
    root.append(svg("path", { class: `rnn-plot__line ${s.cls}`, d, "clip-path": `url(#${clipId})` }));
  }
  box.replaceChildren(root);
}
