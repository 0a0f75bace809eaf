// Search on demand. Material (9.7) requests its search index, the largest file of the site (about 110 KB
// compressed), and starts its search worker (12 KB) as soon as any page loads, although most readers never
// search. This script runs before Material's bundle (overrides/main.html writes it inline, in front of it) and
// holds both back until the reader reaches for search: focusing the search box (a click, or the `/`, `s` and `f`
// keys, which focus it), or opening the search dialog on a phone. A page opened with `?h=` (a search result,
// whose words Material highlights using the index) fetches the index at once. Nothing else changes: Material
// sends its request and creates its worker as before; the request is sent, and the worker started, later.
(() => {
  const isIndex = (url) => /\/search\/search_index\.json$/.test(new URL(url, location.href).pathname);
  const isWorker = (url) => /\/workers\/search\.[0-9a-f]+\.min\.js$/.test(new URL(url, location.href).pathname);
  let wanted = new URLSearchParams(location.search).has("h");
  const held = [];
  const release = () => {
    if (wanted) return;
    wanted = true;
    for (const go of held.splice(0)) go();
  };

  // The index request: opened as usual, its send() deferred until the reader wants search.
  const indexRequests = new WeakSet();
  const { open, send } = XMLHttpRequest.prototype;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    if (isIndex(url)) indexRequests.add(this);
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (...args) {
    if (!wanted && indexRequests.has(this)) held.push(() => send.apply(this, args));
    else return send.apply(this, args);
  };

  // The worker: Material only talks to it once the index has arrived, so it is created on the first message.
  const RealWorker = window.Worker;
  window.Worker = function Worker(url, options) {
    if (!isWorker(url)) return new RealWorker(url, options);
    const proxy = new EventTarget();
    let worker = null;
    proxy.postMessage = (...args) => {
      if (!worker) {
        worker = new RealWorker(url, options);
        for (const type of ["message", "error", "messageerror"]) {
          worker.addEventListener(type, (event) => proxy.dispatchEvent(
            type === "error" ? new ErrorEvent("error", { message: event.message }) : new MessageEvent(type, { data: event.data }),
          ));
        }
      }
      worker.postMessage(...args);
    };
    proxy.terminate = () => worker && worker.terminate();
    return proxy;
  };
  window.Worker.prototype = RealWorker.prototype;

  // Reaching for search: Material opens its search toggle (the #__search checkbox, by a click on it, which fires
  // "change") whenever the search box gets the focus, and when the phone header's search button is pressed.
  // A listener on the document survives instant navigation.
  document.addEventListener("change", (event) => {
    if (event.target.id === "__search" && event.target.checked) release();
  });
})();
