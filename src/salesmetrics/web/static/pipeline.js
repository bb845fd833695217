// Pipeline page: the funnel and the forecast against its target. Data from the page itself.
(function () {
  "use strict";
  var config = { displayModeBar: false, responsive: true };
  var node = document.getElementById("pipeline-charts");
  if (!node || typeof Plotly === "undefined") { return; }
  var data;
  try { data = JSON.parse(node.textContent); } catch (e) { return; }
  var funnel = document.getElementById("funnel-chart");
  if (funnel) {
    Plotly.newPlot(funnel, [{
      type: "funnel", y: data.funnel.stages, x: data.funnel.deals,
      textinfo: "value+percent initial", marker: { color: "#2f6fde" }
    }], { margin: { t: 10, r: 10, b: 10, l: 10 }, height: 300,
          yaxis: { automargin: true } }, config);
  }
  var holder = document.getElementById("forecast-chart");
  if (holder) {
    var f = data.forecast;
    var shapes = f.target === null ? [] : [{
      type: "line", xref: "paper", x0: 0, x1: 1, y0: f.target, y1: f.target,
      line: { color: "#a12b1f", width: 2, dash: "dash" }
    }];
    Plotly.newPlot(holder, [{
      type: "bar", x: f.labels, y: f.values, marker: { color: ["#2f9e5a", "#2f6fde", "#6f9be8", "#b8cdf3"] }
    }], { margin: { t: 20, r: 10, b: 30, l: 60 }, height: 220, shapes: shapes,
          yaxis: { rangemode: "tozero", tickformat: "~s" },
          annotations: f.target === null ? [] : [{ xref: "paper", x: 1, y: f.target, text: f.target_label,
                                                   showarrow: false, yanchor: "bottom", xanchor: "right" }] }, config);
  }
})();
