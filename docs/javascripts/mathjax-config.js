// MathJax 3 configuration. MathJax itself (assets/mathjax/tex-chtml.js) is installed from the npm registry at
// build time and served by this site: no CDN, fonts included (MathJax loads them relative to its own script).
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "none",
  },
  options: {
    // Typeset only what is meant to be math: arithmatex output on Markdown pages, and the Markdown and LaTeX
    // outputs of the executed derivation pages. Everything else (header, navigation, code) is left alone.
    ignoreHtmlClass: "md-header|md-container|md-sidebar|md-footer|highlight",
    processHtmlClass: "arithmatex|jp-RenderedLatex|jp-RenderedMarkdown|jp-MarkdownOutput",
  },
  startup: {
    pageReady: () => MathJax.startup.defaultPageReady().then(() => {
      document.documentElement.dataset.mathjax = "typeset";
    }),
  },
};

// Material's instant navigation swaps page content without a reload and emits `document$` for each page.
// The first emission is the initial page, which MathJax typesets by itself on startup: typesetting it again
// there would clear MathJax's stylesheet. So skip the first event and typeset only later navigations.
let firstPage = true;
document$.subscribe(() => {
  if (firstPage) {
    firstPage = false;
    return;
  }
  if (window.MathJax && MathJax.typesetPromise) {
    document.documentElement.dataset.mathjax = "pending";
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    MathJax.typesetPromise().then(() => {
      document.documentElement.dataset.mathjax = "typeset";
    });
  }
});
