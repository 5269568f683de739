// opsboard page script: draws every chart from its JSON options block and
// wires the range and filter controls. Loaded from our own origin only.
(function () {
  "use strict";

  // formatter writes numbers by a spec the server chose (chart.Spec), with
  // opsboardFormat (format.js, served ahead of this script): the same
  // algorithm as the server's, so a tooltip reads as the tile above it.
  function formatter(spec) {
    return function (v) { return opsboardFormat(spec || {}, v); };
  }

  // applyFormats adds the formatters JSON cannot carry: each value axis and
  // series has its own spec (data-formats) when panels mix units on y and
  // y2; the chart's main spec is the fallback.
  function applyFormats(option, f) {
    var axes = option.yAxis ? (Array.isArray(option.yAxis) ? option.yAxis : [option.yAxis]) : [];
    axes.forEach(function (ax, i) {
      if (ax.type && ax.type !== "value") return;
      ax.axisLabel = ax.axisLabel || {};
      ax.axisLabel.formatter = formatter((f.axes && f.axes[i]) || f.mainAxis);
    });
    var xs = option.xAxis ? (Array.isArray(option.xAxis) ? option.xAxis : [option.xAxis]) : [];
    xs.forEach(function (ax, i) {
      if (ax.type !== "value" || !f.xAxes || !f.xAxes[i]) return;
      ax.axisLabel = ax.axisLabel || {};
      ax.axisLabel.formatter = formatter(f.xAxes[i]);
    });
    var seriesSpec = function (idx) { return (f.series && f.series[idx]) || f.main; };
    if (option.tooltip) {
      option.tooltip.valueFormatter = undefined;
      (option.series || []).forEach(function (s, idx) {
        s.tooltip = s.tooltip || {};
        var fmt = formatter(seriesSpec(idx)), notes = f.notes && f.notes[idx];
        // What each point rests on, when the query names its sample.
        s.tooltip.valueFormatter = !notes ? fmt : function (v, i) {
          var text = fmt(v);
          return notes[i] ? text + " (" + notes[i] + ")" : text;
        };
      });
    }
    (option.series || []).forEach(function (s, idx) {
      if (s.type === "gauge") {
        s.detail = s.detail || {};
        s.detail.formatter = formatter(seriesSpec(idx));
        s.axisLabel = s.axisLabel || {};
        s.axisLabel.formatter = formatter(seriesSpec(idx));
      }
      if (s.type === "heatmap" && s.label && s.label.show) {
        var fmt = formatter(seriesSpec(idx));
        s.label.formatter = function (p) { return fmt(p.value[2]); };
      }
    });
    if (option.visualMap) {
      var vms = Array.isArray(option.visualMap) ? option.visualMap : [option.visualMap];
      vms.forEach(function (vm) { vm.formatter = formatter(f.main); });
    }
  }

  var charts = [];
  function draw(el) {
    var data = document.getElementById(el.getAttribute("data-option"));
    if (!data || typeof echarts === "undefined") return;
    var option = JSON.parse(data.textContent);
    applyFormats(option, el.getAttribute("data-formats") ? JSON.parse(el.getAttribute("data-formats")) : {});
    // On a phone, the few named categories of a bar chart would crowd
    // each other out: tilt them so every one is read.
    if (el.clientWidth < 480) {
      (Array.isArray(option.xAxis) ? option.xAxis : [option.xAxis]).forEach(function (ax) {
        if (ax && ax.type === "category" && ax.axisLabel && ax.axisLabel.interval === "0" && !ax.axisLabel.rotate) {
          ax.axisLabel.rotate = 35;
        }
      });
      if (option.grid) {
        (Array.isArray(option.grid) ? option.grid : [option.grid]).forEach(function (g) { g.left = Math.max(Number(g.left) || 0, 40); });
      }
    }
    var chart = echarts.init(el, null, { renderer: el.getAttribute("data-renderer") || "canvas" });
    try {
      chart.setOption(option);
    } catch (err) {
      // One chart that cannot be drawn must not leave the others blank.
      el.setAttribute("data-drawn", "false");
      el.textContent = "This chart could not be drawn.";
      if (window.console) console.error("opsboard: chart " + el.id + ": " + err);
      return;
    }
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
