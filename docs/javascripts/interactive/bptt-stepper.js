// Part 3: backpropagation through time on the worked example, one step at a time.
// Container: <div data-widget="bptt-stepper" data-example='{"U": ..., "W": ..., "x": ..., "y": ..., "h0": ...}'>.
import { bpttSteps } from "./core.js";
import { el, svg, vec, mat, uid, slider, liveRegion, expose } from "./dom.js";

const SUP = { 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074", 5: "\u2075", 6: "\u2076", 7: "\u2077",
  8: "\u2078", 9: "\u2079", t: "\u1d57" };
const sup = (t) => `\u207d${String(t).split("").map((c) => SUP[c] ?? c).join("")}\u207e`; // ⁽³⁾

// the equation ids of Part 3, linked to their anchors on the page
const eq = (id) => el("a", { href: `#eq-${id.replace(".", "-")}`, class: "rnn-widget__eq", text: `(${id})` });

export function mount(root) {
  const ex = JSON.parse(root.dataset.example);
  const T = ex.x.length;
  let tau = T;
  let position = 0;
  let steps = bpttSteps(ex, null);

  const live = liveRegion();
  const figure = el("div", { class: "rnn-widget rnn-widget--bptt" });

  // ---- controls
  const back = el("button", { type: "button", text: "\u25c0 Back one step in time",
    onclick: () => go(position + 1) });
  const undo = el("button", { type: "button", text: "Undo \u25b6", onclick: () => go(position - 1) });
  const reset = el("button", { type: "button", text: "Start over", onclick: () => go(0) });
  const tauControl = slider({
    label: "Truncation length \u03c4", min: 1, max: T, step: 1, value: tau,
    text: (v) => (v >= T ? `\u03c4 = ${v}: full BPTT, nothing cut` : v === 1 ? "\u03c4 = 1: each loss term's gradient stays in its own step"
      : `\u03c4 = ${v}: each loss term's gradient crosses at most ${v - 1} step${v === 2 ? "" : "s"} back`),
    onInput: (v) => { tau = v; steps = bpttSteps(ex, tau >= T ? null : tau); render(`Truncation length set to ${v}.`); },
  });
  const buttons = el("div", { class: "rnn-widget__buttons" }, [back, undo, reset]);

  // ---- the unrolled graph, drawn backwards: edges carry the gradient
  const X = (t) => 26 + t * 90; // column of step t (h(0) at t = 0)
  const Y = { L: 18, o: 72, h: 126, a: 180 };
  const graph = svg("svg", { viewBox: "0 0 356 204", class: "rnn-widget__graph", role: "img",
    "aria-labelledby": uid("g") });
  const gTitle = svg("title", { id: graph.getAttribute("aria-labelledby") });
  graph.append(gTitle, svg("defs", {}, [svg("marker", { id: `${gTitle.id}-arrow`, viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" }, [svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "context-stroke" })])]));
  const edges = {}; // key -> <g>
  const edge = (key, x1, y1, x2, y2, label) => {
    const diagonal = x1 !== x2; // the W^T edges: label below the middle, clear of the tanh' labels
    const g = svg("g", { class: "rnn-edge" }, [
      svg("line", { x1, y1, x2, y2, "marker-end": `url(#${gTitle.id}-arrow)` }),
      svg("text", diagonal ? { x: (x1 + x2) / 2, y: (y1 + y2) / 2 + 20, "text-anchor": "middle", text: label }
        : { x: x1 + 4, y: (y1 + y2) / 2 + 4, text: label }),
    ]);
    edges[key] = g;
    graph.append(g);
  };
  for (let t = 1; t <= T; t++) {
    edge(`Lo${t}`, X(t), Y.L + 9, X(t), Y.o - 11, "");
    edge(`oh${t}`, X(t), Y.o + 11, X(t), Y.h - 11, "V\u1d40");
    edge(`ha${t}`, X(t), Y.h + 11, X(t), Y.a - 11, "tanh\u2032");
    edge(`ah${t}`, X(t) - 20, Y.a - 6, X(t - 1) + 20, Y.h + 8, "W\u1d40");
  }
  const nodes = {};
  const node = (key, x, y, text) => {
    const g = svg("g", { class: "rnn-node" }, [
      svg("rect", { x: x - 20, y: y - 11, width: 40, height: 22, rx: 5 }),
      svg("text", { x, y: y + 4.5, "text-anchor": "middle", text }),
    ]);
    nodes[key] = g;
    graph.append(g);
  };
  node("h0", X(0), Y.h, `h${sup(0)}`);
  for (let t = 1; t <= T; t++) {
    node(`L${t}`, X(t), Y.L, `L${sup(t)}`);
    node(`o${t}`, X(t), Y.o, `o${sup(t)}`);
    node(`h${t}`, X(t), Y.h, `h${sup(t)}`);
    node(`a${t}`, X(t), Y.a, `a${sup(t)}`);
  }
  const graphBox = el("div", { class: "rnn-widget__graphbox", tabindex: 0, role: "group",
    "aria-label": "Unrolled network. Left arrow: one step back in time; right arrow: undo; Home: start; End: to h(0).",
    onkeydown: (e) => {
      const keys = { ArrowLeft: position + 1, ArrowRight: position - 1, Home: 0, End: T + 1 };
      if (e.key in keys) { e.preventDefault(); go(keys[e.key]); }
    } }, [graph]);

  // ---- the shares kept and dropped by truncation: rows L(t), columns u
  const grid = svg("svg", { viewBox: `0 0 ${60 + 34 * T} ${34 + 26 * T}`, class: "rnn-widget__grid", role: "img",
    "aria-label": "" });
  const cells = {};
  for (let u = 1; u <= T; u++) grid.append(svg("text", { x: 60 + 34 * (u - 1) + 15, y: 12, "text-anchor": "middle", text: `u=${u}` }));
  for (let t = 1; t <= T; t++) {
    grid.append(svg("text", { x: 4, y: 34 + 26 * (t - 1), text: `L${sup(t)}` }));
    for (let u = 1; u <= t; u++) {
      const g = svg("g", { class: "rnn-cell" }, [
        svg("rect", { x: 60 + 34 * (u - 1), y: 18 + 26 * (t - 1), width: 30, height: 22, rx: 3 }),
        svg("text", { x: 60 + 34 * (u - 1) + 15, y: 34 + 26 * (t - 1), "text-anchor": "middle" }),
      ]);
      cells[`${t},${u}`] = g;
      grid.append(g);
    }
  }
  const gridCaption = el("p", { class: "rnn-widget__note" });

  // ---- the panel of numbers
  const panel = el("dl", { class: "rnn-widget__panel" });
  const heading = el("p", { class: "rnn-widget__heading" });

  figure.append(buttons, tauControl.wrap, graphBox, heading, panel,
    el("div", { class: "rnn-widget__shares" }, [grid, gridCaption]), live);
  root.append(figure);

  function go(p) {
    const next = Math.max(0, Math.min(T + 1, p));
    if (next === position) return;
    position = next;
    render();
  }

  function row(label, eqId, value, cls = "") {
    panel.append(el("dt", { class: cls }, [label, " ", eqId ? eq(eqId) : ""]), el("dd", { class: cls, text: value }));
  }

  function render(prefix = "") {
    const s = steps[position];
    const t = s.t;
    expose(root, { ...s, tau, T });
    back.disabled = position === T + 1;
    undo.disabled = position === 0;
    // graph
    for (const [key, g] of Object.entries(edges)) {
      const kind = key.slice(0, 2);
      const k = Number(key.slice(2));
      const stepOf = kind === "ah" ? k - 1 : k; // the step at which the edge delivers its gradient (h(k-1) at k - 1)
      const doneAt = stepOf === 0 ? T + 1 : T - stepOf + 1; // the position at which it is crossed
      let state = position > doneAt ? "done" : position === doneAt ? "current" : "ahead";
      if (kind === "ah" && k >= 2 && steps[T - k + 1].sent.length === 0) state = "cut"; // tau drops everything here
      g.setAttribute("class", `rnn-edge rnn-edge--${state}`);
      if (kind === "ah") g.lastChild.textContent = state === "cut" ? "cut" : "W\u1d40";
    }
    for (const [key, g] of Object.entries(nodes)) {
      const k = Number(key.slice(1));
      const at = k === 0 ? T + 1 : T - k + 1;
      g.setAttribute("class", `rnn-node${position === at ? " rnn-node--current" : position > at ? " rnn-node--done" : ""}`);
    }
    gTitle.textContent = position === 0 ? "Unrolled network; the backward pass has not started."
      : position === T + 1 ? "The gradient reaches h(0) through W transposed." : `The gradient at step ${t}: into h(${t}) from o(${t})${t < T ? ` and from a(${t + 1})` : ""}, then into a(${t}).`;
    // panel
    panel.replaceChildren();
    if (position === 0) {
      heading.textContent = `The forward pass is done (Part 2). Step back in time to start at t = ${T}, where the gradient enters.`;
    } else if (position === T + 1) {
      heading.textContent = "Last: the initial state, used once, by step 1.";
      row(`\u2202L/\u2202h${sup(0)} = W\u1d40 \u03b4${sup(1)}`, "3.10", vec(s.dh0));
    } else {
      heading.textContent = `Step t = ${t}${t === T ? ": nothing comes from the future yet" : ""}.`;
      row(`\u2202L/\u2202o${sup(t)} = \u0177${sup(t)} \u2212 1`, "3.1", vec(s.do));
      row(`from the output: V\u1d40 \u2202L/\u2202o${sup(t)}`, "3.3", vec(s.from_output));
      const kept = s.terms.slice(1).map((k) => `L${sup(k)}`).join(", ");
      row(`from the future: W\u1d40 \u03b4${sup(t + 1)}${kept ? ` (shares of ${kept})` : ""}`, "3.3", vec(s.from_future));
      row(`total \u2202L/\u2202h${sup(t)}`, t === T ? "3.2" : "3.3", vec(s.dh), "rnn-widget__total");
      row(`\u03b4${sup(t)} = (1 \u2212 h${sup(t)}\u00b2) \u2299 \u2202L/\u2202h${sup(t)}`, "3.4", vec(s.delta));
    }
    if (position > 0) {
      row(`running \u2202L/\u2202W = \u03a3 \u03b4 h${sup("t\u22121")}\u1d40`, "3.8", mat(s.dW));
      row("running \u2202L/\u2202U = \u03a3 \u03b4 x\u1d40", "3.9", mat(s.dU));
      row("running \u2202L/\u2202b = \u03a3 \u03b4", "3.7", vec(s.db));
    }
    // shares
    for (const [key, g] of Object.entries(cells)) {
      const [tt, u] = key.split(",").map(Number);
      const dropped = tt - u >= tau;
      const reached = position >= T - u + 1;
      g.setAttribute("class", `rnn-cell rnn-cell--${dropped ? "dropped" : reached ? "kept" : "ahead"}`);
      g.lastChild.textContent = dropped ? "\u00d7" : reached ? "\u2713" : "";
    }
    const droppedCount = Object.keys(cells).filter((k) => { const [a, b] = k.split(",").map(Number); return a - b >= tau; }).length;
    grid.setAttribute("aria-label", `Shares of each loss term at each step: ${droppedCount} of ${Object.keys(cells).length} dropped at \u03c4 = ${tau}.`);
    gridCaption.textContent = `Row L${sup("t")}, column u: the share \u03b4${sup("t,u")} of L${sup("t")} that reaches a${sup("u")} (3.11). `
      + `\u2713 added so far, \u00d7 dropped by \u03c4 = ${tau} (t \u2212 u \u2265 \u03c4), blank: not reached yet.`;
    // what a screen reader hears
    const said = position === 0 ? "Back at the start." : position === T + 1 ? `dL/dh(0) = ${vec(s.dh0)}.`
      : `Step ${t}: dL/dh(${t}) = ${vec(s.dh)}, of which ${vec(s.from_future)} from the future; delta(${t}) = ${vec(s.delta)}; running dL/dW = ${mat(s.dW)}.`;
    live.textContent = `${prefix} ${said}`.trim();
  }
  render();
  return { unmount: () => figure.remove() };
}

