// Draws the revenue trend from the JSON the page carries; no data fetching of its own.
(function () {
  var holder = document.getElementById("trend");
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  if (!holder || typeof Plotly === "undefined") { return; }
  Plotly.newPlot(holder, [{
    x: data.x, y: data.y, name: data.name, type: "bar", marker: { color: "#2f6fde" }
  }], {
    margin: { t: 10, r: 10, b: 40, l: 70 }, height: 300,
    xaxis: { type: "date", tickformat: "%Y-%m" }, yaxis: { rangemode: "tozero" }
  }, { displayModeBar: false, responsive: true });
})();
