// The area panel: everything the service computes about one utsatt område over one period.
//
//   const panel = createAreaPanel(document.querySelector('#area-panel'),
//     { api, onClose, onShowHotspots, onZoomTo });
//   await panel.show('2025-SO9', { from: '2025-01-01', to: '2025-12-31', compare: 'previous' });
//
// It fetches GET /api/v1/areas/{id} (names, LPO, geometry for the bounds) and
// GET /api/v1/areas/{id}/summary?from&to through api.get. The summary's comparisons (CompStat:
// the period itself, the last 28 days, 3 months and the year to date, each against the previous
// period and the same period last year, with the exact test and a Swedish verdict) give the
// "Samma period i fjol" card with compare: 'year' for a period shorter than 12 months; only a
// summary without them makes the panel fetch the summary of the same period one year earlier
// and show its count without a test.
//
// Test contract on the container: data-area-id, data-ready ("false" while loading, "true" once
// shown, also after an error; data-error then holds the message). Summary cards are
// [data-indicator=KEY] with data-value = the API's raw number, or "suppressed". The keys and
// where they come from in the summary JSON:
//
//   count                               total.count
//   previous_count                      total.previous_count
//   population                          population (value; estimated marked)
//   rate_per_1000                       total.rate_per_1000
//   smoothed_rate_per_1000              total.smoothed_rate_per_1000
//   rate_ratio_rest_of_kommun           total.rate_ratio_rest_of_kommun
//   change_percent                      total.change.percent
//   sen_slope_per_month                 total.trend.sen_slope_per_month
//   hotspot_share_95                    hot_spots.share_95
//   presence_hours_per_week_per_1000    presence.presence_hours_per_week_per_1000
//   year_ago_count                      comparisons[preset=period].total.same_period_last_year.count
//
// The group table rows are tr[data-group=GROUP] with td[data-indicator=location_quotient] etc.
// The CompStat rows are tr[data-preset=28d|3m|ytd] with td[data-comparison=previous_period|
// same_period_last_year][data-verdict=CODE].
//
// Hot spots: the summary gives the shares of the area's H3 cells that Gi* calls hot and, in
// hot_spots.cells, the hot cells as a GeoJSON FeatureCollection (properties h3, z, p, level);
// onShowHotspots(featureCollection) is called with it after every render (an empty collection
// when the summary has none, so the map drops the cells of the area shown before; see
// web/js/README.md).

import * as fmt from './format.js';
import { createTrendChart, trendSentence } from './chart.js';

const el = fmt.el;

// Swedish labels of the classes, for the badges (the summaries carry the class key): the page
// sets them from the service's style (metadata lagesbild:classes, the one palette) with
// setClassLabels. The colours come from CSS custom properties (--lb-class-KEY) that the page
// sets from the same palette; panel.css has neutral fallbacks.
const classLabels = new Map();

export function setClassLabels(palette) {
  classLabels.clear();
  for (const c of palette || []) if (c && c.class) classLabels.set(c.class, c.label);
}

export function classLabel(key, fallback) {
  return fallback || classLabels.get(key) || key || fmt.DASH;
}

export function classBadge(key, label) {
  return el('span', { class: 'lb-class-badge', dataset: { class: key || 'unknown' } },
    el('span', { class: 'lb-class-swatch', 'aria-hidden': 'true' }), classLabel(key, label));
}

function query(period) {
  const q = new URLSearchParams();
  if (period && period.from) q.set('from', period.from);
  if (period && period.to) q.set('to', period.to);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// geometryBounds of a GeoJSON geometry: [west, south, east, north] (a GeoJSON bbox), or null.
export function geometryBounds(geom) {
  if (!geom) return null;
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      if (c[0] < w) w = c[0];
      if (c[0] > e) e = c[0];
      if (c[1] < s) s = c[1];
      if (c[1] > n) n = c[1];
    } else c.forEach(visit);
  };
  if (geom.type === 'GeometryCollection') geom.geometries.forEach((g) => visit(g.coordinates));
  else visit(geom.coordinates);
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

// card builds one summary card.
function card(key, label, { value, raw, detail, mark, tone, help } = {}) {
  return el('div', { class: `lb-card${tone ? ` lb-tone-${tone}` : ''}`, dataset: { indicator: key, value: raw } },
    el('div', { class: 'lb-card-label' }, label),
    el('div', { class: 'lb-card-value' }, value),
    detail ? el('div', { class: 'lb-card-detail' }, detail) : null,
    mark ? el('div', { class: 'lb-card-mark' }, mark) : null,
    help ? el('div', { class: 'lb-card-help' }, help) : null);
}

// indCard is a card for an API indicator: the value, its interval below, and the reason when it
// is suppressed.
function indCard(key, label, ind, { decimals, unit = '', help, mark } = {}) {
  if (fmt.isSuppressed(ind)) {
    return card(key, label, {
      value: fmt.DASH,
      raw: 'suppressed',
      mark: el('span', { class: 'lb-suppressed' }, `Skyddat: ${(ind && ind.reason) || fmt.DEFAULT_SUPPRESSED.replace(/^skyddat: /, '')}`),
      tone: 'muted',
      help,
    });
  }
  const hasCI = fmt.isNum(ind.lower) && fmt.isNum(ind.upper);
  return card(key, label, {
    value: `${fmt.number(ind.value, decimals)}${unit}`,
    raw: fmt.rawValue(ind),
    detail: hasCI ? `95 % KI ${fmt.number(ind.lower, decimals)}–${fmt.number(ind.upper, decimals)}${unit}` : null,
    mark,
    help,
  });
}

