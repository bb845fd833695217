// Forecast page: revenue history, the forecast with its 80 % band, so far and the pipeline part.
(function () {
  "use strict";
  var node = document.getElementById("forecast-charts");
  var box = document.getElementById("forecast-chart");
  if (!node || !box || typeof Plotly === "undefined") { return; }
  var c;
  try { c = JSON.parse(node.textContent); } catch (e) { return; }
  if (!c || !c.history || !c.forecast) { return; }
  var n = c.names || {}, f = c.forecast;
  var traces = [
    { x: c.history.x, y: c.history.y, mode: "lines+markers", name: n.history, line: { color: "#5b6478" } },
    { x: f.x, y: f.high, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
    { x: f.x, y: f.low, mode: "lines", line: { width: 0 }, fill: "tonexty", name: n.band,
      fillcolor: "rgba(31,111,235,0.15)", hoverinfo: "skip" },
    { x: f.x, y: f.y, mode: "lines+markers", name: n.forecast, line: { color: "#1f6feb", dash: "dot" } }
  ];
  if (f.to_date.some(function (v) { return v !== null; })) {
    traces.push({ x: f.x, y: f.to_date, mode: "markers", name: n.to_date, marker: { color: "#5b6478", symbol: "circle-open", size: 9 } });
  }
  if (f.pipeline.some(function (v) { return v !== null; })) {
    traces.push({ x: f.x, y: f.pipeline, mode: "markers", name: n.pipeline, marker: { color: "#2b8a3e", symbol: "diamond", size: 9 } });
  }
  Plotly.newPlot(box, traces, {
    margin: { t: 10, r: 10, b: 40, l: 70 }, height: 340, legend: { orientation: "h", y: -0.2 },
    xaxis: { type: "date", fixedrange: true }, yaxis: { rangemode: "tozero", fixedrange: true }
  }, { displayModeBar: false, responsive: true });
})();
