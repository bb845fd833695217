// The segment bar: picking a segment applies it at once (the Apply button stays for no-script use).
(function () {
  "use strict";
  document.querySelectorAll("[data-segment-pick]").forEach(function (select) {
    var form = select.form;
    var button = form.querySelector("[data-segment-apply]");
    if (button) { button.hidden = true; }
    select.addEventListener("change", function () { form.submit(); });
  });
})();