function significanceText(sig, p) {
  if (sig === true) return `Statistiskt säkerställd (${fmt.pValue(p)})`;
  if (sig === false) return `Inte statistiskt säkerställd (${fmt.pValue(p)})`;
  return 'Signifikans kan inte prövas';
}

function section(id, title, ...content) {
  const h = el('h3', { id: `${id}-title`, class: 'lb-section-title' }, title);
  return el('section', { class: 'lb-section', dataset: { section: id }, 'aria-labelledby': `${id}-title` }, h, ...content);
}

let uid = 0;

export function createAreaPanel(container, { api, onClose, onShowHotspots, onZoomTo } = {}) {
  if (!container) throw new Error('createAreaPanel: no container');
  if (!api || typeof api.get !== 'function') throw new Error('createAreaPanel: api.get is required');
  const id = `lbp${++uid}`;
  container.classList.add('lb-panel');
  if (!container.hasAttribute('aria-label') && !container.hasAttribute('aria-labelledby')) {
    container.setAttribute('aria-labelledby', `${id}-name`);
  }
  let token = 0;
  let chart = null;
  let current = null; // { areaId, period }
  const self = { areaId: null, show, clear, reload: () => (current ? show(current.areaId, current.period) : Promise.resolve()) };

  function destroyChart() {
    if (chart) chart.destroy();
    chart = null;
  }

  function header(areaId, props, sm) {
    const name = (props && props.name) || (sm && sm.area.name) || areaId;
    const cls = (props && props.class) || (sm && sm.area.class);
    const where = [];
    const kommun = (props && props.kommun_namn) || (sm && sm.area.kommun_name);
    if (kommun) where.push(`${kommun} kommun`);
    if (props && props.lpo_namn) where.push(`LPO ${props.lpo_namn}`);
    if (props && props.polisomrade_namn) where.push(`Polisområde ${props.polisomrade_namn}`);
    if (props && props.region_namn) where.push(`Region ${props.region_namn}`);
    const actions = el('div', { class: 'lb-panel-actions' });
    const bounds = props && props.__bounds;
    if (onZoomTo && bounds) {
      actions.append(el('button', { type: 'button', class: 'lb-btn lb-btn-secondary', dataset: { action: 'zoom' }, onclick: () => onZoomTo(bounds, { areaId, feature: props && props.__feature }) }, 'Zooma till'));
    }
    if (onClose) {
      actions.append(el('button', { type: 'button', class: 'lb-btn lb-btn-icon', dataset: { action: 'close' }, 'aria-label': 'Stäng områdespanelen', title: 'Stäng', onclick: () => onClose() }, '×'));
    }
    return el('header', { class: 'lb-panel-header' },
      el('div', { class: 'lb-panel-heading' },
        el('p', { class: 'lb-eyebrow' }, `Områdesbild · lista ${(sm && sm.area.set) || (props && props.set) || ''}`.trim()),
        el('h2', { id: `${id}-name`, class: 'lb-panel-title', tabindex: '-1' }, name),
        el('div', { class: 'lb-panel-meta' }, cls ? classBadge(cls, props && props.class_label) : null,
          where.length ? el('span', { class: 'lb-where' }, where.join(' · ')) : null)),
      actions);
  }

  function loading(areaId) {
    destroyChart();
    container.replaceChildren(
      header(areaId, null, null),
      el('div', { class: 'lb-loading', role: 'status', 'aria-live': 'polite' },
        el('span', { class: 'lb-spinner', 'aria-hidden': 'true' }), 'Hämtar områdesbilden …'));
  }

  function showError(areaId, err, props) {
    destroyChart();
    const msg = fmt.errorText(err, 'områdets sammanfattning');
    container.dataset.error = msg;
    container.replaceChildren(
      header(areaId, props, null),
      el('div', { class: 'lb-error-state', role: 'alert' },
        el('p', { class: 'lb-error-title' }, msg),
        err && err.status !== 404 && err.status !== 403
          ? el('button', { type: 'button', class: 'lb-btn', onclick: () => self.reload() }, 'Försök igen')
          : null));
  }

  async function show(areaId, period = {}) {
    const my = ++token;
    current = { areaId, period: { ...period } };
    self.areaId = areaId;
    container.dataset.areaId = areaId;
    container.dataset.period = [period.from || '', period.to || '', period.compare || ''].join('/');
    container.dataset.ready = 'false';
    delete container.dataset.error;
    container.setAttribute('aria-busy', 'true');
    loading(areaId);
    const enc = encodeURIComponent(areaId);
    const q = query(period);
    let props = null;
    try {
      const [feature, sm] = await Promise.all([
        api.get(`/api/v1/areas/${enc}`).catch((err) => (err && err.status === 401 ? Promise.reject(err) : null)),
        api.get(`/api/v1/areas/${enc}/summary${q}`),
      ]);
      if (my !== token) return;
      const yearAgo = periodComparison(sm) ? null : await comparisonYear(enc, period);
      if (my !== token) return;
      if (feature && feature.properties) {
        const bbox = Array.isArray(feature.bbox) && feature.bbox.length === 4 ? feature.bbox : geometryBounds(feature.geometry);
        props = { ...feature.properties, __bounds: bbox, __feature: feature };
      }
      render(areaId, props, sm, period, yearAgo);
    } catch (err) {
      if (my !== token) return;
      showError(areaId, err, props); // 401 and 503 are also handled by the page (api.js)
    } finally {
      if (my === token) {
        container.dataset.ready = 'true';
        container.removeAttribute('aria-busy');
      }
    }
  }

  // comparisonYear fetches the same period one year earlier when the user compares with last
  // year, the API's previous period is not already that (periods shorter than 12 months) and
  // the summary has no comparison with it (a service without CompStat).
  async function comparisonYear(enc, period) {
    if (!period || period.compare !== 'year' || !period.from || !period.to) return null;
    const days = (fmt.parseDay(period.to) - fmt.parseDay(period.from)) / 864e5 + 1;
    if (days >= 365) return null;
    try {
      return await api.get(`/api/v1/areas/${enc}/summary${query({ from: fmt.shiftYear(period.from, -1), to: fmt.shiftYear(period.to, -1) })}`);
    } catch (err) {
      if (err && err.status === 401) throw err;
      return { error: err };
    }
  }

  function clear() {
    token++;
    destroyChart();
    current = null;
    self.areaId = null;
    container.replaceChildren(el('p', { class: 'lb-panel-empty' }, 'Välj ett område på kartan, i tabellen eller genom sökning.'));
    delete container.dataset.areaId;
    delete container.dataset.error;
    container.removeAttribute('aria-busy');
    container.dataset.ready = 'false';
  }

  function render(areaId, props, sm, period, yearAgo) {
    destroyChart();
    const t = sm.total;
    const parts = [header(areaId, props, sm)];

    // Period, provenance and the synthetic mark.
    const periodLine = el('p', { class: 'lb-period' },
      el('span', {}, `Period: ${fmt.period(sm.period)} (${fmt.integer(sm.period.days)} dagar)`),
      el('span', {}, compareLine(sm, period, yearAgo)));
    parts.push(periodLine);
    if (sm.provenance && sm.provenance.synthetic) {
      parts.push(el('p', { class: 'lb-synthetic', role: 'note' }, 'Syntetiska demodata – beskriver inga verkliga händelser.'));
    }

    // Summary cards.
    const pop = sm.population || {};
    const popCard = fmt.isNum(pop.value)
      ? card('population', 'Folkmängd', {
        value: fmt.integer(pop.value),
        raw: String(pop.value),
        detail: 'avrundat till tiotal',
        mark: pop.estimated ? el('span', { class: 'lb-estimated' }, `Uppskattat${pop.reason ? `: ${pop.reason}` : ''}`) : null,
      })
      : card('population', 'Folkmängd', { value: fmt.DASH, raw: 'suppressed', tone: 'muted', mark: el('span', { class: 'lb-suppressed' }, pop.reason || 'befolkning saknas') });

    const change = t.change || {};
    const changeCard = fmt.isSuppressed(change.percent) || change.suppressed
      ? card('change_percent', 'Förändring', {
        value: fmt.DASH, raw: 'suppressed', tone: 'muted',
        mark: el('span', { class: 'lb-suppressed' }, `Kan inte visas: ${change.reason || (change.percent && change.percent.reason) || fmt.DEFAULT_SUPPRESSED}`),
        help: `mot ${fmt.period(sm.previous_period)}`,
      })
      : card('change_percent', 'Förändring', {
        value: fmt.percent(change.percent.value, 0, { sign: true }),
        raw: fmt.rawValue(change.percent),
        detail: [
          fmt.isNum(change.percent.lower) && fmt.isNum(change.percent.upper) ? `95 % KI ${fmt.percent(change.percent.lower, 0, { sign: true })} till ${fmt.percent(change.percent.upper, 0, { sign: true })}` : null,
          !fmt.isSuppressed(change.difference) ? `${fmt.signed(change.difference.value, 0)} händelser` : null,
        ].filter(Boolean).join(' · '),
        mark: el('span', { class: `lb-sig lb-sig-${change.significant === true ? 'yes' : 'no'}` }, significanceText(change.significant, change.p)),
        tone: change.significant === true ? (change.percent.value > 0 ? 'up' : 'down') : null,
        help: `mot ${fmt.period(sm.previous_period)}`,
      });

    const trend = t.trend || {};
    const slope = trend.sen_slope_per_month || {};
    const trendCard = trend.suppressed || fmt.isSuppressed(slope)
      ? card('sen_slope_per_month', 'Trend per månad', {
        value: fmt.DASH, raw: 'suppressed', tone: 'muted',
        mark: el('span', { class: 'lb-suppressed' }, `Ingen trendanalys: ${trend.reason || slope.reason || 'för få uppgifter'}`),
      })
      : card('sen_slope_per_month', 'Trend per månad', {
        value: fmt.signed(slope.value, 1),
        raw: fmt.rawValue(slope),
        detail: fmt.isNum(slope.lower) && fmt.isNum(slope.upper) ? `95 % KI ${fmt.signed(slope.lower, 1)} till ${fmt.signed(slope.upper, 1)}` : `${trend.months} månader`,
        mark: el('span', { class: `lb-sig lb-sig-${trend.significant === true ? 'yes' : 'no'}` }, significanceText(trend.significant, trend.p)),
        tone: trend.significant === true ? (slope.value > 0 ? 'up' : 'down') : null,
        help: 'Sen-lutning, Mann–Kendall',
      });

    const hs = sm.hot_spots || {};
    const hotCard = fmt.isNum(hs.share_95)
      ? card('hotspot_share_95', 'Andel heta celler', {
        value: fmt.share(hs.share_95),
        raw: String(hs.share_95),
        detail: `Gi* 95 %, ${fmt.integer(hs.area_cells)} ${hs.area_cells === 1 ? 'cell' : 'celler'} (H3 nivå ${hs.resolution})`,
      })
      : card('hotspot_share_95', 'Andel heta celler', { value: fmt.DASH, raw: 'suppressed', tone: 'muted', mark: el('span', { class: 'lb-suppressed' }, hs.reason || 'kan inte skattas') });

    const pres = sm.presence || {};
    // With a short period compared with last year: that period's count beside this one, with the
    // API's exact test and verdict (comparisons, preset "period"). Only a summary without
    // comparisons falls back to the year-earlier summary's count, without a test.
    let yearCard = null;
    const ly = periodComparison(sm);
    if (ly && isShortYearCompare(period)) {
      yearCard = lastYearCard(ly.total.same_period_last_year, ly.same_period_last_year);
    } else if (yearAgo && !yearAgo.error && yearAgo.total) {
      const c = yearAgo.total.count;
      if (fmt.isSuppressed(c)) {
        yearCard = card('year_ago_count', 'Samma period i fjol', { value: fmt.DASH, raw: 'suppressed', tone: 'muted', mark: el('span', { class: 'lb-suppressed' }, `Skyddat: ${(c && c.reason) || fmt.DEFAULT_SUPPRESSED}`), help: fmt.period(yearAgo.period) });
      } else {
        const now = fmt.isSuppressed(t.count) ? null : t.count.value;
        const diff = now === null ? null : now - c.value;
        yearCard = card('year_ago_count', 'Samma period i fjol', {
          value: fmt.integer(c.value),
          raw: String(c.value),
          detail: diff === null ? null : `${fmt.signed(diff, 0)} händelser${c.value > 0 ? ` (${fmt.percent((diff / c.value) * 100, 0, { sign: true })})` : ''} i år`,
          mark: el('span', { class: 'lb-sig lb-sig-no' }, 'Ingen signifikansprövning mot i fjol'),
          help: fmt.period(yearAgo.period),
        });
      }
    } else if (yearAgo && yearAgo.error) {
      yearCard = card('year_ago_count', 'Samma period i fjol', { value: fmt.DASH, raw: 'error', tone: 'muted', mark: el('span', { class: 'lb-suppressed' }, fmt.errorText(yearAgo.error, 'fjolårets siffror')) });
    }
    parts.push(el('div', { class: 'lb-cards', role: 'list', 'aria-label': 'Nyckeltal' },
      [
        indCard('count', 'Händelser', t.count, { decimals: 0, help: 'alla brottsgrupper' }),
        yearCard,
        indCard('previous_count', 'Föregående period', t.previous_count, { decimals: 0, help: fmt.period(sm.previous_period) }),
        popCard,
        indCard('rate_per_1000', 'Per 1 000 invånare', t.rate_per_1000, { decimals: 1, mark: pop.estimated ? el('span', { class: 'lb-estimated' }, 'Uppskattad folkmängd') : null }),
        indCard('smoothed_rate_per_1000', 'Utjämnad takt', t.smoothed_rate_per_1000, { decimals: 1, help: 'per 1 000, empirisk Bayes' }),
        indCard('rate_ratio_rest_of_kommun', 'Mot övriga kommunen', t.rate_ratio_rest_of_kommun, { decimals: 2, help: 'kvot av takterna (1 = lika)' }),
        changeCard,
        trendCard,
        hotCard,
        indCard('presence_hours_per_week_per_1000', 'Myndighetsnärvaro', pres.presence_hours_per_week_per_1000, { decimals: 1, help: 'timmar per vecka och 1 000 inv.' }),
      ].filter(Boolean).map((c) => { c.setAttribute('role', 'listitem'); return c; })));

    // CompStat: the last 28 days, 3 months and the year to date, compactly.
    const cs = compStat(sm);
    if (cs) parts.push(section(`${id}-compstat`, 'Periodjämförelser (CompStat)', cs));

    // Trend chart.
    const chartBox = el('div', { class: 'lb-chart-box' });
    parts.push(section(`${id}-trend`, 'Utveckling per månad', chartBox));

    // Group mix.
    parts.push(section(`${id}-groups`, 'Brottsgrupper och lokaliseringskvot', groupTable(sm)));

    // Hot spots.
    parts.push(section(`${id}-hot`, 'Hot spots (Getis–Ord Gi*)', hotSpots(sm)));

    // Agencies.
    parts.push(section(`${id}-presence`, 'Myndigheter på plats', presence(sm)));

    // History.
    parts.push(section(`${id}-history`, 'Klassning över tid', history(sm, areaId)));

    // Notes and sources.
    const notes = [...(sm.notes || [])];
    parts.push(el('section', { class: 'lb-section lb-notes', 'aria-label': 'Om siffrorna' },
      notes.length ? el('ul', { class: 'lb-note-list' }, notes.map((n) => el('li', {}, n))) : null,
      sm.provenance ? el('p', { class: 'lb-source' }, `Källor: ${(sm.provenance.sources || []).join(', ') || fmt.DASH}.`,
        sm.provenance.population_estimated ? ' Folkmängden är uppskattad.' : '') : null));

    // Report link.
    const reportHref = `/api/v1/areas/${encodeURIComponent(areaId)}/report${query(period)}`;
    parts.push(el('div', { class: 'lb-panel-footer' },
      el('a', { class: 'lb-btn', href: reportHref, target: '_blank', rel: 'noopener', dataset: { action: 'report' }, title: 'Utskriftsvänlig områdesrapport för perioden' }, 'Områdesrapport',
        el('span', { class: 'visually-hidden' }, ' (utskriftsvänlig, öppnas i ny flik)')),
      el('button', { type: 'button', class: 'lb-btn lb-btn-secondary', dataset: { action: 'print' }, onclick: () => window.print() }, 'Skriv ut',
        el('span', { class: 'visually-hidden' }, ' kartan och panelen'))));

    container.replaceChildren(...parts);
    // The hot cells (GeoJSON, hot_spots.cells) go to the map.
    const cells = sm.hot_spots && sm.hot_spots.cells;
    // A summary without cells (shares withheld) clears those of the area shown before.
    if (onShowHotspots) onShowHotspots(cells && cells.type === 'FeatureCollection' ? cells : { type: 'FeatureCollection', features: [] });
    // Keyboard users who opened the area from a row that is now hidden (another tab) land on
    // the panel's title rather than on the page's body.
    const active = document.activeElement;
    if (!active || active === document.body || (!container.contains(active) && active.offsetParent === null)) {
      const title = container.querySelector('.lb-panel-title');
      if (title && container.offsetParent !== null) title.focus({ preventScroll: true });
    }
    chart = createTrendChart(chartBox, { monthly: sm.monthly || [], trend: t.trend, title: `Händelser per månad i ${sm.area.name}` });
  }

  function compareLine(sm, period, yearAgo) {
    if (period && period.compare === 'year') {
      const ly = periodComparison(sm);
      if (ly && isShortYearCompare(period)) return ` · Jämförs med samma period föregående år (${fmt.period(ly.same_period_last_year)})`;
      if (!yearAgo) return ` · Jämförs med samma period föregående år (${fmt.period(sm.previous_period)})`;
      if (yearAgo.error) return ' · Samma period föregående år kunde inte hämtas';
      return ` · Jämförs med samma period föregående år (${fmt.period(yearAgo.period)})`;
    }
    return ` · Jämförs med föregående period (${fmt.period(sm.previous_period)})`;
  }

  return self;
}

