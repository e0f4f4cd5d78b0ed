// The console's few lines of script: the camera reader on the scan page (html5-qrcode, loaded
// on first use), a prize table's odds worked out as it is typed, and the dashboard's charts
// (ECharts, loaded on first use). Everything else is plain forms, enhanced by htmx.
(function () {
  var library = document.currentScript && document.currentScript.dataset.cameraLibrary;

  // a library's script, once: `name` is the global it defines
  function load(src, name, done) {
    if (window[name]) { return done(); }
    var script = document.createElement("script");
    script.src = src;
    script.onload = done;
    document.head.appendChild(script);
  }

  // wide enough for a barcode held at a comfortable distance, tall enough for a QR code
  function viewfinder(width, height) {
    return { width: Math.floor(width * 0.9), height: Math.floor(height * 0.7) };
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-camera]");
    if (!button) { return; }
    var box = document.querySelector(button.dataset.camera);
    var input = document.querySelector(button.dataset.fill);
    box.hidden = false;
    load(library, "Html5Qrcode", function () {
      var formats = window.Html5QrcodeSupportedFormats;
      // the member code is shown as a QR code or a Code 128 barcode (members/images.py)
      var reader = new window.Html5Qrcode(box.id, {
        formatsToSupport: [formats.QR_CODE, formats.CODE_128], verbose: false });
      reader.start({ facingMode: "environment" }, { fps: 10, qrbox: viewfinder }, function (text) {
        reader.stop();
        box.hidden = true;
        input.value = text;
        input.form.requestSubmit();
      }).catch(function (error) { box.hidden = true; window.alert(error); });
    });
  });

  // A prize table's odds: each line's weight over the total of the lines that can be won
  // (named, weighted, not out of stock), as lottery.fairness picks them.
  function showOdds(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var lines = rows.map(function (row) {
      var name = row.querySelector("input[name$='-name']");
      var weight = row.querySelector("[data-weight]");
      var stock = row.querySelector("input[name$='-stock']");
      if (!name || !weight) { return null; }
      var w = parseInt(weight.value, 10);
      var out = stock && stock.value.trim() === "0";
      return { cell: row.querySelector("[data-odds]"),
               weight: name.value.trim() && w > 0 && !out ? w : 0 };
    }).filter(Boolean);
    var total = lines.reduce(function (sum, line) { return sum + line.weight; }, 0);
    lines.forEach(function (line) {
      line.cell.textContent = total && line.weight
        ? (100 * line.weight / total).toFixed(2) + "%" : "—";
    });
  }

  function allOdds() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-odds-table]"), showOdds);
  }

  document.addEventListener("input", function (event) {
    var table = event.target.closest("[data-odds-table]");
    if (table) { showOdds(table); }
  });
  document.addEventListener("DOMContentLoaded", allOdds);
  document.addEventListener("htmx:afterSettle", allOdds);

  // Charts: each [data-chart] element holds {kind: bar|barh|line, x, series[{name, data}]}.
  // Drawn on load and after every htmx swap (a boosted link replaces the page without a load
  // event), once per element.
  var palette = ["#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#e53935"];

  function chartOption(spec) {
    var horizontal = spec.kind === "barh";
    var category = { type: "category", data: spec.x };
    var values = { type: "value", minInterval: 1 };
    return {
      color: palette, animation: false,
      tooltip: { trigger: "axis" },
      legend: { show: spec.series.length > 1, top: 0 },
      grid: { left: horizontal ? 120 : 50, right: 16, top: spec.series.length > 1 ? 32 : 12, bottom: 28 },
      xAxis: horizontal ? values : category,
      yAxis: horizontal ? category : values,
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.kind === "line" ? "line" : "bar", data: s.data,
                 showSymbol: false };
      })
    };
  }

  function drawCharts() {
    var boxes = document.querySelectorAll("[data-chart]:not([data-drawn])");
    if (!boxes.length) { return; }
    load(boxes[0].dataset.chartLibrary, "echarts", function () {
      Array.prototype.forEach.call(boxes, function (box) {
        box.setAttribute("data-drawn", "");
        window.echarts.init(box, null, { renderer: "canvas" })
          .setOption(chartOption(JSON.parse(box.dataset.chart)));
      });
    });
  }

  window.addEventListener("resize", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-drawn]"), function (box) {
      var chart = window.echarts && window.echarts.getInstanceByDom(box);
      if (chart) { chart.resize(); }
    });
  });
  document.addEventListener("DOMContentLoaded", drawCharts);
  document.addEventListener("htmx:afterSettle", drawCharts);
})();
