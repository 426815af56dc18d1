// The lokalpolisområdeschef's overview: their areas side by side as small multiples, one card
// per area with the key numbers of its summary and a sparkline of the monthly totals.
//
//   const overview = createOverview(document.querySelector('#overview'), { api, onSelect });
//   await overview.load(areas, { from: '2025-01-01', to: '2025-12-31' });
//
// areas: area ids, or GeoJSON features / objects with an id (properties.id, id). Each area's
// summary comes from GET /api/v1/areas/{id}/summary?from&to (at most MAX_AREAS areas, three
// requests at a time: the overview is meant for the handful of areas of one LPO).
//
// Test contract: the container's data-ready ("false" while loading), one card per area
// .lb-ov-card[data-area-id] (a click on it, or its button → onSelect(areaId)), values
// [data-indicator=KEY] with data-value as in the panel (count, rate_per_1000, change_percent,
// sen_slope_per_month, hotspot_share_95, agencies_present).

import * as fmt from './format.js';
import { createSparkline } from './chart.js';
import { classBadge } from './panel.js';

const el = fmt.el;
const MAX_AREAS = 24;
const PARALLEL = 3;

function areaIdOf(a) {
  if (typeof a === 'string') return a;
  if (!a) return null;
  if (a.properties && a.properties.id) return a.properties.id;
  if (a.area && a.area.id) return a.area.id;
  return a.id || null;
}

