// Draws the Overview's charts (revenue by month, channel mix) from the JSON the page carries and
// redraws them with fresh data after each data change, once live.js has refreshed the cards and
// tables (salesmetrics:refreshed), so the numbers come first.
(function () {
  "use strict";
  var holder = document.getElementById("overview-charts");
  if (!holder || typeof Plotly === "undefined") { return; }
  var url = holder.getAttribute("data-url");
  var config = { displayModeBar: false, responsive: true };
  var busy = false;
  var again = false;

  function draw(data) {
    var trend = document.getElementById("trend");
    if (trend) {
      Plotly.react(trend, [{
        x: data.trend.x, y: data.trend.y, name: data.trend.name, type: "bar",
        marker: { color: "#2f6fde" }
      }], {
        margin: { t: 10, r: 10, b: 40, l: 70 }, height: 300,
        xaxis: { type: "date", tickformat: "%Y-%m" }, yaxis: { rangemode: "tozero" }
      }, config);
    }
    var mix = document.getElementById("channels");
    if (mix) {
      var n = data.channels.y.length;
      Plotly.react(mix, [{
        x: data.channels.x.slice().reverse(), y: data.channels.y.slice().reverse(),
        name: data.channels.name, type: "bar", orientation: "h", marker: { color: "#1a7f37" }
      }], {
        margin: { t: 10, r: 10, b: 30, l: 10 }, height: Math.max(160, 40 + 28 * n),
        xaxis: { rangemode: "tozero" }, yaxis: { automargin: true }
      }, config);
    }
  }

  function reload() {
    if (busy) { again = true; return; }
    busy = true;
    again = false;
    fetch(url, { cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(draw)
      .catch(function () { /* the next change tries again */ })
      .then(function () { busy = false; if (again) { reload(); } });
  }

  draw(JSON.parse(holder.textContent));
  document.addEventListener("salesmetrics:refreshed", reload);
})();
