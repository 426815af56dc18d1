// The page shell: the right column's tabs (Områden · Område · Översikt, arrow
// keys move between them) and the side bar, open by default on a wide screen
// and a closed drawer behind ☰ on a narrow one (style.css, max-width 1023px).
const $ = (id) => document.getElementById(id);

export function createTabs() {
  const tabs = { table: $('tab-table'), panel: $('tab-panel'), overview: $('tab-overview') };
  const panes = { table: $('area-table'), panel: $('area-panel'), overview: $('overview') };
  function show(name) {
    for (const [k, tab] of Object.entries(tabs)) {
      const on = k === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      panes[k].hidden = !on;
    }
  }
  for (const [k, tab] of Object.entries(tabs)) {
    tab.addEventListener('click', () => show(k));
    tab.addEventListener('keydown', (ev) => {
      const keys = Object.keys(tabs).filter((x) => !tabs[x].hidden);
      const i = keys.indexOf(k);
      const next = ev.key === 'ArrowRight' ? keys[(i + 1) % keys.length] : ev.key === 'ArrowLeft' ? keys[(i + keys.length - 1) % keys.length] : null;
      if (next) {
        show(next);
        tabs[next].focus();
      }
    });
  }
  return { tabs, panes, show };
}

// createDrawer keeps the ☰ toggle's aria-expanded equal to what is shown, at
// load and when the width crosses the breakpoint; onResize after a toggle.
export function createDrawer({ onResize }) {
  const toggle = $('sidebar-toggle');
  const narrow = window.matchMedia('(max-width: 1023px)');
  const shown = () => (narrow.matches ? document.body.classList.contains('sidebar-open') : !document.body.classList.contains('sidebar-closed'));
  const sync = () => toggle.setAttribute('aria-expanded', String(shown()));
  narrow.addEventListener('change', sync);
  sync();
  toggle.addEventListener('click', () => {
    document.body.classList.toggle(narrow.matches ? 'sidebar-open' : 'sidebar-closed');
    sync();
    setTimeout(onResize, 50);
  });
}
