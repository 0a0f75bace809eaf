// @after-networkidle
// What a first load fetched, for tests/test_site_weight.py (the survey records every request path under
// "fetched"): after the network is idle, the interactive figures on the page and how many mounted; then, at the
// desktop width, scroll through the whole page (the lazy images load as they come near) and report the shown
// images that did not load, and the sources of the light-only and dark-only renders (of which a page must fetch
// only its own scheme's). Scrolls back to the top at the end.
async () => {
  const widgets = [...document.querySelectorAll("[data-widget]")].map((n) => n.dataset.widget);
  const live = document.querySelectorAll(".rnn-widget--live").length;
  const sources = (suffix) => [...document.querySelectorAll(`article img[src$='${suffix}']`)]
    .map((img) => new URL(img.src).pathname);
  if (window.innerWidth < 960) return { widgets, live, notLoaded: null, onlyLight: null, onlyDark: null };
  for (let y = 0; y < document.body.scrollHeight; y += 400) {
    window.scrollTo(0, y);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  }
  const shown = [...document.querySelectorAll("article img")].filter((img) => img.getBoundingClientRect().width > 0);
  await Promise.all(shown.map((img) => img.decode().catch(() => {})));
  const notLoaded = shown.filter((img) => !(img.complete && img.naturalWidth > 0))
    .map((img) => img.getAttribute("src"));
  window.scrollTo(0, 0);
  return { widgets, live, notLoaded, onlyLight: sources("#only-light"), onlyDark: sources("#only-dark") };
}
