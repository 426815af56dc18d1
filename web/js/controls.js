// The side bar's controls that are built from the service's facts: legends
// (class palette, H3 steps, agencies from the style's metadata), the category
// group filter, the agency select and the list comparison summary.
import { INDICATORS, NO_VALUE, CHANGE_COLOURS } from './layers.js';

const nf = new Intl.NumberFormat('sv-SE', { maximumFractionDigits: 1 });
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const swatch = (colour, shape = 'square') => {
  const s = el('span', `swatch swatch-${shape}`);
  s.style.background = colour;
  s.setAttribute('aria-hidden', 'true');
  return s;
};

export function fillColorSelect(select, current) {
  select.replaceChildren();
  for (const [k, v] of Object.entries(INDICATORS)) select.append(new Option(v.label, k, false, k === current));
}

// renderClassLegend lists the classes of the palette with their counts.
export function renderClassLegend(box, palette, counts, year) {
  box.replaceChildren();
  const ul = el('ul');
  for (const c of palette) {
    const li = el('li');
    li.dataset.class = c.class;
    li.append(swatch(c.fill), el('span', 'legend-label', c.label));
    if (!counts) {
      // No area list behind the map (an agency analyst's tiles): the classes without counts.
      ul.appendChild(li);
      continue;
    }
    const n = counts[c.class] || 0;
    li.append(el('span', 'legend-count', ` (${n})`));
    if (n === 0) {
      li.classList.add('absent');
      li.append(el('span', 'legend-absent', ` finns inte i ${year} års lista`));
    }
    ul.appendChild(li);
  }
  box.appendChild(ul);
}

// renderChoroplethLegend shows the class breaks of an indicator.
export function renderChoroplethLegend(box, key, ch) {
  box.replaceChildren();
  box.appendChild(el('p', 'legend-title', INDICATORS[key].label));
  const ul = el('ul');
  for (const b of ch.bins) {
    const li = el('li');
    let text;
    if (b.from === null && b.to === null) text = 'alla värden';
    else if (b.from === null) text = `under ${nf.format(b.to)}`;
    else if (b.to === null) text = `${nf.format(b.from)} och mer`;
    else text = `${nf.format(b.from)} – ${nf.format(b.to)}`;
    li.append(swatch(b.colour), el('span', 'legend-label', text));
    ul.appendChild(li);
  }
  const li = el('li');
  li.append(swatch(NO_VALUE), el('span', 'legend-label', `uppgift saknas eller undertryckt (${ch.missing})`));
  ul.appendChild(li);
  box.appendChild(ul);
  box.appendChild(el('p', 'hint', 'Klassgränser: kvintiler av områdena i urvalet.'));
}

export function renderH3Legend(box, steps, suppressed) {
  box.replaceChildren();
  box.appendChild(el('p', 'legend-title', 'Händelser per cell'));
  const ul = el('ul', 'legend-steps');
  steps.forEach((s, i) => {
    const li = el('li');
    const next = steps[i + 1];
    li.append(swatch(s.colour), el('span', 'legend-label', next ? `${s.min}–${next.min - 1}` : `${s.min}+`));
    ul.appendChild(li);
  });
  box.appendChild(ul);
  const hot = el('p', 'legend-suppressed');
  hot.append(swatch('rgba(215,48,31,0.55)'), el('span', 'legend-label', ' Heta celler (Gi*, 95 %) i det öppnade området'));
  box.appendChild(hot);
  // A cell with a group of 1–4 shows no exact total (it would reveal the group): it is
  // coloured by "at least" (the groups shown plus one) with a dashed outline.
  const atLeast = el('p', 'legend-suppressed');
  const dashed = swatch(steps.length > 2 ? steps[2].colour : '#6baed6');
  dashed.classList.add('swatch-dashed');
  atLeast.append(dashed, el('span', 'legend-label', ' Streckad kant: minst så många. En brottsgrupp har 1–4 händelser, så det exakta antalet visas inte (röjandeskydd).'));
  box.appendChild(atLeast);
  if (suppressed) {
    const s = el('p', 'legend-suppressed');
    s.append(swatch(suppressed), el('span', 'legend-label', ' Grå: få händelser, 1–4 i varje grupp; antalen visas inte.'));
    box.appendChild(s);
  }
}

export function renderGroups(fieldset, groups, selected, onChange) {
  for (const n of fieldset.querySelectorAll('label')) n.remove();
  for (const g of groups) {
    const label = el('label', 'check');
    const input = el('input');
    input.type = 'checkbox';
    input.dataset.group = g.group;
    input.checked = selected.includes(g.group);
    input.addEventListener('change', () => {
      onChange([...fieldset.querySelectorAll('input[data-group]:checked')].map((i) => i.dataset.group));
    });
    label.append(input, document.createTextNode(` ${g.label}`));
    fieldset.appendChild(label);
  }
}

