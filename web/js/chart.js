// Charts of the page, drawn with uPlot (vendored in vendor/uplot/, see vendor/README.md).
//
// createTrendChart draws an area's monthly totals with the Sen slope of the Mann–Kendall trend
// test as a dashed line. The chart itself is a canvas, so it carries an aria-label with the
// test's result and is followed by a visually hidden table of the same values for screen
// readers (and for the printout, where the table can be shown instead).
//
// createSparkline draws a small line of monthly values for the overview (no axes).

import uPlot from '../vendor/uplot/uPlot.esm.js';
import * as fmt from './format.js';

const COLORS = {
  line: '#1f4e79',
  fill: 'rgba(31, 78, 121, 0.10)',
  slope: '#a23b2a',
  grid: '#e3e7ec',
  axis: '#4a5561',
};

// monthStart converts "YYYY-MM" to seconds since the epoch (uPlot's time unit).
function monthStart(ym) {
  const d = fmt.parseDay(`${ym}-01`);
  return d ? d.getTime() / 1000 : NaN;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (!n) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

// senLine returns the y values of the Sen line for the months: the API gives the slope (events
// per month); the line is drawn through the median of y − slope·i over the published months
// (Conover's intercept), only to show the slope against the data. Null when no slope.
export function senLine(values, slope) {
  if (!fmt.isNum(slope)) return null;
  const r = [];
  values.forEach((v, i) => { if (fmt.isNum(v)) r.push(v - slope * i); });
  if (r.length < 2) return null;
  const b = median(r);
  return values.map((_, i) => Math.max(0, b + slope * i));
}

// trendSentence is the trend test's result in Swedish, for the caption and the aria-label.
export function trendSentence(trend) {
  if (!trend) return 'Ingen trendanalys.';
  if (trend.suppressed || !trend.sen_slope_per_month || !fmt.isNum(trend.sen_slope_per_month.value)) {
    return `Ingen trendanalys: ${trend.reason || (trend.sen_slope_per_month && trend.sen_slope_per_month.reason) || 'för få uppgifter'}.`;
  }
  const s = trend.sen_slope_per_month;
  const dir = s.value > 0 ? 'ökande' : s.value < 0 ? 'minskande' : 'oförändrad';
  const slope = `${fmt.signed(s.value, 1)} händelser per månad`;
  const ci = fmt.isNum(s.lower) && fmt.isNum(s.upper) ? ` (95 % KI ${fmt.number(s.lower, 1)}–${fmt.number(s.upper, 1)})` : '';
  const sig = trend.significant === true
    ? `statistiskt säkerställd ${dir} trend`
    : trend.significant === false ? 'ingen statistiskt säkerställd trend' : 'trendens säkerhet okänd';
  return `Mann–Kendall över ${trend.months} månader: ${sig}, Sen-lutning ${slope}${ci}, ${fmt.pValue(trend.p)}.`;
}

// createTrendChart draws monthly = [{month: "YYYY-MM", count: indicator}] with trend (the
// API's Trend) into container. Returns {destroy()}.
export function createTrendChart(container, { monthly = [], trend = null, title = 'Händelser per månad' } = {}) {
  container.replaceChildren();
  container.classList.add('lb-chart');
  const months = monthly.map((m) => m.month);
  const xs = months.map(monthStart);
  const ys = monthly.map((m) => (fmt.isSuppressed(m.count) ? null : m.count.value));
  const slope = trend && !trend.suppressed && trend.sen_slope_per_month ? trend.sen_slope_per_month.value : null;
  const sen = senLine(ys, slope);
  const hiddenMonths = ys.filter((v) => v === null).length;
  const sentence = trendSentence(trend) + (hiddenMonths ? ` ${hiddenMonths} av ${ys.length} månader är skyddade (1–4 händelser eller dolda) och visas som luckor.` : '');

  const figure = fmt.el('figure', { class: 'lb-chart-figure' });
  const plotBox = fmt.el('div', {
    class: 'lb-chart-plot',
    role: 'img',
    'aria-label': `${title}, ${fmt.month(months[0], 'short')}–${fmt.month(months[months.length - 1], 'short')}. ${sentence}`,
  });
  const caption = fmt.el('figcaption', { class: 'lb-chart-caption' }, sentence);
  const legend = fmt.el('div', { class: 'lb-chart-legend', 'aria-hidden': 'true' },
    fmt.el('span', { class: 'lb-key lb-key-line' }), 'Antal per månad',
    sen ? [fmt.el('span', { class: 'lb-key lb-key-slope' }), 'Sen-lutning'] : null,
    ys.some((v) => v === null) ? [fmt.el('span', { class: 'lb-key lb-key-gap' }), 'Skyddat (1–4)'] : null);

  // The values as a table, visually hidden (shown in print instead of the canvas).
  // (In a wrapper: a table ignores the 1 px width of .visually-hidden and would widen the page.)
  const table = fmt.el('table', { class: 'lb-chart-table' },
    fmt.el('caption', {}, `${title} (värden)`),
    fmt.el('thead', {}, fmt.el('tr', {}, fmt.el('th', { scope: 'col' }, 'Månad'), fmt.el('th', { scope: 'col' }, 'Antal'))),
    fmt.el('tbody', {}, monthly.map((m) => fmt.el('tr', {},
      fmt.el('th', { scope: 'row' }, fmt.month(m.month)),
      fmt.el('td', {}, fmt.isSuppressed(m.count) ? fmt.suppressedText(m.count && m.count.reason) : fmt.integer(m.count.value))))));

  figure.append(plotBox, legend, caption, fmt.el('div', { class: 'lb-chart-values visually-hidden' }, table));
  container.append(figure);

  if (!xs.length) {
    plotBox.append(fmt.el('p', { class: 'lb-empty' }, 'Inga månader i perioden.'));
    return { destroy() { container.replaceChildren(); } };
  }

  const series = [
    {},
    {
      label: 'Antal',
      stroke: COLORS.line,
      fill: COLORS.fill,
      width: 2,
      points: { show: true, size: 5, stroke: COLORS.line, fill: '#fff' },
      spanGaps: false,
      value: (u, v) => (v === null ? 'skyddat' : fmt.integer(v)),
    },
  ];
  const data = [xs, ys];
  if (sen) {
    series.push({ label: 'Sen-lutning', stroke: COLORS.slope, width: 1.5, dash: [6, 4], points: { show: false }, value: (u, v) => fmt.number(v, 1) });
    data.push(sen);
  }
  const maxY = Math.max(5, ...ys.filter(fmt.isNum), ...(sen || []).filter(fmt.isNum));
  const width = () => Math.max(240, Math.floor(plotBox.clientWidth || container.clientWidth || 320));
  const opts = {
    width: width(),
    height: 180,
    legend: { show: false },
    cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: [0, Math.ceil(maxY * 1.1)] } },
    axes: [
      {
        stroke: COLORS.axis,
        grid: { stroke: COLORS.grid, width: 1 },
        ticks: { stroke: COLORS.grid, width: 1 },
        font: '11px system-ui, sans-serif',
        values: (u, splits) => splits.map((s) => {
          const d = new Date(s * 1000);
          return new Intl.DateTimeFormat('sv-SE', { month: 'short', timeZone: 'UTC' }).format(d).replace('.', '')
            + (d.getUTCMonth() === 0 || s === splits[0] ? ` ${d.getUTCFullYear()}` : '');
        }),
        space: 48,
      },
      {
        stroke: COLORS.axis,
        grid: { stroke: COLORS.grid, width: 1 },
        ticks: { show: false },
        font: '11px system-ui, sans-serif',
        size: 40,
        values: (u, splits) => splits.map((s) => fmt.integer(s)),
      },
    ],
    series,
  };
  const plot = new uPlot(opts, data, plotBox);
  let ro = null;
  if (typeof ResizeObserver === 'function') {
    ro = new ResizeObserver(() => {
      const w = width();
      if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: 180 });
    });
    ro.observe(plotBox);
  }
  return {
    plot,
    destroy() {
      if (ro) ro.disconnect();
      plot.destroy();
      container.replaceChildren();
    },
  };
}

// createSparkline draws values (numbers or null) as a small line in container, with label as
// its aria-label. Returns {destroy()}.
export function createSparkline(container, values, { label = '', width = 120, height = 28 } = {}) {
  container.replaceChildren();
  container.setAttribute('role', 'img');
  container.setAttribute('aria-label', label);
  const xs = values.map((_, i) => i);
  const nums = values.filter(fmt.isNum);
  const max = Math.max(1, ...nums);
  const plot = new uPlot({
    width,
    height,
    legend: { show: false },
    cursor: { show: false },
    select: { show: false },
    scales: { x: { time: false }, y: { range: [0, max * 1.1] } },
    axes: [{ show: false }, { show: false }],
    series: [{}, { stroke: COLORS.line, fill: COLORS.fill, width: 1.5, points: { show: false }, spanGaps: false }],
    padding: [2, 2, 2, 2],
  }, [xs, values.map((v) => (fmt.isNum(v) ? v : null))], container);
  return { plot, destroy() { plot.destroy(); container.replaceChildren(); } };
}