// periodComparison is the summary's CompStat comparison of its own period (preset "period"),
// or null when the summary has none.
function periodComparison(sm) {
  const c = (sm && sm.comparisons || []).find((x) => x.preset === 'period');
  return c && c.total && c.total.same_period_last_year ? c : null;
}

// isShortYearCompare: the user compares with last year over a period shorter than 12 months
// (for 12 months the previous period is last year, shown by the change card).
function isShortYearCompare(period) {
  if (!period || period.compare !== 'year' || !period.from || !period.to) return false;
  return (fmt.parseDay(period.to) - fmt.parseDay(period.from)) / 864e5 + 1 < 365;
}

// verdictTone is the card tone of a comparison: up or down when the change is significant.
function verdictTone(pc) {
  if (!pc || pc.significant !== true) return null;
  return pc.verdict === 'increase_significant' ? 'up' : pc.verdict === 'decrease_significant' ? 'down' : null;
}

// verdictMark is the verdict sentence of a comparison with its p-value, or why it is withheld.
function verdictMark(pc) {
  if (!pc) return null;
  if (pc.suppressed || !pc.verdict) return el('span', { class: 'lb-suppressed' }, pc.verdict_text || `Ingen bedömning: ${pc.reason || fmt.DEFAULT_SUPPRESSED}`);
  return el('span', { class: `lb-sig lb-sig-${pc.significant === true ? 'yes' : 'no'}`, dataset: { verdict: pc.verdict } },
    pc.verdict_text, fmt.isNum(pc.p) ? ` (${fmt.pValue(pc.p)})` : '');
}

