// Live updates over GET /api/v1/live (Server-Sent Events). On each data change it
//   (a) dispatches document "salesmetrics:change" with {version, at} for scripts that redraw, and
//   (b) refetches every [data-live="URL"] element's inner HTML from URL: one request per element
//       at a time; a change that lands meanwhile triggers one more fetch, so the newest wins.
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

  function refresh(el, detail) {
    if (el.liveBusy) { el.liveAgain = true; return; }
    el.liveBusy = true;
    el.liveAgain = false;
    fetch(el.getAttribute("data-live"), { cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        el.innerHTML = html;
        el.dispatchEvent(new CustomEvent("salesmetrics:updated", { bubbles: true, detail: detail }));
      })
      .catch(function () { /* the next change fetches again */ })
      .then(function () {
        el.liveBusy = false;
        if (el.liveAgain) { refresh(el, detail); }
      });
  }

  function changed(detail) {
    if (detail.version === seen) { return; }
    seen = detail.version;
    document.dispatchEvent(new CustomEvent("salesmetrics:change", { detail: detail }));
    document.querySelectorAll("[data-live]").forEach(function (el) { refresh(el, detail); });
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
