// Build-time math: typesets the formulas of every built page with MathJax 4 in this one Node process.
//
// hooks/math.py starts it once per build and streams requests to it, one JSON object per line on stdin:
//   {"id": 3, "fragments": ["<span class=\"arithmatex\">\\(x\\)</span>", "<div class=\"jp-RenderedMarkdown\">...</div>"]}
// and reads one JSON line per request on stdout:
//   {"id": 3, "fragments": [...typeset HTML, same order...], "cache": "<svg ...>", "css": "...", "errors": [...]}
// A fragment is a piece of page HTML that holds TeX between delimiters: an arithmatex span or div of a Markdown
// page (\(...\), \[...\]), or a Markdown or LaTeX output block of an executed derivation ($...$, $$...$$).
// Each request is typeset as one MathJax document with its own output jax. The output is SVG with a page-wide
// font cache: every glyph a page uses is one <path> in a hidden <svg> ("cache", which hooks/math.py puts at the
// top of the page's article, so that instant navigation swaps it in with the page), and each formula <use>s
// it. "css" is MathJax's stylesheet for the request (the same rules on every page; hooks/math.py merges the
// pages' sheets into one site-wide file).
//
// What is kept of MathJax's accessibility: the assistive MathML (a visually hidden <math> element next to the
// rendered formula, which screen readers read; the rendered formula itself is aria-hidden). The TeX source of
// every formula is kept in one data-latex attribute on its <mjx-container> (for copy-as-TeX); MathJax's per-node
// copies of it are dropped, since they only serve its in-browser explorer, which the site does not load.

import {createInterface} from 'node:readline';
import {init} from 'mathjax';

const MathJax = await init({
  loader: {load: ['input/tex', 'output/svg', 'adaptors/liteDOM', 'a11y/assistive-mml']},
  tex: {
    inlineMath: [['\\(', '\\)'], ['$', '$']],
    displayMath: [['\\[', '\\]'], ['$$', '$$']],
    processEscapes: true,
    processEnvironments: true,
    tags: 'none',
    // An undefined macro is an error (MathJax would otherwise show its name in red and carry on).
    packages: {'[-]': ['noundefined']},
  },
  svg: {fontCache: 'global'},
  startup: {typeset: false},
});

const adaptor = MathJax.startup.adaptor;
const {mathjax} = MathJax._.mathjax;
const {TeX} = MathJax._.input.tex_ts;
const {SVG} = MathJax._.output.svg_ts;

// Keep one data-latex (the formula's whole TeX, on the container); drop the per-node copies.
function stripLatex(node) {
  for (const child of adaptor.childNodes(node)) {
    if (adaptor.kind(child) === '#text' || adaptor.kind(child) === '#comment') continue;
    adaptor.removeAttribute(child, 'data-latex');
    adaptor.removeAttribute(child, 'data-latex-item');
    stripLatex(child);
  }
}

async function typeset(fragments) {
  const body = fragments.map((f, i) => `<div data-fragment="${i}">${f}</div>`).join('');
  const doc = mathjax.document(`<!DOCTYPE html><html><head></head><body>${body}</body></html>`, {
    InputJax: new TeX(MathJax.config.tex),
    OutputJax: new SVG(MathJax.config.svg),
  });
  await doc.renderPromise();
  const errors = [];
  for (const item of doc.math) {
    const root = item.typesetRoot;
    if (!root) continue;
    stripLatex(root);
    adaptor.setAttribute(root, 'data-latex', item.math);
    for (const err of adaptor.tags(root, 'mjx-merror')) {
      errors.push(`${adaptor.getAttribute(err, 'data-mjx-error') || adaptor.textContent(err)} in: ${item.math}`);
    }
  }
  const css = adaptor.textContent(doc.outputJax.styleSheet(doc));
  // Rendering added the font cache to the body, next to our fragment wrappers.
  const out = [];
  let cache = '';
  for (const node of adaptor.childNodes(adaptor.body(doc.document))) {
    if (adaptor.kind(node) === 'svg') cache = adaptor.outerHTML(node);
    else out.push(adaptor.innerHTML(node));
  }
  if (out.length !== fragments.length) throw new Error(`got ${out.length} fragments back, sent ${fragments.length}`);
  return {fragments: out, cache, css, errors};
}

// Requests are answered in order, one at a time (typesetting is synchronous work anyway).
let queue = Promise.resolve();
createInterface({input: process.stdin, crlfDelay: Infinity}).on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(async () => {
    const request = JSON.parse(line);
    let reply;
    try {
      reply = {id: request.id, ...(await typeset(request.fragments))};
    } catch (err) {
      reply = {id: request.id, fatal: String(err && err.stack || err)};
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  });
});
