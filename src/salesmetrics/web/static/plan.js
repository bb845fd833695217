// Plan page: baseline and scenario revenue by month as bars, the target as a line.
(function () {
  "use strict";
  var node = document.getElementById("plan-charts");
  var box = document.getElementById("whatif-chart");
  if (!node || !box || typeof Plotly === "undefined") { return; }
  var c;
  try { c = JSON.parse(node.textContent); } catch (e) { return; }
  if (!c || !c.x) { return; }
  var names = c.names || {};
  var traces = [
    { type: "bar", x: c.x, y: c.baseline, name: names.baseline || "baseline", marker: { color: "#9db4d9" } },
    { type: "bar", x: c.x, y: c.scenario, name: names.scenario || "scenario", marker: { color: "#1f6feb" } }
  ];
  if (c.target.some(function (v) { return v !== null; })) {
    traces.push({ type: "scatter", mode: "lines+markers", x: c.x, y: c.target,
                  name: names.target || "target", line: { color: "#c92a2a", dash: "dash" } });
  }
  Plotly.newPlot(box, traces, {
    barmode: "group", margin: { t: 10, r: 10, b: 40, l: 70 }, height: 320,
    legend: { orientation: "h", y: -0.2 },
    xaxis: { type: "date", tickformat: "%Y-%m", dtick: "M1", fixedrange: true },
    yaxis: { rangemode: "tozero", fixedrange: true }
  }, { displayModeBar: false, responsive: true });
})();
