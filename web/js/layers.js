// The areas on the map: the chosen list's polygons and label points, their
// colour (by class, from the style's palette, or by an indicator as a
// choropleth with class breaks), and what changed against the previous list.

export const INDICATORS = {
  class: { label: 'Klass (polisens lista)' },
  count: { label: 'Antal händelser', get: (r) => r.count },
  rate: { label: 'Händelser per 1 000 invånare', get: (r) => r.rate_per_1000 },
  smoothed: { label: 'Utjämnad takt per 1 000 (EB)', get: (r) => r.smoothed_rate_per_1000 },
  change: { label: 'Förändring mot jämförelseperioden (%)', get: (r) => r.change_percent, diverging: true },
  trend: { label: 'Trend (Sen-lutning per månad)', get: (r) => r.trend && r.trend.sen_slope_per_month, diverging: true },
  score: { label: 'Prioriteringspoäng' },
};

// Colour ramps (ColorBrewer, colour-blind safe) for the indicator choropleths.
const SEQUENTIAL = ['#fef0d9', '#fdcc8a', '#fc8d59', '#e34a33', '#b30000'];
const DIVERGING = ['#2166ac', '#92c5de', '#f7f7f7', '#f4a582', '#b2182b'];
export const NO_VALUE = '#c9c9c9';

// CHANGE_COLOURS are the outlines of the list comparison (map.js draws them,
// controls.js explains them).
export const CHANGE_COLOURS = { entered: '#1a7f37', split: '#0a6fb5', changed: '#6f42c1', left: '#4a4a4a' };

// labelPoints turns the areas into points at the API's label points (the
// dots at national scale and the name labels).
export function labelPoints(fc) {
  const rank = { sarskilt_utsatt: 0, risk: 1, utsatt: 2 };
  const features = [];
  for (const f of fc.features) {
    const p = f.properties || {};
    const lp = p.label_point;
    if (!Array.isArray(lp) || !Number.isFinite(lp[0]) || !Number.isFinite(lp[1]) || (lp[0] === 0 && lp[1] === 0)) continue;
    features.push({ type: 'Feature', id: p.id, properties: { ...p, rank: rank[p.class] ?? 3 }, geometry: { type: 'Point', coordinates: lp } });
  }
  return { type: 'FeatureCollection', features };
}

// boundsOf returns [[w, s], [e, n]] around the features' bbox members.
export function boundsOf(features) {
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  for (const f of features) {
    const b = f.bbox;
    if (!Array.isArray(b) || b.length !== 4) continue;
    w = Math.min(w, b[0]); s = Math.min(s, b[1]); e = Math.max(e, b[2]); n = Math.max(n, b[3]);
  }
  return w <= e && s <= n ? [[w, s], [e, n]] : null;
}

// diffLists compares a list with the previous one by the areas' cross-year
// identity (area_key, and the API's predecessors where the police changed the
// identifier): areas that entered, left or changed class, and the parts of a
// split (a new key whose predecessor is still on the list or also split). A
// renumbered area is the same area under a new key: neither entered nor left.
export function diffLists(current, previous) {
  const prev = new Map(previous.features.map((f) => [f.properties.area_key, f]));
  const cur = new Map(current.features.map((f) => [f.properties.area_key, f]));
  const entered = []; const changed = []; const left = []; const split = [];
  const followed = new Set(); // previous keys that live on under another key
  for (const [key, f] of cur) {
    let p = prev.get(key);
    let from = null;
    if (!p) {
      for (const l of f.properties.predecessors || []) {
        const q = prev.get(l.area_key);
        if (!q) continue;
        followed.add(l.area_key);
        if (l.kind === 'split') from = q;
        else p = p || q;
      }
    }
    if (from && !p) split.push({ area: f, from });
    else if (!p) entered.push(f);
    else if (p.properties.class !== f.properties.class) changed.push({ area: f, from: p.properties.class_label, to: f.properties.class_label });
  }
  for (const [key, f] of prev) if (!cur.has(key) && !followed.has(key)) left.push(f);
  return { entered, changed, left, split };
}

// markChanges adds a change property (entered, split, changed) to the current
// list's features for the change outline layer.
export function markChanges(fc, diff) {
  const kind = new Map();
  for (const f of diff.entered) kind.set(f.properties.id, 'entered');
  for (const c of diff.split) kind.set(c.area.properties.id, 'split');
  for (const c of diff.changed) kind.set(c.area.properties.id, 'changed');
  return {
    ...fc,
    features: fc.features.map((f) => {
      const change = kind.get(f.properties.id);
      if (!change) return f;
      return { ...f, properties: { ...f.properties, change } };
    }),
  };
}

// quantileBreaks splits the values into up to k classes of about equal size.
export function quantileBreaks(values, k = 5) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return [];
  const breaks = [];
  for (let i = 1; i < k; i++) {
    const b = v[Math.min(v.length - 1, Math.floor((i * v.length) / k))];
    if (breaks.length === 0 || b > breaks[breaks.length - 1]) breaks.push(b);
  }
  return breaks;
}

// indicatorValues reads the chosen indicator per area id from the table's
// last load ({summaries, priority}); null values are withheld or missing.
export function indicatorValues(key, data) {
  const out = new Map();
  if (!data) return out;
  if (key === 'score') {
    for (const a of (data.priority && data.priority.areas) || []) out.set(a.area.id, a.score ?? null);
    return out;
  }
  const ind = INDICATORS[key];
  for (const r of (data.summaries && data.summaries.areas) || []) {
    const v = ind.get(r);
    out.set(r.area.id, v && !v.suppressed && Number.isFinite(v.value) ? v.value : null);
  }
  return out;
}

// choropleth builds the fill-color expression and the legend of an indicator.
export function choropleth(key, values) {
  const nums = [...values.values()].filter((v) => v !== null);
  const diverging = INDICATORS[key].diverging;
  let breaks;
  let colours;
  if (diverging) {
    const m = Math.max(1e-9, ...nums.map(Math.abs));
    breaks = [-0.6 * m, -0.2 * m, 0.2 * m, 0.6 * m];
    colours = DIVERGING;
  } else {
    breaks = quantileBreaks(nums, 5);
    colours = SEQUENTIAL.slice(SEQUENTIAL.length - breaks.length - 1);
  }
  const colourOf = (v) => {
    if (v === null || v === undefined) return NO_VALUE;
    let i = 0;
    while (i < breaks.length && v >= breaks[i]) i++;
    return colours[i];
  };
  const expr = ['match', ['get', 'id']];
  for (const [id, v] of values) expr.push(id, colourOf(v));
  expr.push(NO_VALUE);
  const bins = [];
  for (let i = 0; i <= breaks.length; i++) {
    bins.push({ colour: colours[i], from: i === 0 ? null : breaks[i - 1], to: i === breaks.length ? null : breaks[i] });
  }
  return { expr: values.size ? expr : NO_VALUE, bins, count: nums.length, missing: values.size - nums.length };
}
