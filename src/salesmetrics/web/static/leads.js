// Leads page: the calibration chart (predicted against actual per band, the 95 % interval as
// error bars, the diagonal where they agree). Data from the page itself.
(function () {
  "use strict";
  var node = document.getElementById("leads-chart");
  var holder = document.getElementById("calibration-chart");
  if (!node || !holder || typeof Plotly === "undefined") { return; }
  var c;
  try { c = JSON.parse(node.textContent); } catch (e) { return; }
  if (!c) { return; }
  Plotly.newPlot(holder, [
    { type: "scatter", mode: "lines", x: [0, c.top], y: [0, c.top], name: c.labels.diagonal,
      line: { color: "#9aa3b5", dash: "dash", width: 1 }, hoverinfo: "skip" },
    { type: "scatter", mode: "markers", x: c.predicted, y: c.actual, name: c.labels.bands,
      text: c.text, hovertemplate: "%{text}<br>%{x:.0%} → %{y:.0%}<extra></extra>",
      marker: { color: "#2f6fde", size: 9 },
      error_y: { type: "data", symmetric: false, array: c.high, arrayminus: c.low,
                 color: "#6f9be8", thickness: 1.5, width: 4 } }
  ], { margin: { t: 30, r: 10, b: 45, l: 55 }, height: 300,
       xaxis: { title: { text: c.labels.x }, range: [0, c.top], tickformat: ".0%" },
       yaxis: { title: { text: c.labels.y }, range: [0, c.top], tickformat: ".0%" },
       legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" } },
    { displayModeBar: false, responsive: true });
})();
