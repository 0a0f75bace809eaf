// Mounts the interactive figures. Each figure is a container `<div data-widget="NAME" ...>` with a static
// figure inside (what a reader without JavaScript sees). Material's instant navigation replaces the page content
// without a reload and emits `document$` for every page: on each emission the figures of the page that left are
// unmounted and those of the new page mounted. This file is all that every page loads; a figure's module (and
// the numerical core and drawing code it imports) is fetched the first time a page holding that figure is shown.
const WIDGETS = {
  "bptt-stepper": () => import("./bptt-stepper.js"),
  lag: () => import("./lag.js"),
  carousel: () => import("./carousel.js"),
};
let mounted = []; // [{ node, unmount }]
let shown = 0; // counts the pages shown: a module that arrives after its page has left mounts nothing

async function mountAll() {
  for (const m of mounted) m.unmount();
  mounted = [];
  const page = ++shown;
  for (const node of document.querySelectorAll("[data-widget]")) {
    const load = WIDGETS[node.dataset.widget];
    if (!load) {
      console.error(`unknown interactive figure ${node.dataset.widget}`);
      continue;
    }
    const { mount } = await load();
    if (page !== shown || !node.isConnected) return;
    const live = mount(node);
    node.classList.add("rnn-widget--live");
    mounted.push({ node, unmount: () => { live.unmount(); node.classList.remove("rnn-widget--live"); } });
  }
}

if (window.document$) window.document$.subscribe(mountAll);
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
else mountAll();
