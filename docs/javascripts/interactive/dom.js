// Small DOM helpers shared by the interactive figures: elements, SVG, labelled controls, number formatting.

const SVG_NS = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  node.append(...[].concat(children));
  return node;
}

export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  node.append(...[].concat(children));
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
}

// A number as the pages print it: fixed digits, a typographic minus, no "−0.000".
export function num(v, digits = 3) {
  let s = v.toFixed(digits);
  if (Number(s) === 0) s = s.replace("-", "");
  return s.replace("-", "\u2212");
}

export const vec = (v, digits = 3) => `(${v.map((e) => num(e, digits)).join(", ")})`;
export const mat = (M, digits = 3) => `(${M.map((row) => row.map((e) => num(e, digits)).join(", ")).join("; ")})`;

const SUPERSCRIPT = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079";

// 1.23 × 10⁻⁵ style, with a typographic minus, for numbers over many orders of magnitude.
export function sci(v, digits = 2) {
  if (v === 0) return "0";
  const [m, e] = v.toExponential(digits).split("e");
  const exp = Number(e);
  const mant = m.replace("-", "\u2212");
  const power = String(exp).split("").map((c) => (c === "-" ? "\u207b" : SUPERSCRIPT[c])).join("");
  return exp === 0 ? mant : `${mant} \u00d7 10${power}`;
}

let counter = 0;
export const uid = (prefix) => `${prefix}-${++counter}`;

// A labelled range input; `text(value)` gives aria-valuetext and the visible readout; onInput(value).
export function slider({ label, min, max, step, value, text, onInput }) {
  const id = uid("rnn-slider");
  const input = el("input", { type: "range", id, min, max, step, value });
  const out = el("output", { for: id, "aria-hidden": "true" });
  const update = () => {
    const v = Number(input.value);
    input.setAttribute("aria-valuetext", text(v));
    out.textContent = text(v);
    return v;
  };
  input.addEventListener("input", () => onInput(update()));
  update();
  const wrap = el("div", { class: "rnn-widget__control" }, [el("label", { for: id, text: label }), input, out]);
  return { wrap, input, refresh: update };
}

// A group of radio buttons; onChange(value).
export function radios({ legend, name, options, value, onChange }) {
  const group = uid(name);
  const fieldset = el("fieldset", { class: "rnn-widget__control rnn-widget__radios" }, [el("legend", { text: legend })]);
  for (const [v, labelText] of options) {
    const id = uid(name);
    const input = el("input", { type: "radio", name: group, id, value: v, checked: v === value,
      onchange: () => onChange(v) });
    fieldset.append(el("span", {}, [input, el("label", { for: id, text: labelText })]));
  }
  return fieldset;
}

// The region a screen reader reads when something changes.
export const liveRegion = () => el("p", { class: "rnn-widget__live", "aria-live": "polite", role: "status" });

// Exposes the numbers a figure shows, for readers' tools and for the browser test (JSON keeps every digit).
export function expose(node, values) {
  node.dataset.values = JSON.stringify(values);
}
