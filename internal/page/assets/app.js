// opsboard page script: draws every chart from its JSON options block and
// wires the range and filter controls. Loaded from our own origin only.
(function () {
  "use strict";

  function formatter(unit) {
    var nf = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
    switch (unit) {
      case "percent": return function (v) { return v == null ? "–" : (v * 100).toFixed(Math.abs(v) < 0.1 ? 1 : 1) + "%"; };
      case "currency": return function (v) { return v == null ? "–" : "$" + new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(v); };
      case "hours": return function (v) { return v == null ? "–" : nf.format(v) + " h"; };
      case "days": return function (v) { return v == null ? "–" : nf.format(v) + " d"; };
      default: return function (v) { return v == null ? "–" : nf.format(v); };
    }
  }

  // applyUnits adds the formatters JSON cannot carry: value axes and tooltips
  // show percent as 93.4%, hours as 3.2 h, and so on. Each axis and series may
  // name its own unit (data-units) when panels mix units on y and y2.
  function applyUnits(option, unit, units) {
    var axes = option.yAxis ? (Array.isArray(option.yAxis) ? option.yAxis : [option.yAxis]) : [];
    axes.forEach(function (ax, i) {
      if (ax.type && ax.type !== "value") return;
      var u = (units && units.axes && units.axes[i]) || unit;
      ax.axisLabel = ax.axisLabel || {};
      ax.axisLabel.formatter = formatter(u);
    });
    var seriesUnit = function (idx) { return (units && units.series && units.series[idx]) || unit; };
    if (option.tooltip) {
      option.tooltip.valueFormatter = undefined;
      (option.series || []).forEach(function (s, idx) {
        s.tooltip = s.tooltip || {};
        s.tooltip.valueFormatter = formatter(seriesUnit(idx));
      });
    }
    (option.series || []).forEach(function (s, idx) {
      if (s.type === "gauge") {
        s.detail = s.detail || {};
        s.detail.formatter = formatter(seriesUnit(idx));
        s.axisLabel = s.axisLabel || {};
        s.axisLabel.formatter = formatter(seriesUnit(idx));
      }
      if (s.type === "heatmap" && s.label && s.label.show) {
        var f = formatter(seriesUnit(idx));
        s.label.formatter = function (p) { return f(p.value[2]); };
      }
    });
    if (option.visualMap) {
      var vms = Array.isArray(option.visualMap) ? option.visualMap : [option.visualMap];
      vms.forEach(function (vm) { vm.formatter = formatter(unit); });
    }
  }

  var charts = [];
  function draw(el) {
    var data = document.getElementById(el.getAttribute("data-option"));
    if (!data || typeof echarts === "undefined") return;
    var option = JSON.parse(data.textContent);
    var units = el.getAttribute("data-units") ? JSON.parse(el.getAttribute("data-units")) : null;
    applyUnits(option, el.getAttribute("data-unit") || "", units);
    var chart = echarts.init(el, null, { renderer: el.getAttribute("data-renderer") || "canvas" });
    chart.setOption(option);
    el.setAttribute("data-drawn", "true");
    charts.push(chart);
  }

  function controls() {
    var form = document.getElementById("view-controls");
    if (!form) return;
    var range = form.querySelector("select[name=range]");
    var custom = form.querySelector(".custom-dates");
    var sync = function () {
      if (!range || !custom) return;
      var on = range.value === "custom";
      custom.hidden = !on;
      custom.querySelectorAll("input").forEach(function (i) { i.disabled = !on; });
    };
    sync();
    form.addEventListener("change", function (ev) {
      sync();
      if (ev.target.type === "date" && (!form.from.value || !form.to.value)) return;
      if (ev.target === range && range.value === "custom") return;
      form.submit();
    });
    var button = form.querySelector("button[type=submit]");
    if (button) button.hidden = true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-option]").forEach(draw);
    controls();
    document.body.setAttribute("data-charts-ready", "true");
    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 120);
    });
  });
})();
