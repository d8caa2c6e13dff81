// Draws the charts of a cascade report.html with Chart.js (inlined above this script).
//
// The data is the JSON of the script element #report-data: {"charts": [spec, ...]}, each spec
// drawn into the div #chart-ID. A spec is written by crates/cascade/src/html/mod.rs (`Chart`):
//   x, y, y2?: {title, format, zero, categories?}   format: number|integer|usd|percent|price
//   series: [{label, kind, axis: "y"|"y2", color, data, labels?, fill_to_previous?}]
//     kind line|dashed: data [[x, y], ...]            a line
//     kind bars:        data [[x, y], ...] or [v, ...] on a category x axis
//     kind points:      data [[x, y], ...]            markers only; labels[i] names point i
//     kind frontier:    data [[x, y], ...]            markers joined by a line
//     kind bins:        data [[low, high, value], ...] a filled step area (a histogram)
//   markers: [{axis: "x"|"y", value, label, color, dashed}]  labelled lines across the plot
// Once a chart has drawn, its div gets data-chart-ready="1" (the browser test checks every one).
(function () {
  'use strict';
  var report = window.cascadeReportError || function (text) { throw new Error(text); };

  function trim(value, digits) {
    return String(Number(value.toPrecision(digits)));
  }
  var formats = {
    number: function (v) { return trim(v, 4); },
    integer: function (v) { return Math.round(v).toLocaleString('en-US'); },
    usd: function (v) {
      var abs = Math.abs(v);
      var sign = v < 0 ? '-' : '';
      if (abs >= 1e9) return sign + '$' + trim(abs / 1e9, 3) + 'B';
      if (abs >= 1e6) return sign + '$' + trim(abs / 1e6, 3) + 'M';
      if (abs >= 1e3) return sign + '$' + trim(abs / 1e3, 3) + 'k';
      return sign + '$' + trim(abs, 3);
    },
    percent: function (v) { return trim(v * 100, 3) + '%'; },
    price: function (v) {
      var digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 1 ? 2 : 4;
      return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    }
  };
  function formatter(axis) {
    return formats[axis.format] || formats.number;
  }

  function points(data) {
    return data.map(function (p) { return { x: p[0], y: p[1] }; });
  }
  // Bins [low, high, value] to the outline of a histogram: down to zero at every gap.
  function steps(bins) {
    var sorted = bins.slice().sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    sorted.forEach(function (bin, i) {
      var previous = sorted[i - 1];
      if (!previous || previous[1] < bin[0]) {
        if (previous) out.push({ x: previous[1], y: 0 });
        out.push({ x: bin[0], y: 0 });
      }
      out.push({ x: bin[0], y: bin[2] }, { x: bin[1], y: bin[2] });
    });
    if (sorted.length) out.push({ x: sorted[sorted.length - 1][1], y: 0 });
    return out;
  }
  function translucent(color) {
    return color.length === 7 ? color + '55' : color;
  }

  function dataset(series, index) {
    var base = {
      label: series.label,
      yAxisID: series.axis,
      borderColor: series.color,
      backgroundColor: series.color,
      order: index
    };
    switch (series.kind) {
      case 'line':
      case 'dashed':
        return Object.assign(base, {
          type: 'line', data: points(series.data), borderWidth: 1.6, pointRadius: 0,
          pointHitRadius: 4, borderDash: series.kind === 'dashed' ? [6, 4] : [], fill: false,
          order: index + 100
        });
      case 'bars':
        return Object.assign(base, {
          type: 'bar',
          data: Array.isArray(series.data[0]) ? points(series.data) : series.data,
          // Bars over blocks sit under lines and are see-through; bars per category are solid.
          backgroundColor: Array.isArray(series.data[0]) ? translucent(series.color) :
            series.color + 'cc',
          borderWidth: 0,
          barPercentage: 1.0, categoryPercentage: Array.isArray(series.data[0]) ? 1.0 : 0.7,
          order: index + 200
        });
      case 'points':
      case 'frontier':
        return Object.assign(base, {
          type: 'scatter', data: points(series.data), showLine: series.kind === 'frontier',
          pointRadius: series.kind === 'frontier' ? 5 : 3.5, borderWidth: 1.5,
          backgroundColor: series.kind === 'frontier' ? series.color : translucent(series.color)
        });
      case 'bins':
        return Object.assign(base, {
          type: 'line', data: steps(series.data), borderWidth: 1.2, pointRadius: 0,
          pointHitRadius: 3, fill: series.fill_to_previous ? '-1' : 'origin',
          backgroundColor: translucent(series.color), order: index + 100
        });
      default:
        throw new Error('unknown series kind ' + series.kind);
    }
  }

  function scale(axis, position, markers, onChartArea) {
    var options = {
      type: axis.categories ? 'category' : 'linear',
      position: position,
      title: { display: true, text: axis.title, color: '#374151' },
      grid: { drawOnChartArea: onChartArea, color: '#e5e7eb' },
      ticks: { color: '#4b5563' },
      beginAtZero: axis.zero
    };
    if (axis.format === 'integer') options.ticks.precision = 0;
    if (position === 'bottom' && !axis.categories) options.bounds = 'data';
    if (axis.categories) {
      options.labels = axis.categories;
    } else {
      var format = formatter(axis);
      options.ticks.callback = function (value) { return format(value); };
      // Keep every marker on the plot.
      if (markers.length) {
        var values = markers.map(function (m) { return m.value; });
        options.suggestedMin = Math.min.apply(null, values);
        options.suggestedMax = Math.max.apply(null, values);
      }
    }
    return options;
  }

  // Labelled lines across the plot at marker values (VaR, current price...).
  function markerPlugin(spec) {
    return {
      id: 'cascadeMarkers',
      afterDatasetsDraw: function (chart) {
        var area = chart.chartArea;
        var context = chart.ctx;
        context.save();
        context.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
        context.textBaseline = 'middle';
        spec.markers.forEach(function (marker, i) {
          var vertical = marker.axis === 'x';
          var scaleOf = chart.scales[vertical ? 'x' : 'y'];
          var at = scaleOf.getPixelForValue(marker.value);
          if (!isFinite(at)) return;
          context.strokeStyle = marker.color;
          context.lineWidth = 1.5;
          context.setLineDash(marker.dashed ? [5, 4] : []);
          context.beginPath();
          var textX, textY;
          if (vertical) {
            context.moveTo(at, area.top);
            context.lineTo(at, area.bottom);
            textY = area.top + 10 + 16 * i;
            textX = at + 4;
          } else {
            context.moveTo(area.left, at);
            context.lineTo(area.right, at);
            textX = area.left + 6 + 130 * i;
            textY = at - 9;
          }
          context.stroke();
          var width = context.measureText(marker.label).width;
          if (vertical && textX + width > area.right) textX = at - 4 - width;
          context.fillStyle = 'rgba(255, 255, 255, 0.85)';
          context.fillRect(textX - 2, textY - 8, width + 4, 16);
          context.fillStyle = marker.color;
          context.fillText(marker.label, textX, textY);
        });
        context.restore();
      }
    };
  }

  function readyPlugin(div) {
    return {
      id: 'cascadeReady',
      afterRender: function () { div.setAttribute('data-chart-ready', '1'); }
    };
  }

  function draw(spec, div) {
    var axes = { x: spec.x, y: spec.y };
    if (spec.y2) axes.y2 = spec.y2;
    var xMarkers = spec.markers.filter(function (m) { return m.axis === 'x'; });
    var yMarkers = spec.markers.filter(function (m) { return m.axis === 'y'; });
    var scales = {
      x: scale(spec.x, 'bottom', xMarkers, true),
      y: scale(spec.y, 'left', yMarkers, true)
    };
    if (spec.y2) scales.y2 = scale(spec.y2, 'right', [], false);
    var datasets = spec.series.map(dataset);
    // Markers also get a legend entry, with their value.
    var xFormat = formatter(spec.x);
    var yFormat = formatter(spec.y);
    spec.markers.forEach(function (marker) {
      var value = (marker.axis === 'x' ? xFormat : yFormat)(marker.value);
      datasets.push({
        type: 'line', label: marker.label + ': ' + value, data: [], borderColor: marker.color,
        backgroundColor: marker.color, borderDash: marker.dashed ? [5, 4] : [], borderWidth: 1.5,
        pointRadius: 0, yAxisID: 'y', order: 1000 + datasets.length
      });
    });
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', div.querySelector('h3').textContent);
    div.querySelector('.plot').appendChild(canvas);
    var scatter = spec.series.some(function (s) { return s.kind === 'points' || s.kind === 'frontier'; });
    return new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets, labels: spec.x.categories || undefined },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        interaction: scatter ? { mode: 'nearest', intersect: true } :
          { mode: 'nearest', intersect: false, axis: 'x' },
        scales: scales,
        plugins: {
          legend: { display: spec.legend && datasets.length > 1, labels: { boxWidth: 24, boxHeight: 2, color: '#374151' } },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length || spec.x.categories) return items.length ? items[0].label : '';
                return spec.x.title + ': ' + xFormat(items[0].parsed.x);
              },
              label: function (item) {
                var series = spec.series[item.datasetIndex];
                if (!series) return item.dataset.label;
                var axis = series.axis === 'y2' ? spec.y2 : spec.y;
                var text = series.label + ': ' + formatter(axis)(item.parsed.y);
                if (series.labels && series.labels[item.dataIndex]) {
                  text += ' (' + series.labels[item.dataIndex] + ')';
                }
                return text;
              }
            }
          }
        }
      },
      plugins: [markerPlugin(spec), readyPlugin(div)]
    });
  }

  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  Chart.defaults.font.size = 12;
  var data = JSON.parse(document.getElementById('report-data').textContent);
  data.charts.forEach(function (spec) {
    var div = document.getElementById('chart-' + spec.id);
    if (!div) {
      report('no element for chart ' + spec.id);
      return;
    }
    try {
      draw(spec, div);
    } catch (error) {
      report('chart ' + spec.id + ': ' + (error && error.stack || error));
    }
  });
})();
