/**
 * Reporter (pure): the script of the HTML report, inlined after uPlot. It reads the chart
 * specifications embedded in the page (`#perfbench-data`, see html-data.ts) and draws each one into
 * its `[data-chart]` element with uPlot; it makes no request and needs nothing but the page.
 *
 * Plain ES2019 in a string (no build step for the browser): the browser tests load the page in
 * Chromium and fail on any console error, so a mistake here cannot pass unseen. Each drawn chart
 * gets `data-drawn="N"` (its series) for the tests; a chart that fails shows the error in its place.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var blob = document.getElementById('perfbench-data');
  var data = JSON.parse(blob.textContent);
  var css = getComputedStyle(document.documentElement);
  function cssVar(name) { return css.getPropertyValue(name).trim(); }
  var palette = [];
  for (var i = 0; i < 8; i++) palette.push(cssVar('--c' + i));
  var gridColor = cssVar('--grid');
  var axisColor = cssVar('--axis');
  var textColor = cssVar('--text');

  function fmt(v) {
    if (v == null || !isFinite(v)) return '—';
    var a = Math.abs(v);
    if (a === 0) return '0';
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1).replace(/\.0$/, '') + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(a >= 1e5 ? 0 : 1).replace(/\.0$/, '') + 'k';
    if (a >= 100) return String(Math.round(v));
    if (a >= 10) return v.toFixed(1).replace(/\.0$/, '');
    if (a >= 1) return v.toFixed(2).replace(/\.?0+$/, '');
    if (a >= 0.01) return v.toFixed(3).replace(/\.?0+$/, '');
    return v.toPrecision(2);
  }
  // Axis labels: uPlot passes null for the ticks it thins out of a log axis.
  function axisLabels(u, splits) { return splits.map(function (v) { return v == null ? '' : fmt(v); }); }

  // Series with their own x values are joined on the union of x (gaps are null) for uPlot's
  // aligned mode; the knee (ownX) uses uPlot's mode 2, where every series keeps its own x.
  function aligned(spec) {
    var xs = [];
    var seen = {};
    spec.series.forEach(function (s) {
      s.points.forEach(function (p) { if (!seen[p[0]]) { seen[p[0]] = true; xs.push(p[0]); } });
    });
    xs.sort(function (a, b) { return a - b; });
    var index = {};
    xs.forEach(function (x, i) { index[x] = i; });
    var out = [xs];
    spec.series.forEach(function (s) {
      var ys = xs.map(function () { return null; });
      s.points.forEach(function (p) { ys[index[p[0]]] = p[1] != null && (!spec.y.log || p[1] > 0) ? p[1] : null; });
      out.push(ys);
    });
    return out;
  }

  function faceted(spec) {
    var out = [null];
    spec.series.forEach(function (s) {
      var pts = s.points.filter(function (p) { return p[1] != null && p[1] > 0 && p[0] > 0; });
      out.push([pts.map(function (p) { return p[0]; }), pts.map(function (p) { return p[1]; })]);
    });
    return out;
  }

  function tickAxis(ticks) {
    var labels = {};
    ticks.forEach(function (t) { labels[t[0]] = t[1]; });
    return {
      splits: function (u, axisIdx, min, max) {
        return ticks.map(function (t) { return t[0]; }).filter(function (x) { return x >= min - 1e-9 && x <= max + 1e-9; });
      },
      values: function (u, splits) { return splits.map(function (x) { return labels[x] != null ? labels[x] : ''; }); },
      // uPlot thins a log axis to its decades by default; these ticks are chosen, keep them all.
      filter: function (u, splits) { return splits; }
    };
  }

  function drawHooks(spec) {
    return [function (u) {
      var ctx = u.ctx;
      ctx.save();
      var dpr = window.devicePixelRatio || 1;
      if (spec.refY != null) {
        var y = Math.round(u.valToPos(spec.refY, 'y', true));
        ctx.strokeStyle = axisColor;
        ctx.setLineDash([4 * dpr, 4 * dpr]);
        ctx.lineWidth = dpr;
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y);
        ctx.lineTo(u.bbox.left + u.bbox.width, y);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      spec.series.forEach(function (s, si) {
        if (!u.series[si + 1].show) return;
        var color = palette[s.color % palette.length];
        if (s.whiskers) {
          ctx.strokeStyle = color;
          ctx.lineWidth = 2 * dpr;
          s.whiskers.forEach(function (w) {
            var x = u.valToPos(w[0], 'x', true);
            var lo = u.valToPos(w[1], 'y', true);
            var hi = u.valToPos(w[2], 'y', true);
            var cap = 5 * dpr;
            ctx.beginPath();
            ctx.moveTo(x, lo); ctx.lineTo(x, hi);
            ctx.moveTo(x - cap, lo); ctx.lineTo(x + cap, lo);
            ctx.moveTo(x - cap, hi); ctx.lineTo(x + cap, hi);
            ctx.stroke();
          });
        }
        if (spec.ownX) {
          // uPlot's mode 2 draws the lines; each concurrency level gets its dot here.
          ctx.fillStyle = color;
          s.points.forEach(function (p) {
            if (p[1] == null) return;
            ctx.beginPath();
            ctx.arc(u.valToPos(p[0], 'x', true), u.valToPos(p[1], 'y', true), (s.dash ? 2.5 : 3.5) * dpr, 0, 2 * Math.PI);
            ctx.fill();
          });
        }
        if (s.pointLabels && !s.dash) {
          ctx.fillStyle = textColor;
          ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
          ctx.textBaseline = 'bottom';
          s.points.forEach(function (p, i) {
            if (p[1] == null) return;
            var x = u.valToPos(p[0], 'x', true);
            var y2 = u.valToPos(p[1], 'y', true);
            ctx.fillText(s.pointLabels[i], x + 5 * dpr, y2 - 4 * dpr);
          });
        }
      });
      ctx.restore();
    }];
  }

  function heightFor(width) { return width < 500 ? 230 : 290; }

  function build(el, spec) {
    var ownX = !!spec.ownX;
    var width = Math.max(el.clientWidth, 260);
    var series = [ownX ? {} : { label: spec.x.label, value: function (u, v) { return v == null ? '' : labelX(spec, v); } }];
    spec.series.forEach(function (s) {
      var color = palette[s.color % palette.length];
      var one = {
        label: s.label,
        stroke: color,
        width: 2,
        dash: s.dash ? [7, 5] : undefined,
        spanGaps: !ownX,
        value: function (u, v) { return v == null ? '' : fmt(v); },
        points: { show: s.pointsOnly || ownX || s.points.length <= 12, size: s.pointsOnly ? 9 : 6, fill: color, stroke: color }
      };
      if (s.pointsOnly) one.paths = function () { return null; };
      if (ownX) one.facets = [{ scale: 'x', auto: true }, { scale: 'y', auto: true }];
      series.push(one);
    });
    var xScale = { time: false };
    if (spec.x.log) { xScale.distr = 3; xScale.log = 10; }
    var xTicks = spec.x.ticks;
    if (xTicks && !spec.x.log) {
      var last = xTicks.length ? xTicks[xTicks.length - 1][0] : 1;
      xScale.range = function () { return [0.5, last + 0.5]; };
    }
    var yScale = {};
    if (spec.y.log) { yScale.distr = 3; yScale.log = 10; }
    var axisBase = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 }, font: '12px system-ui, sans-serif', labelFont: '600 12px system-ui, sans-serif' };
    var xAxis = Object.assign({}, axisBase, { label: spec.x.label, labelSize: 22, size: 36 });
    if (xTicks) Object.assign(xAxis, tickAxis(xTicks));
    if (xTicks && !spec.x.log) {
      // Category labels (result files, path pairs) slant when they would not fit side by side.
      var longest = 0;
      xTicks.forEach(function (t) { longest = Math.max(longest, t[1].length); });
      var crowded = function (u) { return longest * 7 > (u.bbox.width / (window.devicePixelRatio || 1)) / Math.max(xTicks.length, 1) - 8; };
      xAxis.rotate = function (u) { return crowded(u) ? 30 : 0; };
      xAxis.size = function (u) { return crowded(u) ? Math.min(120, 22 + longest * 4) : 36; };
    }
    // A log axis with chosen ticks (the percentile plot) keeps tickAxis's labels (50%, 90%, 99%…).
    else if (!xTicks) xAxis.values = axisLabels;
    var yAxis = Object.assign({}, axisBase, { label: spec.y.label, labelSize: 22, size: 56, values: axisLabels });
    var opts = {
      width: width,
      height: heightFor(width),
      mode: ownX ? 2 : 1,
      scales: { x: xScale, y: yScale },
      axes: [xAxis, yAxis],
      series: series,
      legend: { live: !ownX },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      hooks: { draw: drawHooks(spec) }
    };
    var u = new uPlot(opts, ownX ? faceted(spec) : aligned(spec), el);
    el.setAttribute('data-drawn', String(u.series.length - 1));
    return u;
  }

  function labelX(spec, v) {
    if (v == null) return '—';
    if (spec.x.ticks && !spec.x.log) {
      for (var i = 0; i < spec.x.ticks.length; i++) if (Math.abs(spec.x.ticks[i][0] - v) < 0.3) return spec.x.ticks[i][1];
      return '';
    }
    if (spec.kind === 'percentiles') return (100 * (1 - 1 / v)).toPrecision(6).replace(/\.?0+$/, '') + '%';
    return fmt(v);
  }

  var charts = [];
  var nodes = document.querySelectorAll('[data-chart]');
  Array.prototype.forEach.call(nodes, function (el) {
    var spec = data.charts[el.getAttribute('data-chart')];
    try {
      if (!spec) throw new Error('no data for chart ' + el.getAttribute('data-chart'));
      charts.push({ el: el, u: build(el, spec) });
    } catch (error) {
      el.textContent = 'This chart could not be drawn: ' + error.message + ' (its numbers are in the table below).';
      el.className += ' chart-error';
      console.error(error);
    }
  });

  // Charts follow their card's width (a phone turned sideways, a resized window).
  var pending = 0;
  function resize() {
    pending = 0;
    charts.forEach(function (c) {
      var w = Math.max(c.el.clientWidth, 260);
      if (Math.abs(w - c.u.width) > 2) c.u.setSize({ width: w, height: heightFor(w) });
    });
  }
  window.addEventListener('resize', function () { if (!pending) pending = requestAnimationFrame(resize); });
  document.documentElement.setAttribute('data-charts-ready', String(charts.length));
})();
`;
