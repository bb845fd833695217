// Live updates over GET /api/v1/live (Server-Sent Events). On each data change it
//   (a) dispatches document "salesmetrics:change" with {version, at} at once, and
//   (b) refetches every [data-live="URL"] element's inner HTML from URL, one element after the
//       other in page order (the first part on the page is back soonest: parallel requests would
//       share the server's cores and all arrive later); while a round runs, a newer change
//       queues one more round, so the newest data always wins. After each swap the element
//       dispatches a bubbling "salesmetrics:updated"; after a round, document gets
//       "salesmetrics:refreshed" (charts redraw then, behind the page's first parts).
// A [data-live-status] element shows the connection state with the labels the page gives it.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch) { return; }
  var status = document.querySelector("[data-live-status]");
  var seen = status && status.dataset.liveVersion ? Number(status.dataset.liveVersion) : null;
  var source = null;
  var droppedTimer = null;

  function show(state) {
    if (!status) { return; }
    var label = status.querySelector(".label");
    var text = status.getAttribute("data-text-" + state);
    status.classList.toggle("is-live", state === "live");
    status.classList.toggle("is-reconnecting", state === "reconnecting");
    if (label && text) { label.textContent = text; }
    var title = status.getAttribute("data-title-" + state);
    if (title) { status.title = title; }
  }

  var running = false;
  var again = null;

  function fetchInto(el, detail) {
    return fetch(el.getAttribute("data-live"), { cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        el.innerHTML = html;
        el.dispatchEvent(new CustomEvent("salesmetrics:updated", { bubbles: true, detail: detail }));
      })
      .catch(function () { /* the next change fetches again */ });
  }

  function round(detail) {
    if (running) { again = detail; return; }
    running = true;
    var parts = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
    parts.reduce(function (done, el) {
      return done.then(function () { return fetchInto(el, detail); });
    }, Promise.resolve()).then(function () {
      running = false;
      document.dispatchEvent(new CustomEvent("salesmetrics:refreshed", { detail: detail }));
      if (again) { var next = again; again = null; round(next); }
    });
  }

  function changed(detail) {
    if (detail.version === seen) { return; }
    seen = detail.version;
    document.dispatchEvent(new CustomEvent("salesmetrics:change", { detail: detail }));
    round(detail);
  }

  function connect() {
    source = new EventSource("/api/v1/live");
    source.addEventListener("hello", function (e) {
      clearTimeout(droppedTimer);
      show("live");
      var detail = JSON.parse(e.data);
      if (seen === null) { seen = detail.version; } else { changed(detail); }
    });
    source.addEventListener("change", function (e) { changed(JSON.parse(e.data)); });
    source.onerror = function () {
      // The server ends each stream after a while and the browser reconnects at once; only
      // say so when it takes longer than a moment.
      clearTimeout(droppedTimer);
      droppedTimer = setTimeout(function () { show("reconnecting"); }, 2500);
      if (source.readyState === EventSource.CLOSED) {  // refused (503): the browser gives up
        setTimeout(connect, 4000 + Math.random() * 4000);
      }
    };
  }

  connect();
})();
