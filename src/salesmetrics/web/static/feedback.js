// Feedback page: NPS by month with its 95 % interval as a band. Data from the page itself.
(function () {
  "use strict";
  var node = document.getElementById("feedback-charts");
  var box = document.getElementById("nps-trend");
  if (!node || !box || typeof Plotly === "undefined") { return; }
  var c;
  try { c = JSON.parse(node.textContent); } catch (e) { return; }
  var t = c && c.trend;
  if (!t) { return; }
  Plotly.newPlot(box, [
    { x: t.x, y: t.high, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
    { x: t.x, y: t.low, mode: "lines", line: { width: 0 }, fill: "tonexty",
      fillcolor: "rgba(31,111,235,0.15)", hoverinfo: "skip", showlegend: false },
    { x: t.x, y: t.y, mode: "lines+markers", line: { color: "#1f6feb" }, showlegend: false,
      customdata: t.n, hovertemplate: "%{x|%Y-%m}: NPS %{y:.0f} (n = %{customdata})<extra></extra>" }
  ], { margin: { t: 10, r: 10, b: 40, l: 45 }, height: 300,
       yaxis: { range: [-100, 100], zeroline: true, fixedrange: true },
       xaxis: { fixedrange: true } }, { displayModeBar: false, responsive: true });
})();
