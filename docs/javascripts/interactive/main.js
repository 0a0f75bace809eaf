// Mounts the interactive figures. Each figure is a container `<div data-widget="NAME" ...>` with a static
// figure inside (what a reader without JavaScript sees). Material's instant navigation replaces the page content
// without a reload and emits `document$` for every page: on each emission the figures of the page that left are
// unmounted and those of the new page mounted.
import { mount as bpttStepper } from "./bptt-stepper.js";
import { mount as lag } from "./lag.js";
import { mount as carousel } from "./carousel.js";

const WIDGETS = { "bptt-stepper": bpttStepper, lag, carousel };
let mounted = []; // [{ node, unmount }]

function mountAll() {
  for (const m of mounted) m.unmount();
  mounted = [];
  for (const node of document.querySelectorAll("[data-widget]")) {
    const mount = WIDGETS[node.dataset.widget];
    if (!mount) {
      console.error(`unknown interactive figure ${node.dataset.widget}`);
      continue;
    }
    const live = mount(node);
    node.classList.add("rnn-widget--live");
    mounted.push({ node, unmount: () => { live.unmount(); node.classList.remove("rnn-widget--live"); } });
  }
}

if (window.document$) window.document$.subscribe(mountAll);
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
else mountAll();
