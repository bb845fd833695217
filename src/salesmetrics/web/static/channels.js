// Channels page: CAC and CLV:CAC by channel; each channel's months of spend against new
// customers with its fitted curve. Data from the page itself.
(function () {
  "use strict";
  var node = document.getElementById("channels-charts");
  if (!node || typeof Plotly === "undefined") { return; }
  var c;
  try { c = JSON.parse(node.textContent); } catch (e) { return; }
  var options = { displayModeBar: false, responsive: true };
  var bars = document.getElementById("cac-chart");
  if (bars && c.bars) {
    Plotly.newPlot(bars, [
      { type: "bar", x: c.bars.channels, y: c.bars.cac, name: c.labels.cac, marker: { color: "#1f6feb" } },
      { type: "scatter", mode: "markers", x: c.bars.channels, y: c.bars.ltv_cac, name: c.labels.ltv_cac,
        yaxis: "y2", marker: { color: "#d9480f", size: 11, symbol: "diamond" } }
    ], { margin: { t: 10, r: 45, b: 60, l: 55 }, height: 320, legend: { orientation: "h", y: 1.12 },
         yaxis: { title: { text: c.labels.cac }, fixedrange: true, rangemode: "tozero" },
         yaxis2: { title: { text: c.labels.ltv_cac }, overlaying: "y", side: "right", fixedrange: true, rangemode: "tozero" },
         xaxis: { fixedrange: true } }, options);
  }
  var box = document.getElementById("curve-chart");
  if (box && c.curves && c.curves.length) {
    var palette = ["#1f6feb", "#d9480f", "#2b8a3e", "#7048e8", "#e67700", "#0c8599", "#c2255c", "#495057"];
    var traces = [];
    c.curves.forEach(function (k, i) {
      var colour = palette[i % palette.length];
      traces.push({ type: "scatter", mode: "markers", x: k.x, y: k.y, name: k.channel, legendgroup: k.channel,
                    marker: { color: colour, size: 6, opacity: 0.6 } });
      traces.push({ type: "scatter", mode: "lines", x: k.cx, y: k.cy, name: k.channel + " (b = " + k.b + ")",
                    legendgroup: k.channel, showlegend: false, line: { color: colour } });
    });
    Plotly.newPlot(box, traces, { margin: { t: 10, r: 10, b: 50, l: 50 }, height: 320,
      legend: { orientation: "h", y: -0.25 },
      xaxis: { title: { text: c.labels.spend }, fixedrange: true, rangemode: "tozero" },
      yaxis: { title: { text: c.labels.customers }, fixedrange: true, rangemode: "tozero" } }, options);
  }
})();
