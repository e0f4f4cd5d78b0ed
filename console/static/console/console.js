// The console's few lines of script: the camera reader on the scan page (html5-qrcode, loaded
// on first use), a prize table's odds worked out as it is typed, the tag builder's widgets and
// the dashboard's and analytics' charts (ECharts, loaded on first use). Everything else is plain forms,
// enhanced by htmx.
(function () {
  var script = document.currentScript;
  var library = script && script.dataset.cameraLibrary;
  var chartLibrary = script && script.dataset.chartLibrary;

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

  // The tag builder: each condition row shows the widget its field needs (a list of choices,
  // free text, a number, a date, a number of days) and only the comparisons the field has.
  function showWidgets(row) {
    var field = row.querySelector("[data-field]");
    var option = field.selectedOptions[0];
    var widget = (option && option.dataset.widget) || "";
    var ops = ((option && option.dataset.ops) || "").split(",");
    var op = row.querySelector("[data-op]");
    Array.prototype.forEach.call(op.options, function (o) { o.hidden = ops.indexOf(o.value) < 0; });
    if (ops.indexOf(op.value) < 0 && ops[0]) { op.value = ops[0]; }
    op.hidden = !field.value;
    var listed = false;
    Array.prototype.forEach.call(row.querySelectorAll("[data-choices]"), function (choices) {
      var on = choices.dataset.choices === field.value;
      choices.hidden = !on;
      choices.disabled = !on;
      listed = listed || on;
    });
    var value = row.querySelector("[data-value]");
    value.hidden = !field.value || listed;
    value.type = widget === "date" ? "date" : (widget === "number" || widget === "days") ? "number" : "text";
    value.placeholder = widget === "list" ? "tea, cake" : widget === "yuan" ? "¥" : "";
    row.querySelector("[data-days]").hidden = widget !== "days";
  }

  // The automation builder: the inputs of the chosen action only.
  function showAction(select) {
    Array.prototype.forEach.call(select.form.querySelectorAll("[data-for-action]"), function (label) {
      label.hidden = label.dataset.forAction !== select.value;
    });
  }

  document.addEventListener("change", function (event) {
    var row = event.target.closest("[data-condition]");
    if (row && event.target.matches("[data-field]")) { showWidgets(row); }
    if (event.target.matches("[data-action]")) { showAction(event.target); }
  });

  // Charts: an element with data-chart holds its ECharts option (JSON, made by the server), or
  // a short spec {kind: bar|barh|line, x, series[{name, data}]} (the dashboard's). Drawn on load
  // and on every htmx swap (boosted navigation, a tab), redrawn on resize.
  var palette = ["#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#e53935"];

  function specOption(spec) {
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

  function drawCharts(root) {
    var boxes = (root || document).querySelectorAll("[data-chart]");
    if (!boxes.length || !chartLibrary) { return; }
    load(chartLibrary, "echarts", function () {
      Array.prototype.forEach.call(boxes, function (box) {
        var option = JSON.parse(box.dataset.chart);
        var chart = window.echarts.getInstanceByDom(box) || window.echarts.init(box);
        chart.setOption(option.kind ? specOption(option) : option, true);
        box.setAttribute("data-drawn", "");
      });
    });
  }

  function prepare(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-condition]"), showWidgets);
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-action]"), showAction);
    drawCharts(root);
  }

  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  document.addEventListener("htmx:load", function (event) { prepare(event.target); });
  window.addEventListener("resize", function () {
    if (!window.echarts) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (box) {
      var chart = window.echarts.getInstanceByDom(box);
      if (chart) { chart.resize(); }
    });
  });
})();
