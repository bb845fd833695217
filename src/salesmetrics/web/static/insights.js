// Insights page: a sparkline per finding that has one, with its usual range as a band.
(function () {
  "use strict";
  var node = document.getElementById("insight-sparks");
  if (!node || typeof Plotly === "undefined") { return; }
  var sparks;
  try { sparks = JSON.parse(node.textContent); } catch (e) { return; }
  var scale = { money: 0.01, money_per_day: 0.01, percent: 100 };
  function scaled(list, k) {
    return (list || []).map(function (v) { return v === null ? null : v * k; });
  }
  document.querySelectorAll("[data-spark]").forEach(function (box) {
    var s = sparks[box.getAttribute("data-spark")];
    if (!s) { return; }
    var k = scale[s.unit] || 1;
    Plotly.newPlot(box, [
      { x: s.x, y: scaled(s.high, k), mode: "lines", line: { width: 0 }, hoverinfo: "skip",
        showlegend: false, connectgaps: false },
      { x: s.x, y: scaled(s.low, k), mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: "rgba(31,111,235,0.15)", hoverinfo: "skip", showlegend: false },
      { x: s.x, y: scaled(s.y, k), mode: "lines+markers", line: { color: "#1f6feb" },
        marker: { size: 4 }, showlegend: false, hovertemplate: "%{x|%Y-%m}: %{y:,.1f}<extra></extra>" }
    ], { margin: { t: 4, r: 4, b: 24, l: 40 }, height: 120,
         xaxis: { fixedrange: true, tickformat: "%m.%y" }, yaxis: { fixedrange: true } },
    { displayModeBar: false, responsive: true });
  });
})();