// lastYearCard is the "Samma period i fjol" card from the API's comparison with the same dates
// a year earlier: last year's count, the change and the exact test's verdict.
function lastYearCard(pc, when) {
  const c = pc.count;
  const diff = pc.difference;
  const pct = pc.percent;
  const detail = !fmt.isSuppressed(diff)
    ? `${fmt.signed(diff.value, 0)} händelser${!fmt.isSuppressed(pct) ? ` (${fmt.percent(pct.value, 0, { sign: true })})` : ''} i år`
    : null;
  if (fmt.isSuppressed(c)) {
    return card('year_ago_count', 'Samma period i fjol', { value: fmt.DASH, raw: 'suppressed', tone: 'muted', mark: el('span', { class: 'lb-suppressed' }, `Skyddat: ${(c && c.reason) || fmt.DEFAULT_SUPPRESSED}`), help: fmt.period(when) });
  }
  return card('year_ago_count', 'Samma period i fjol', {
    value: fmt.integer(c.value), raw: String(c.value), detail, mark: verdictMark(pc), tone: verdictTone(pc), help: fmt.period(when),
  });
}

const PRESET_LABELS = { '28d': '28 dagar', '3m': '3 månader', ytd: 'Hittills i år' };

// compStat is the compact CompStat table of the presets 28d, 3m and ytd: the count, and the
// change with the verdict against the previous period and the same period last year. null
// when the summary has no comparisons.
function compStat(sm) {
  const sets = (sm.comparisons || []).filter((c) => PRESET_LABELS[c.preset] && c.total);
  if (!sets.length) return null;
  const cmpCell = (key, pc) => {
    if (!pc) return el('td', { class: 'lb-muted' }, fmt.DASH);
    const change = !fmt.isSuppressed(pc.percent) ? fmt.percent(pc.percent.value, 0, { sign: true })
      : !fmt.isSuppressed(pc.difference) ? `${fmt.signed(pc.difference.value, 0)} st` : fmt.DASH;
    return el('td', { dataset: { comparison: key, verdict: pc.verdict || 'withheld' }, class: pc.suppressed ? 'lb-muted' : null, title: fmt.isSuppressed(pc.count) ? '' : `${fmt.period(pc.period)}: ${fmt.integer(pc.count.value)} händelser` },
      el('span', { class: 'lb-num' }, change), el('span', { class: 'lb-row-note' }, pc.verdict_text || pc.reason || ''));
  };
  const tbl = el('table', { class: 'lb-table lb-compstat-table' },
    el('caption', { class: 'visually-hidden' }, 'Periodjämförelser: antal och förändring mot föregående period och mot samma period i fjol, med bedömning'),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, 'Period'),
      el('th', { scope: 'col', class: 'lb-num' }, 'Antal'),
      el('th', { scope: 'col' }, 'Mot föregående'),
      el('th', { scope: 'col' }, 'Mot i fjol'))),
    el('tbody', {}, sets.map((c) => el('tr', { dataset: { preset: c.preset } },
      el('th', { scope: 'row' }, PRESET_LABELS[c.preset], el('span', { class: 'lb-row-note' }, fmt.period(c.current_period))),
      el('td', { class: 'lb-num', dataset: { indicator: 'count', value: fmt.rawValue(c.total.count) } }, fmt.isSuppressed(c.total.count) ? fmt.DASH : fmt.integer(c.total.count.value)),
      cmpCell('previous_period', c.total.previous_period),
      cmpCell('same_period_last_year', c.total.same_period_last_year)))));
  return [fmt.scrollBox('Periodjämförelser, tabell', tbl),
    el('p', { class: 'lb-hint' }, 'Alla brottsgrupper, till och med periodens sista dag. Exakt villkorligt test av två antal; förändringen bedöms bara vid minst 10 händelser.')];
}

