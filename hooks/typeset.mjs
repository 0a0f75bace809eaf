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

// Drop what only MathJax's in-browser explorer and menu read (the site loads neither), so pages stay small:
// the per-node copies of the TeX (the whole TeX is kept once, on the container), TeX spacing classes, the
// MathML node names (kept where MathJax's stylesheet uses them), glyph names, and SVG namespace declarations
// that HTML does not need. Glyph ids (MJX-NCM-I-1D43F, used thousands of times on a long page) are renamed
// to short ones, MJX-0, MJX-1, ..., numbered per page (each page carries its own glyph cache).
const STYLED_NODES = new Set(['merror', 'mtable', 'maction']);

function slim(node, ids) {
  for (const child of adaptor.childNodes(node)) {
    const kind = adaptor.kind(child);
    if (kind === '#text' || kind === '#comment') continue;
    adaptor.removeAttribute(child, 'data-latex');
    adaptor.removeAttribute(child, 'data-latex-item');
    adaptor.removeAttribute(child, 'data-mjx-texclass');  // TeX spacing classes in the assistive MathML
    if (kind === 'g' && !STYLED_NODES.has(adaptor.getAttribute(child, 'data-mml-node'))) {
      adaptor.removeAttribute(child, 'data-mml-node');
    } else if (kind === 'use' || kind === 'path') {
      adaptor.removeAttribute(child, 'data-c');
      // Kept as xlink:href: Material's scripts rewrite every element with an [href] attribute, and an SVG
      // <use> element's href property cannot be assigned (a page error).
      const href = adaptor.getAttribute(child, 'xlink:href');
      if (href) adaptor.setAttribute(child, 'xlink:href', '#' + shortId(ids, href.slice(1)));
      const id = adaptor.getAttribute(child, 'id');
      if (kind === 'path' && id) adaptor.setAttribute(child, 'id', shortId(ids, id));
    } else if (kind === 'svg') {
      for (const name of ['xmlns', 'role', 'focusable']) adaptor.removeAttribute(child, name);
    }
    slim(child, ids);
  }
}

function shortId(ids, id) {
  if (!ids.has(id)) ids.set(id, `MJX-${ids.size.toString(36)}`);
  return ids.get(id);
}

// MathJax draws glyphs with a thin stroke, selected by the glyph names slim() drops.
const GLYPH_STROKE = '\n\nmjx-container[jax="SVG"] use {\n  stroke-width: 3;\n}\n';

async function typeset(fragments) {
  const body = fragments.map((f, i) => `<div data-fragment="${i}">${f}</div>`).join('');
  const doc = mathjax.document(`<!DOCTYPE html><html><head></head><body>${body}</body></html>`, {
    InputJax: new TeX(MathJax.config.tex),
    OutputJax: new SVG(MathJax.config.svg),
  });
  await doc.renderPromise();
  const errors = [];
  const ids = new Map();
  for (const item of doc.math) {
    const root = item.typesetRoot;
    if (!root) continue;
    slim(root, ids);
    adaptor.setAttribute(root, 'data-latex', item.math);
    for (const err of adaptor.tags(root, 'mjx-merror')) {
      errors.push(`${adaptor.getAttribute(err, 'data-mjx-error') || adaptor.textContent(err)} in: ${item.math}`);
    }
  }
  const css = adaptor.textContent(doc.outputJax.styleSheet(doc)) + GLYPH_STROKE;
  // Rendering added the font cache to the body, next to our fragment wrappers.
  const out = [];
  let cache = '';
  for (const node of adaptor.childNodes(adaptor.body(doc.document))) {
    if (adaptor.kind(node) === 'svg') {
      slim(node, ids);
      cache = adaptor.outerHTML(node);
    }
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
