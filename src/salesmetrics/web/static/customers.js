// Customers page: the RFM heat map (customers in each R x FM cell, the cell's segment on hover)
// and the lifetime value distribution. Data from the page itself.
(function () {
  "use strict";
  var node = document.getElementById("customers-charts");
  if (!node || typeof Plotly === "undefined") { return; }
  var c;
  try { c = JSON.parse(node.textContent); } catch (e) { return; }
  if (!c) { return; }
  var options = { displayModeBar: false, responsive: true };
  var heat = document.getElementById("rfm-heatmap");
  if (heat && c.heat) {
    Plotly.newPlot(heat, [
      { type: "heatmap", z: c.heat.z, x: c.heat.x, y: c.heat.y, text: c.heat.text,
        texttemplate: "%{z}", hovertemplate: "%{text}<extra></extra>",
        colorscale: [[0, "#eef3fc"], [1, "#1f56b8"]], showscale: false, xgap: 2, ygap: 2 }
    ], { margin: { t: 10, r: 10, b: 45, l: 55 }, height: 320,
         shapes: (c.heat.focus || []).map(function (cell) {  // the chosen segment's cells
           return { type: "rect", x0: cell[0] - 0.5, x1: cell[0] + 0.5, y0: cell[1] - 0.5,
                    y1: cell[1] + 0.5, line: { color: "#e8590c", width: 3 } };
         }),
         xaxis: { title: { text: c.heat.labels.x }, dtick: 1, fixedrange: true },
         yaxis: { title: { text: c.heat.labels.y }, dtick: 1, fixedrange: true } }, options);
  }
  var value = document.getElementById("clv-chart");
  if (value && c.clv) {
    Plotly.newPlot(value, [
      { type: "bar", x: c.clv.x, y: c.clv.y, marker: { color: "#2f6fde" },
        hovertemplate: "%{x}: %{y}<extra></extra>" }
    ], { margin: { t: 10, r: 10, b: 90, l: 55 }, height: 320,
         xaxis: { title: { text: c.clv.labels.x }, tickangle: -30, automargin: true,
                  fixedrange: true },
         yaxis: { title: { text: c.clv.labels.y }, fixedrange: true } }, options);
  }
})();
