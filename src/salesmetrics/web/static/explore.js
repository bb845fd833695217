// Draws the explorer's chart from the JSON the page carries: one line (or bar) per series.
(function () {
  var holder = document.getElementById("explore-chart");
  var source = document.getElementById("chart-data");
  if (!holder || !source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var traces = data.series.map(function (s) {
    return { x: s.x, y: s.y, name: s.name, type: data.bar ? "bar" : "scatter", mode: "lines+markers" };
  });
  Plotly.newPlot(holder, traces, {
    margin: { t: 10, r: 10, b: 40, l: 70 }, height: 320, legend: { orientation: "h" },
    xaxis: data.bar ? { type: "category" } : { type: "date" }, yaxis: { rangemode: "tozero" }
  }, { displayModeBar: false, responsive: true });
})();
