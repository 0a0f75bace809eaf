// The basic facts every survey test may need: the page's title, its scroll width against its viewport width.
() => ({
  title: document.title,
  viewportWidth: window.innerWidth,
  scrollWidth: document.documentElement.scrollWidth,
  colorScheme: document.body.getAttribute("data-md-color-scheme"),
  openDetails: document.querySelectorAll("details[open]").length,
  closedDetails: document.querySelectorAll("details:not([open])").length,
})
