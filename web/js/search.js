// Search by area, kommun or lokalpolisområde name, over what the page has
// loaded (the areas of the list in scope and the kommun label points); no
// request per keystroke. Arrow keys move through the hits, Enter picks one.

const norm = (s) => String(s || '').toLocaleLowerCase('sv').normalize('NFC');

export function createSearch(input, list, { onPick }) {
  let items = [];
  let hits = [];
  let active = -1;

  function render() {
    list.replaceChildren();
    hits.forEach((h, i) => {
      const li = document.createElement('li');
      li.id = `search-hit-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === active));
      li.dataset.kind = h.kind;
      const name = document.createElement('span');
      name.className = 'hit-name';
      name.textContent = h.name;
      const kind = document.createElement('span');
      kind.className = 'hit-kind';
      kind.textContent = h.detail;
      li.append(name, kind);
      li.addEventListener('mousedown', (ev) => {
        ev.preventDefault();
        pick(i);
      });
      list.appendChild(li);
    });
    const open = hits.length > 0;
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    if (active >= 0) input.setAttribute('aria-activedescendant', `search-hit-${active}`);
    else input.removeAttribute('aria-activedescendant');
  }

  function pick(i) {
    const h = hits[i];
    if (!h) return;
    input.value = h.name;
    hits = [];
    active = -1;
    render();
    onPick(h);
  }

  input.addEventListener('input', () => {
    const q = norm(input.value.trim());
    active = -1;
    if (q.length < 2) {
      hits = [];
    } else {
      const starts = []; const contains = [];
      for (const it of items) {
        const n = norm(it.name);
        if (n.startsWith(q)) starts.push(it);
        else if (n.includes(q)) contains.push(it);
      }
      hits = [...starts, ...contains].slice(0, 12);
    }
    render();
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' && hits.length) {
      active = (active + 1) % hits.length;
      render();
      ev.preventDefault();
    } else if (ev.key === 'ArrowUp' && hits.length) {
      active = (active - 1 + hits.length) % hits.length;
      render();
      ev.preventDefault();
    } else if (ev.key === 'Enter') {
      if (hits.length) pick(active >= 0 ? active : 0);
      ev.preventDefault();
    } else if (ev.key === 'Escape') {
      hits = [];
      render();
    }
  });
  input.addEventListener('blur', () => {
    hits = [];
    render();
  });

  return {
    // setIndex replaces what is searched: areas (GeoJSON features) and
    // kommuner (label points).
    setIndex(areas, kommuner) {
      items = [];
      const lpos = new Map();
      for (const f of areas) {
        const p = f.properties;
        items.push({ kind: 'area', id: p.id, name: p.name, detail: `${p.class_label}, ${p.kommun_namn}` });
        if (p.lpo_kod && p.lpo_namn) {
          if (!lpos.has(p.lpo_kod)) lpos.set(p.lpo_kod, { kind: 'lpo', id: p.lpo_kod, name: p.lpo_namn, detail: 'Lokalpolisområde', features: [] });
          lpos.get(p.lpo_kod).features.push(f);
        }
      }
      items.push(...lpos.values());
      const inScope = new Set(areas.map((f) => f.properties.kommun_kod));
      for (const k of kommuner) {
        items.push({ kind: 'kommun', id: k.properties.kod, name: k.properties.namn,
          detail: inScope.has(k.properties.kod) ? 'Kommun' : 'Kommun (inga områden i urvalet)', point: k.geometry.coordinates });
      }
    },
  };
}
