// Hover and click on the map: a short popup naming what is under the pointer
// (an area, an office, an incident cell with its count or why it shows none)
// and a click on an area opens it.
import { AREA_LAYERS, maplibregl } from './map.js';

function node(lines) {
  const d = document.createElement('div');
  lines.filter(Boolean).forEach((t, i) => d.appendChild(Object.assign(document.createElement(i === 0 ? 'strong' : 'div'), { textContent: t })));
  return d;
}

// linesOf is the popup's text for the topmost feature under the pointer.
function linesOf(hits) {
  const area = hits.find((h) => AREA_LAYERS.includes(h.layer.id));
  if (area) {
    const p = area.properties;
    return [p.name, `${p.class_label} · ${p.kommun_namn}`, p.lpo_namn ? `LPO ${p.lpo_namn}` : ''];
  }
  const office = hits.find((h) => h.layer.id === 'narvaro-office');
  if (office) return [office.properties.name, 'Myndighetskontor'];
  const emerging = hits.find((h) => h.layer.id === 'emerging-fill');
  if (emerging) {
    const p = emerging.properties;
    const months = p.category && String(p.category).endsWith('_cold_spot') ? p.cold_months : p.hot_months;
    const labels = (window.lagesbild && window.lagesbild.emergingLabels) || {};
    return [labels[p.category] || p.category, `Signifikant ${months} av månaderna ${p.first_month} – ${p.last_month}`,
      `Trend (Mann–Kendall): Z = ${Number(p.trend_z).toFixed(1).replace('.', ',')}, p = ${Number(p.trend_p).toFixed(3).replace('.', ',')}`];
  }
  const hot = hits.find((h) => h.layer.id === 'hotspots-fill');
  const cell = hits.find((h) => h.layer.id === 'h3-fill');
  if (!cell && hot) return ['Het cell', `Getis–Ord Gi*, ${hot.properties.level} %`];
  if (!cell) return null;
  const { total: t, total_min: atLeast } = cell.properties;
  const has = (v) => v !== undefined && v !== null;
  if (has(t)) return [`${t} händelser`, 'i cellen under vald period'];
  if (has(atLeast)) {
    return [`Minst ${atLeast} händelser`, 'i cellen under vald period',
      'En brottsgrupp har 1–4 händelser och redovisas inte; därför visas inte det exakta antalet (röjandeskydd).'];
  }
  return ['Få händelser', 'i cellen under vald period', 'Varje brottsgrupp har 1–4 händelser; antalen visas inte (röjandeskydd).'];
}

// wireHover adds the popup and the click; onSelect(areaId) opens an area.
export function wireHover(map, { onSelect }) {
  let popup = null;
  const close = () => {
    if (popup) popup.remove();
    popup = null;
  };
  map.on('mousemove', (ev) => {
    const layers = ['areas-fill', 'areas-point', 'narvaro-office', 'hotspots-fill', 'emerging-fill', 'h3-fill']
      .filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
    const hits = map.queryRenderedFeatures(ev.point, { layers });
    map.getCanvas().style.cursor = hits.some((h) => AREA_LAYERS.includes(h.layer.id)) ? 'pointer' : '';
    const lines = linesOf(hits);
    if (!lines) {
      close();
      return;
    }
    if (popup) popup.remove();
    popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, maxWidth: '280px', className: 'hover-popup', focusAfterOpen: false })
      .setLngLat(ev.lngLat).setDOMContent(node(lines)).addTo(map);
  });
  map.getCanvas().addEventListener('mouseleave', close);
  map.on('click', (ev) => {
    const hits = map.queryRenderedFeatures(ev.point, { layers: AREA_LAYERS.filter((id) => map.getLayer(id)) });
    if (!hits.length) return;
    const f = hits.find((x) => x.layer.id === 'areas-fill') || hits[0];
    onSelect(f.properties.id);
  });
}
