// Long form posts (an upload being checked, an import, a revert): once sent, the button says
// what is happening and a second click sends nothing. The button is disabled only after the
// submit event, so its own name and value still go with the form.
(function () {
  "use strict";
  function settle(form) {
    var button = form.querySelector("button[type=submit]");
    if (button && button.dataset.idle) {
      button.textContent = button.dataset.idle;
      button.disabled = false;
    }
    delete form.dataset.sent;
    form.removeAttribute("aria-busy");
  }
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
      var button = form.querySelector("button[type=submit]");
      if (!button) { return; }
      window.setTimeout(function () {
        button.dataset.idle = button.textContent;
        button.textContent = form.dataset.busy;
        button.disabled = true;
      }, 0);
    });
  });
  // Back to a page kept in the browser's cache: its forms can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { document.querySelectorAll("form[data-busy]").forEach(settle); }
  });
})();