// groupTable: one row per category group (sensitive groups are only in the total).
function groupTable(sm) {
  const groups = sm.groups || [];
  if (!groups.length) return el('p', { class: 'lb-empty' }, 'Inga brottsgrupper att visa.');
  const lqs = groups.map((g) => g.location_quotient).filter((x) => !fmt.isSuppressed(x)).map((x) => x.upper ?? x.value);
  const maxLQ = Math.max(2, ...lqs.filter(fmt.isNum));
  const cell = (key, ind, decimals) => el('td', { dataset: { indicator: key, value: fmt.rawValue(ind) }, class: fmt.isSuppressed(ind) ? 'lb-num lb-muted' : 'lb-num' },
    fmt.isSuppressed(ind) ? el('span', { class: 'lb-suppressed-cell', title: ind && ind.reason ? ind.reason : fmt.DEFAULT_SUPPRESSED }, fmt.DASH, el('span', { class: 'visually-hidden' }, ` skyddat: ${(ind && ind.reason) || fmt.DEFAULT_SUPPRESSED}`)) : fmt.number(ind.value, decimals));
  const lqBar = (ind) => {
    if (fmt.isSuppressed(ind)) return el('td', { class: 'lb-lq lb-muted', dataset: { indicator: 'location_quotient', value: 'suppressed' } }, el('span', { class: 'lb-suppressed-cell', title: ind && ind.reason }, fmt.DASH, el('span', { class: 'visually-hidden' }, ` skyddat: ${(ind && ind.reason) || fmt.DEFAULT_SUPPRESSED}`)));
    const pos = (v) => `${Math.min(100, (v / maxLQ) * 100).toFixed(1)}%`;
    const hasCI = fmt.isNum(ind.lower) && fmt.isNum(ind.upper);
    const high = hasCI ? ind.lower > 1 : false;
    const low = hasCI ? ind.upper < 1 : false;
    return el('td', { class: 'lb-lq', dataset: { indicator: 'location_quotient', value: fmt.rawValue(ind) } },
      el('div', { class: 'lb-lq-wrap' },
        el('span', { class: 'lb-lq-num' }, fmt.number(ind.value, 2)),
        el('span', { class: 'lb-lq-track', 'aria-hidden': 'true' },
          el('span', { class: 'lb-lq-one', style: `left:${pos(1)}` }),
          hasCI ? el('span', { class: 'lb-lq-ci', style: `left:${pos(ind.lower)};width:calc(${pos(ind.upper)} - ${pos(ind.lower)})` }) : null,
          el('span', { class: `lb-lq-dot${high ? ' lb-high' : low ? ' lb-low' : ''}`, style: `left:${pos(ind.value)}` }))),
      hasCI ? el('span', { class: 'lb-lq-ci-text' }, `${fmt.number(ind.lower, 2)}–${fmt.number(ind.upper, 2)}`) : null);
  };
  const tbl = el('table', { class: 'lb-table lb-group-table' },
    el('caption', { class: 'visually-hidden' }, 'Brottsgrupper: antal, takt, förändring och lokaliseringskvot mot kommunen'),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, 'Grupp'),
      el('th', { scope: 'col', class: 'lb-num' }, 'Antal'),
      el('th', { scope: 'col', class: 'lb-num' }, 'Per 1 000'),
      el('th', { scope: 'col', class: 'lb-num' }, 'Förändr.'),
      el('th', { scope: 'col' }, el('abbr', { title: 'Lokaliseringskvot: gruppens andel i området delad med andelen i kommunen (1 = samma mix)' }, 'LQ'), el('span', { class: 'lb-lq-head-ci' }, ' (95 % KI)')))),
    el('tbody', {}, groups.map((g) => el('tr', { dataset: { group: g.group } },
      el('th', { scope: 'row' }, (g.label || g.group).replace(/\//g, '/\u200b')),
      cell('count', g.count, 0),
      cell('rate_per_1000', g.rate_per_1000, 1),
      el('td', { class: 'lb-num', dataset: { indicator: 'change_percent', value: fmt.rawValue(g.change && g.change.percent) } },
        fmt.isSuppressed(g.change && g.change.percent) ? el('span', { class: 'lb-muted', title: (g.change && (g.change.reason || (g.change.percent && g.change.percent.reason))) || '' }, fmt.DASH)
          : [fmt.percent(g.change.percent.value, 0, { sign: true }), g.change.significant ? el('abbr', { class: 'lb-sig-star', title: `statistiskt säkerställd (${fmt.pValue(g.change.p)})` }, '*') : null]),
      lqBar(g.location_quotient)))));
  const notes = [];
  if (sm.sensitive_groups && sm.sensitive_groups.length) notes.push(`Känsliga grupper (${sm.sensitive_groups.join(', ')}) ingår i totalen men visas inte var för sig.`);
  notes.push('LQ över 1: gruppen utgör en större andel av händelserna här än i kommunen. Markeringen är fylld när hela intervallet ligger över (röd) eller under (blå) 1. * = statistiskt säkerställd förändring.');
  return [fmt.scrollBox('Brottsgrupper, tabell', tbl), el('p', { class: 'lb-hint' }, notes.join(' '))];
}