// renderEmergingLegend lists the emerging hot-spot categories of the style's palette: the hot
// spots, then the cold spots, each in two columns.
export function renderEmergingLegend(box, palette) {
  box.replaceChildren();
  box.appendChild(el('p', 'legend-title', 'Framväxande brännpunkter'));
  box.appendChild(el('p', 'legend-note', 'Gi* per månad i varje kommuns H3-rutnät de senaste 24 hela månaderna, trend enligt Mann–Kendall. Bara celler med ett mönster visas; inga antal.'));
  for (const [kind, title] of [['_hot_spot', 'Brännpunkter (fler händelser än omgivningen)'], ['_cold_spot', 'Kallpunkter (färre händelser än omgivningen)']]) {
    const items = palette.filter((c) => c.category.endsWith(kind));
    if (!items.length) continue;
    box.appendChild(el('p', 'legend-subtitle', title));
    const ul = el('ul', 'legend-grid');
    for (const c of items) {
      const li = el('li');
      li.dataset.category = c.category;
      li.append(swatch(c.colour), el('span', 'legend-label', c.label));
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }
}

export function renderAgencies(select, legend, agencies, selected) {
  select.replaceChildren(new Option('Alla myndigheter', ''));
  for (const a of agencies) select.append(new Option(a.name, a.code, false, selected.includes(a.code)));
  legend.replaceChildren();
  const ul = el('ul');
  const op = el('li');
  op.append(swatch('rgba(91,44,111,0.35)'), el('span', 'legend-label', 'Gemensam insats (område)'));
  ul.appendChild(op);
  for (const a of agencies.slice(0, 6)) {
    const li = el('li');
    li.append(swatch(a.colour, 'circle'), el('span', 'legend-label', `Kontor: ${a.name}`));
    ul.appendChild(li);
  }
  legend.appendChild(ul);
}

// renderChanges summarises what changed against the previous list, with
// buttons that open each area.
export function renderChanges(box, diff, prevYear, onPick) {
  box.replaceChildren();
  if (!diff) {
    box.appendChild(el('p', 'hint', prevYear ? 'Laddar jämförelsen …' : 'Första listan – inget att jämföra med.'));
    return;
  }
  const head = el('p', 'changes-summary');
  head.dataset.entered = String(diff.entered.length);
  head.dataset.left = String(diff.left.length);
  head.dataset.changed = String(diff.changed.length);
  head.dataset.split = String(diff.split.length);
  const parts = [`${diff.entered.length} nya`];
  if (diff.split.length) parts.push(`${diff.split.length} nya delar av delade områden`);
  parts.push(`${diff.left.length} borttagna`, `${diff.changed.length} med ändrad klass`);
  head.textContent = `Mot ${prevYear}: ${parts.join(', ')}.`;
  box.appendChild(head);
  const group = (title, cls, rows) => {
    if (!rows.length) return;
    const d = el('details', `changes-${cls}`);
    d.dataset.change = cls;
    const sum = el('summary', '', `${title} (${rows.length})`);
    sum.prepend(swatch(CHANGE_COLOURS[cls], 'line'));
    d.appendChild(sum);
    const ul = el('ul');
    for (const r of rows) {
      const li = el('li');
      if (r.id) {
        li.dataset.areaId = r.id;
        const b = el('button', 'button-link', r.text);
        b.type = 'button';
        b.addEventListener('click', () => onPick(r.id));
        li.appendChild(b);
      } else {
        li.dataset.areaKey = r.key;
        li.textContent = r.text;
      }
      ul.appendChild(li);
    }
    d.appendChild(ul);
    box.appendChild(d);
  };
  const p = (f) => f.properties;
  group('Nya områden', 'entered', diff.entered.map((f) => ({ id: p(f).id, text: `${p(f).name} (${p(f).class_label})` })));
  group('Delade områden, nya delar', 'split', diff.split.map((c) => ({ id: p(c.area).id, text: `${p(c.area).name}: del av ${p(c.from).name} ${prevYear}` })));
  group('Ändrad klass', 'changed', diff.changed.map((c) => ({ id: p(c.area).id, text: `${p(c.area).name}: ${c.from} → ${c.to}` })));
  group('Borttagna', 'left', diff.left.map((f) => ({ key: p(f).area_key, text: `${p(f).name} (${p(f).kommun_namn})` })));
  box.appendChild(el('p', 'hint', 'Jämförs med områdenas identitet över åren; ett område som bytt id eller delats följs via polisens id-byten. Slå på "Visa förändringar" för att se dem på kartan.'));
}
