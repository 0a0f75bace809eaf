// Part 5: the constant error carousel. How much of dL/ds(T) reaches s(1) along the cell path and through the
// gates, against the forget-gate bias and the length, beside the simple RNN; the cell drawn with live values.
// Container: <div data-widget="carousel" data-example='{"gates": ..., "rnn": ..., "cycle": ...}'>.
import { carouselData } from "./core.js";
import { el, svg, num, sci, uid, slider, liveRegion, expose } from "./dom.js";

const BAR_DECADES = 30; // the bars span 1e-30 (empty) ... 1 (full) on a log scale

export function mount(root) {
  const ex = JSON.parse(root.dataset.example);
  const state = { forgetBias: 1, T: 20, step: 1 };
  const live = liveRegion();
  const figure = el("div", { class: "rnn-widget rnn-widget--carousel" });

  // ---- the cell, one step, with live values: the cell path along the top, the gates below
  const cell = svg("svg", { viewBox: "0 0 340 150", class: "rnn-widget__cell", role: "img", "aria-labelledby": uid("cell") });
  const cellTitle = svg("title", { id: cell.getAttribute("aria-labelledby") });
  cell.append(cellTitle);
  const values = {};
  const line = (x1, y1, x2, y2, cls = "") => cell.append(svg("line", { x1, y1, x2, y2, class: `rnn-wire ${cls}` }));
  const op = (x, y, text) => cell.append(svg("g", { class: "rnn-node" }, [svg("circle", { cx: x, cy: y, r: 9 }),
    svg("text", { x, y: y + 4, "text-anchor": "middle", text })]));
  const box = (key, x, y, label) => {
    const v = svg("text", { x, y: y + 11, "text-anchor": "middle", class: "rnn-node__value" });
    values[key] = v;
    cell.append(svg("g", { class: `rnn-node rnn-node--${key}` }, [
      svg("rect", { x: x - 27, y: y - 15, width: 54, height: 30, rx: 5 }),
      svg("text", { x, y: y - 2, "text-anchor": "middle", text: label }), v]));
  };
  line(69, 22, 111, 22, "rnn-wire--cell"); line(129, 22, 201, 22, "rnn-wire--cell"); line(218, 22, 271, 22, "rnn-wire--cell");
  line(120, 31, 120, 105); // f up to the product
  line(180, 105, 210, 72); line(240, 105, 210, 72); line(210, 63, 210, 31); // g z up to the sum
  line(300, 37, 300, 58); line(300, 88, 300, 105); // s(t) and q into h(t)
  box("s_prev", 40, 22, "s(t\u22121)");
  op(120, 22, "\u00d7"); op(210, 22, "+"); op(210, 72, "\u00d7");
  box("s", 300, 22, "s(t)");
  box("h", 300, 73, "h(t)");
  box("f", 120, 120, "f forget");
  box("g", 180, 120, "g input");
  box("z", 240, 120, "z block");
  box("q", 300, 120, "q output");
  const gradients = el("p", { class: "rnn-widget__readout" });

  // ---- the shares
  const bars = el("div", { class: "rnn-widget__bars" });
  const barRow = (key, label) => {
    const fill = el("span", { class: `rnn-bar__fill rnn-bar__fill--${key}` });
    const value = el("span", { class: "rnn-bar__value" });
    bars.append(el("div", { class: "rnn-bar" }, [el("span", { class: "rnn-bar__label", text: label }),
      el("span", { class: "rnn-bar__track", "aria-hidden": "true" }, [fill]), value]));
    return { fill, value };
  };
  const rows = {
    total: barRow("total", "LSTM, all paths: |\u2202L/\u2202s(1)| / |\u2202L/\u2202s(T)|"),
    cell: barRow("cell", "cell path alone: f(T)\u22eff(2)"),
    gates: barRow("gates", "through h and the gates"),
    rnn: barRow("rnn", "simple RNN: |\u2202L/\u2202h(1)| / |\u2202L/\u2202h(T)|"),
  };

  const bias = slider({ label: "Forget-gate bias b_f", min: -2, max: 5, step: 0.25, value: state.forgetBias,
    text: (v) => `b_f = ${num(v, 2)}`, onInput: (v) => { state.forgetBias = v; render(`Forget bias set to ${num(v, 2)}.`); } });
  const length = slider({ label: "Sequence length T", min: 2, max: 60, step: 1, value: state.T,
    text: (v) => `T = ${v}`, onInput: (v) => {
      state.T = v;
      stepControl.input.max = v;
      if (state.step > v) { state.step = v; stepControl.input.value = v; }
      stepControl.refresh();
      render(`Length set to ${v}.`);
    } });
  const stepControl = slider({ label: "Cell shown at step t", min: 1, max: state.T, step: 1, value: state.step,
    text: (v) => `t = ${v}`, onInput: (v) => { state.step = v; render(`Showing step ${v}.`); } });

  figure.append(el("div", { class: "rnn-widget__controls" }, [bias.wrap, length.wrap]), bars,
    el("p", { class: "rnn-widget__note", text: "Bars: log scale, empty below 10\u207b\u00b3\u2070, full at 1 or more." }),
    stepControl.wrap, el("div", { class: "rnn-widget__cellbox" }, [cell]), gradients, live);
  root.append(figure);

  function setBar({ fill, value }, share) {
    const mag = Math.abs(share);
    const frac = mag > 0 ? Math.max(0, Math.min(1, 1 + Math.log10(mag) / BAR_DECADES)) : 0;
    fill.style.width = `${(100 * frac).toFixed(1)}%`;
    value.textContent = sci(share);
  }

  function render(prefix = "") {
    const d = carouselData({ ...ex, ...state });
    expose(root, { ...d, forget_bias: state.forgetBias, T: state.T, step: state.step });
    setBar(rows.total, d.total_share);
    setBar(rows.cell, d.cell_share);
    setBar(rows.gates, d.gates_share);
    setBar(rows.rnn, d.rnn_share);
    const c = d.cell;
    for (const k of ["s_prev", "f", "g", "z", "q", "s", "h"]) values[k].textContent = num(c[k], 4);
    gradients.textContent = `At step ${state.step}: x(t) = ${num(c.x, 2)}, \u2202L/\u2202s(t) = ${sci(c.ds)}, \u2202L/\u2202h(t) = ${sci(c.dh)}.`;
    cellTitle.textContent = `The LSTM cell at step ${state.step}: forget gate ${num(c.f, 4)}, input gate ${num(c.g, 4)}, block input ${num(c.z, 4)}, output gate ${num(c.q, 4)}, cell state ${num(c.s_prev, 4)} to ${num(c.s, 4)}.`;
    live.textContent = `${prefix} Of dL/ds(${state.T}), ${sci(d.total_share)} reaches s(1): ${sci(d.cell_share)} along the cell path, ${sci(d.gates_share)} through the gates; the simple RNN keeps ${sci(d.rnn_share)}.`.trim();
  }
  render();
  return { unmount: () => figure.remove() };
}
