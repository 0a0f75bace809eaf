// Part 4: the norm of dh(T)/dh(T - lag) against the lag, beside the Pascanu bound (4.6), with norm clipping.
// Container: <div data-widget="lag" data-seed="..." data-h="8" data-t="40">.
import { lagData } from "./core.js";
import { el, num, sci, uid, slider, radios, liveRegion, expose } from "./dom.js";
import { logPlot } from "./plot.js";

//: the clipping thresholds the slider steps through; the last one switches clipping off
const THRESHOLDS = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, null];

export function mount(root) {
  const seed = Number(root.dataset.seed);
  const H = Number(root.dataset.h);
  const T = Number(root.dataset.t);
  const state = { lambda1: 1.0, kind: "orthogonal", activation: "tanh", threshold: 10 };
  const live = liveRegion();
  const figure = el("div", { class: "rnn-widget rnn-widget--lag" });
  const plotBox = el("div", { class: "rnn-widget__plot", id: uid("lag-plot") });
  const legend = el("ul", { class: "rnn-widget__legend" }, [
    el("li", { class: "rnn-key rnn-key--measured", text: `measured \u2016\u2202h\u207d\u1d40\u207e/\u2202h\u207d\u1d40\u207b\u1d4f\u207e\u2016\u2082 (k = lag)` }),
    el("li", { class: "rnn-key rnn-key--bound", text: "bound (\u03b3\u03bb\u2081)\u02e1\u1d43\u1d4d, (4.6)" }),
  ]);
  const readout = el("p", { class: "rnn-widget__readout" });
  const clipReadout = el("p", { class: "rnn-widget__readout" });

  const lambdaControl = slider({ label: "Largest singular value \u03bb\u2081 of W", min: 0.25, max: 3, step: 0.05,
    value: state.lambda1, text: (v) => `\u03bb\u2081 = ${v.toFixed(2)}`,
    onInput: (v) => { state.lambda1 = v; render(`\u03bb\u2081 set to ${v.toFixed(2)}.`); } });
  const kind = radios({ legend: "Recurrent matrix W", name: "rnn-kind", value: state.kind,
    options: [["orthogonal", "\u03bb\u2081 \u00d7 orthogonal"], ["gaussian", "Gaussian, rescaled"]],
    onChange: (v) => { state.kind = v; render(`W is now ${v}.`); } });
  const activation = radios({ legend: "Activation", name: "rnn-act", value: state.activation,
    options: [["tanh", "tanh (\u03b3 = 1)"], ["sigmoid", "sigmoid (\u03b3 = 1/4)"]],
    onChange: (v) => { state.activation = v; render(`Activation is now ${v}.`); } });
  const clipControl = slider({ label: "Clipping threshold for \u2016\u2202L/\u2202W\u2016", min: 0,
    max: THRESHOLDS.length - 1, step: 1, value: THRESHOLDS.indexOf(state.threshold),
    text: (i) => (THRESHOLDS[i] === null ? "no clipping" : `threshold ${THRESHOLDS[i]}`),
    onInput: (i) => { state.threshold = THRESHOLDS[i]; render(THRESHOLDS[i] === null ? "Clipping off." : `Threshold set to ${THRESHOLDS[i]}.`); } });

  figure.append(el("div", { class: "rnn-widget__controls" }, [lambdaControl.wrap, kind, activation]), plotBox, legend,
    readout, clipControl.wrap, clipReadout, live);
  root.append(figure);

  // the plot is drawn at the width it is shown at, so that its text stays 12 px on a phone and on a desktop
  const plotWidth = () => Math.max(280, Math.min(640, Math.round(plotBox.clientWidth || 340)));
  let draw = () => {};
  let drawnWidth = 0;
  const resize = new ResizeObserver(() => { if (plotWidth() !== drawnWidth) { drawnWidth = plotWidth(); draw(); } });
  resize.observe(plotBox);

  function render(prefix = "") {
    const d = lagData({ seed, H, T, ...state });
    expose(root, { ...d, ...state, seed, H, T });
    draw = () => logPlot(plotBox, { xlabel: "lag (steps back from T)", ylabel: "norm", width: plotWidth(),
      series: [{ values: d.bound, cls: "rnn-plot__line--bound" }, { values: d.norms, cls: "rnn-plot__line--measured" }] });
    draw();
    const gl = d.gamma * d.lambda_1;
    readout.textContent = `\u03b3\u03bb\u2081 = ${num(gl, 3)} (${gl < 1 ? "below 1: the gradient must vanish" : gl === 1 ? "exactly 1" : "above 1: it may explode, need not"}). `
      + `After ${T} steps: measured ${sci(d.norms[T])}, bound ${sci(d.bound[T])}.`;
    clipReadout.textContent = `For a loss at step ${T}: \u2016\u2202L/\u2202W\u2016 = ${sci(d.grad_norm)}; `
      + (d.scale < 1 ? `clipped to the threshold ${state.threshold} (scaled by ${sci(d.scale)}, same direction).` : "not clipped (below the threshold).");
    live.textContent = `${prefix} Measured norm after ${T} steps ${sci(d.norms[T])}, bound ${sci(d.bound[T])}; gradient norm ${sci(d.grad_norm)}${d.scale < 1 ? `, clipped to ${state.threshold}` : ""}.`.trim();
  }
  render();
  return { unmount: () => { resize.disconnect(); figure.remove(); } };
}