async function mapLimit(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

export function createOverview(container, { api, onSelect } = {}) {
  if (!container) throw new Error('createOverview: no container');
  if (!api || typeof api.get !== 'function') throw new Error('createOverview: api.get is required');
  container.classList.add('lb-overview');
  let token = 0;
  let sparks = [];

  function destroy() {
    for (const s of sparks) s.destroy();
    sparks = [];
  }

  async function load(areas = [], period = {}) {
    const my = ++token;
    destroy();
    const ids = [...new Set((areas || []).map(areaIdOf).filter(Boolean))];
    container.dataset.ready = 'false';
    container.setAttribute('aria-busy', 'true');
    delete container.dataset.error;
    const title = el('h2', { class: 'lb-overview-title' }, 'Mina områden');
    container.replaceChildren(title, el('p', { class: 'lb-loading', role: 'status' }, el('span', { class: 'lb-spinner', 'aria-hidden': 'true' }), 'Hämtar områdenas sammanfattningar …'));
    if (!ids.length) {
      container.replaceChildren(title, el('p', { class: 'lb-empty' }, 'Inga områden i ditt ansvarsområde på den valda listan.'));
      finish(my);
      return;
    }
    const q = new URLSearchParams();
    if (period.from) q.set('from', period.from);
    if (period.to) q.set('to', period.to);
    const qs = q.toString() ? `?${q}` : '';
    const shown = ids.slice(0, MAX_AREAS);
    let results;
    try {
      results = await mapLimit(shown, PARALLEL, async (id) => {
        try {
          return { id, sm: await api.get(`/api/v1/areas/${encodeURIComponent(id)}/summary${qs}`) };
        } catch (err) {
          if (err && err.status === 401) throw err;
          return { id, err };
        }
      });
    } catch (err) {
      if (my !== token) return;
      container.dataset.error = fmt.errorText(err, 'områdenas sammanfattningar');
      container.replaceChildren(title, el('div', { class: 'lb-error-state', role: 'alert' }, el('p', { class: 'lb-error-title' }, container.dataset.error)));
      finish(my);
      return;
    }
    if (my !== token) return;
    render(title, results, ids.length - shown.length);
    finish(my);
  }

  function finish(my) {
    if (my !== token) return;
    container.dataset.ready = 'true';
    container.removeAttribute('aria-busy');
  }

  function render(title, results, hidden) {
    const first = results.find((r) => r.sm);
    const periodText = first ? `${fmt.period(first.sm.period)}, jämfört med ${fmt.period(first.sm.previous_period)}` : '';
    const synthetic = results.some((r) => r.sm && r.sm.provenance && r.sm.provenance.synthetic);
    const grid = el('div', { class: 'lb-ov-grid', role: 'list', 'aria-label': 'Mina områden sida vid sida' });
    const sparkJobs = [];
    for (const { id, sm, err } of results) {
      if (!sm) {
        grid.append(el('div', { role: 'listitem', class: 'lb-ov-card lb-ov-error', dataset: { areaId: id } },
          el('h3', { class: 'lb-ov-name' }, id),
          el('p', { class: 'lb-muted', role: 'alert' }, fmt.errorText(err, 'områdets sammanfattning'))));
        continue;
      }
      grid.append(card(id, sm, sparkJobs));
    }
    // replaceChildren writes a null out as the text "null": the parts left out are filtered.
    container.replaceChildren(...[
      el('div', { class: 'lb-overview-head' }, title, el('p', { class: 'lb-overview-period' }, periodText)),
      synthetic ? el('p', { class: 'lb-synthetic' }, 'Syntetiska demodata – beskriver inga verkliga händelser.') : null,
      grid,
      el('p', { class: 'lb-hint' }, `– = skyddat eller kan inte skattas. * = statistiskt säkerställd. Kurvan: händelser per månad, egen skala per område.${hidden > 0 ? ` ${hidden} områden till visas inte här; se områdestabellen.` : ''}`),
    ].filter(Boolean));
    for (const job of sparkJobs) job();
  }

  // card is one area as a small multiple: name, monthly sparkline with the trend, key numbers.
  function card(id, sm, sparkJobs) {
    const t = sm.total;
    const ch = t.change || {};
    const tr = t.trend || {};
    const slope = tr.sen_slope_per_month;
    const hs = sm.hot_spots || {};
    const metric = (key, label, indc, text, extra) => [
      el('dt', {}, label),
      el('dd', { class: fmt.isSuppressed(indc) ? 'lb-muted' : null, dataset: { indicator: key, value: fmt.rawValue(indc) }, title: fmt.isSuppressed(indc) ? (indc && indc.reason) || fmt.DEFAULT_SUPPRESSED : null },
        fmt.isSuppressed(indc) ? [fmt.DASH, el('span', { class: 'visually-hidden' }, ` skyddat: ${(indc && indc.reason) || fmt.DEFAULT_SUPPRESSED}`)] : text, extra)];
    const spark = el('span', { class: 'lb-spark' });
    const monthly = (sm.monthly || []).map((m) => (fmt.isSuppressed(m.count) ? null : m.count.value));
    const nums = monthly.filter(fmt.isNum);
    sparkJobs.push(() => sparks.push(createSparkline(spark, monthly, {
      label: nums.length ? `Händelser per månad i ${sm.area.name}: lägst ${fmt.integer(Math.min(...nums))}, högst ${fmt.integer(Math.max(...nums))}, senast ${fmt.integer(monthly[monthly.length - 1])}` : `Inga publicerade månadsvärden för ${sm.area.name}`,
      width: Math.max(120, Math.floor(spark.clientWidth || 160)),
      height: 34,
    })));
    const open = el('button', { type: 'button', class: 'lb-ov-open', 'aria-label': `Öppna områdesbilden för ${sm.area.name}` }, sm.area.name);
    const slopeText = tr.suppressed || fmt.isSuppressed(slope) ? 'ingen trend' : `${fmt.signed(slope.value, 1)} per månad${tr.significant ? ' *' : ''}`;
    const art = el('div', { role: 'listitem', class: 'lb-ov-card', dataset: { areaId: id } },
      el('h3', { class: 'lb-ov-name' }, open),
      el('div', { class: 'lb-ov-class' }, classBadge(sm.area.class)),
      el('div', { class: 'lb-ov-spark' }, spark,
        el('span', { class: `lb-slope${tr.significant ? ' lb-slope-sig' : ''}`, dataset: { indicator: 'sen_slope_per_month', value: tr.suppressed ? 'suppressed' : fmt.rawValue(slope) }, title: (tr.suppressed && tr.reason) || fmt.pValue(tr.p) }, `Trend: ${slopeText}`)),
      el('dl', { class: 'lb-ov-metrics' },
        metric('count', 'Händelser', t.count, fmt.integer(t.count && t.count.value)),
        metric('rate_per_1000', 'Per 1 000', t.rate_per_1000, t.rate_per_1000 && fmt.number(t.rate_per_1000.value, 1),
          !fmt.isSuppressed(t.rate_per_1000) && fmt.isNum(t.rate_per_1000.lower) ? el('span', { class: 'lb-ci' }, `${fmt.number(t.rate_per_1000.lower, 1)}–${fmt.number(t.rate_per_1000.upper, 1)}`) : null),
        metric('change_percent', 'Förändring', ch.percent, ch.percent && fmt.percent(ch.percent.value, 0, { sign: true }),
          ch.significant ? el('abbr', { class: 'lb-sig-star', title: `statistiskt säkerställd (${fmt.pValue(ch.p)})` }, '*') : null),
        metric('hotspot_share_95', 'Heta celler', fmt.isNum(hs.share_95) ? { value: hs.share_95 } : { suppressed: true, reason: hs.reason }, fmt.share(hs.share_95)),
        metric('agencies_present', 'Myndigheter', sm.presence ? { value: sm.presence.agencies_present } : null, fmt.integer(sm.presence && sm.presence.agencies_present))));
    art.addEventListener('click', () => onSelect && onSelect(id));
    return art;
  }

  return { load };
}