function hotSpots(sm) {
  const hs = sm.hot_spots || {};
  const out = [];
  const bar = (label, v) => el('div', { class: 'lb-share' },
    el('span', { class: 'lb-share-label' }, label),
    el('span', { class: 'lb-share-track', 'aria-hidden': 'true' }, el('span', { class: 'lb-share-fill', style: `width:${fmt.isNum(v) ? Math.min(100, v * 100).toFixed(1) : 0}%` })),
    el('span', { class: 'lb-share-num' }, fmt.isNum(v) ? fmt.share(v) : fmt.DASH));
  if (hs.reason && !fmt.isNum(hs.share_95)) {
    out.push(el('p', { class: 'lb-muted' }, `Ingen hot spot-analys: ${hs.reason}.`));
  } else {
    out.push(el('p', { class: 'lb-lead' }, `Andel av områdets ${fmt.integer(hs.area_cells)} H3-celler (nivå ${hs.resolution}) som är signifikant heta jämfört med kommunens ${fmt.integer(hs.kommun_cells)} celler, alla brottsgrupper:`));
    out.push(el('div', { class: 'lb-shares', dataset: { group: 'total' } }, bar('90 %', hs.share_90), bar('95 %', hs.share_95), bar('99 %', hs.share_99)));
  }
  const groups = hs.groups || [];
  if (groups.length) {
    out.push(fmt.scrollBox('Heta celler per brottsgrupp, tabell', el('table', { class: 'lb-table lb-hot-table' },
      el('caption', { class: 'visually-hidden' }, 'Andel heta celler per brottsgrupp'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Grupp'), el('th', { scope: 'col', class: 'lb-num' }, '90 %'), el('th', { scope: 'col', class: 'lb-num' }, '95 %'), el('th', { scope: 'col', class: 'lb-num' }, '99 %'))),
      el('tbody', {}, groups.map((g) => {
        const c = (ind) => el('td', { class: `lb-num${fmt.isSuppressed(ind) ? ' lb-muted' : ''}`, title: fmt.isSuppressed(ind) ? (ind && ind.reason) || '' : null }, fmt.isSuppressed(ind) ? fmt.DASH : fmt.share(ind.value));
        const reason = [g.share_95, g.share_90, g.share_99].map((x) => x && x.reason).find(Boolean);
        return el('tr', { dataset: { group: g.group } }, el('th', { scope: 'row' }, g.label || g.group, reason ? el('span', { class: 'lb-row-note' }, reason) : null), c(g.share_90), c(g.share_95), c(g.share_99));
      })))));
  }
  const cells = hs.cells && hs.cells.type === 'FeatureCollection' ? hs.cells.features.length : null;
  out.push(el('p', { class: 'lb-hint' }, `Heta celler enligt Getis–Ord Gi* över hela kommunens rutnät, justerat för många test (Benjamini–Hochberg).${cells === null ? '' : cells === 1 ? ' Den heta cellen visas på kartan.' : cells ? ` De ${fmt.integer(cells)} heta cellerna visas på kartan.` : ' Ingen cell i området är het.'}`));
  return out;
}

function presence(sm) {
  const p = sm.presence || {};
  const agencies = p.agencies || [];
  const out = [];
  if (!agencies.length) out.push(el('p', { class: 'lb-muted' }, 'Ingen registrerad myndighetsnärvaro i eller nära området.'));
  else {
    out.push(el('ul', { class: 'lb-agencies' }, agencies.map((a) => el('li', { dataset: { agency: a.code } },
      el('span', { class: 'lb-agency-name' }, a.name || a.code),
      el('span', { class: 'lb-agency-tags' },
        a.office ? el('span', { class: 'lb-tag lb-tag-office' }, 'Kontor') : null,
        a.operation ? el('span', { class: 'lb-tag lb-tag-op' }, 'Insats') : null,
        !a.office && !a.operation ? el('span', { class: 'lb-tag lb-tag-none' }, 'Inte på plats') : null)))));
  }
  const dl = el('dl', { class: 'lb-facts' });
  const fact = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, v));
  fact('Myndigheter på plats', `${fmt.integer(p.agencies_present ?? 0)}`);
  if (fmt.isNum(p.office_distance_m)) fact('Närmaste kontor', p.office_distance_m < 1000 ? `${fmt.integer(Math.round(p.office_distance_m / 10) * 10)} m` : `${fmt.number(p.office_distance_m / 1000, 1)} km`);
  fact('Bemanning, kontor', fmt.isSuppressed(p.staffed_hours_per_week_per_1000) ? fmt.suppressedText(p.staffed_hours_per_week_per_1000 && p.staffed_hours_per_week_per_1000.reason) : `${fmt.number(p.staffed_hours_per_week_per_1000.value, 1)} tim/vecka per 1 000 inv.`);
  fact('Insatser under perioden', fmt.isSuppressed(p.operation_person_hours_per_1000) ? fmt.suppressedText(p.operation_person_hours_per_1000 && p.operation_person_hours_per_1000.reason) : `${fmt.number(p.operation_person_hours_per_1000.value, 1)} persontimmar per 1 000 inv.`);
  fact('Senaste insats', p.last_operation ? `${fmt.date(p.last_operation)}${fmt.isNum(p.days_since_last_operation) ? ` (${fmt.integer(p.days_since_last_operation)} dagar sedan)` : ''}` : 'ingen registrerad');
  out.push(dl);
  return out;
}

function history(sm, areaId) {
  const h = [...(sm.classification_history || [])].sort((a, b) => a.year - b.year);
  if (!h.length) return el('p', { class: 'lb-muted' }, 'Ingen klassningshistorik.');
  return fmt.scrollBox('Klassning över tid, tabell', el('table', { class: 'lb-table lb-history' },
    el('caption', { class: 'visually-hidden' }, 'Områdets klassning på polisens listor'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Lista'), el('th', { scope: 'col' }, 'Klassning'), el('th', { scope: 'col' }, 'Namn på listan'))),
    el('tbody', {}, h.map((e) => el('tr', { dataset: { year: e.year, areaId: e.area_id }, class: e.area_id === areaId ? 'lb-current' : null, 'aria-current': e.area_id === areaId ? 'true' : null },
      el('th', { scope: 'row' }, String(e.year)),
      el('td', {}, classBadge(e.class), e.class_polisen && e.class_polisen !== classLabel(e.class) ? el('span', { class: 'lb-row-note' }, `Polisens benämning: ${e.class_polisen}`) : null),
      el('td', {}, e.name))))));
}

export { trendSentence };
