// Team pages: the revenue-by-rep chart (redrawn whenever the live leaderboard is replaced),
// a rep's monthly revenue, and period selects that apply on change. No fetching of its own.
(function () {
  "use strict";
  var config = { displayModeBar: false, responsive: true };

  function readJson(node) {
    try { return node ? JSON.parse(node.textContent) : null; } catch (e) { return null; }
  }

  function drawTeam() {
    var holder = document.getElementById("team-chart");
    var board = document.getElementById("leaderboard");
    if (!holder || !board || typeof Plotly === "undefined") { return; }
    var data = readJson(board.querySelector("script.team-chart-data"));
    if (!data) { return; }
    var narrow = holder.clientWidth < 520;
    Plotly.react(holder, [{
      type: "bar", orientation: "h", x: data.values, y: data.names, text: data.text,
      customdata: data.teams, hovertemplate: "%{y} (%{customdata}): %{text}<extra></extra>",
      textposition: "none", marker: { color: "#2f6fde" }
    }], {
      height: Math.max(220, 40 + 28 * data.names.length),
      margin: { t: 10, r: 10, b: 30, l: 10 },
      yaxis: { autorange: "reversed", automargin: true, tickfont: { size: narrow ? 10 : 12 } },
      xaxis: { rangemode: "tozero", tickformat: "~s" }
    }, config);
  }

  function drawTrend() {
    var holder = document.getElementById("rep-trend");
    var data = readJson(document.getElementById("rep-trend-data"));
    if (!holder || !data || typeof Plotly === "undefined") { return; }
    Plotly.newPlot(holder, [{
      x: data.x, y: data.y, name: data.name, type: "bar", marker: { color: "#2f6fde" }
    }], {
      margin: { t: 10, r: 10, b: 40, l: 60 }, height: 300,
      xaxis: { type: "date", tickformat: "%Y-%m" }, yaxis: { rangemode: "tozero", tickformat: "~s" }
    }, config);
  }

  function watchBoard() {
    var board = document.getElementById("leaderboard");
    if (!board || typeof MutationObserver === "undefined") { return; }
    new MutationObserver(drawTeam).observe(board, { childList: true });
  }

  function autosubmit() {
    var selects = document.querySelectorAll("select[data-autosubmit]");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  drawTeam();
  drawTrend();
  watchBoard();
  autosubmit();
})();
