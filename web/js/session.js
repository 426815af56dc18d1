// Login and session: the login form, the header's "Inloggad som …" with the
// role and the scope, logout, and the first question "is anyone logged in?"
// (GET /api/v1/me). The page's data belongs to main.js: it is told when a
// session starts (onStart) and ends (onEnd).
//
// Scope labels name the regions and lokalpolisområden from the areas the
// service returns (nameScope), never from a table of names in the page.
import { api, ApiError } from './api.js';

const ROLE_LABELS = {
  nationell: 'Nationell analytiker',
  regional: 'Regional analytiker (samverkansråd)',
  lokal: 'Lokalpolisområdeschef',
  myndighet: 'Myndighetsanalytiker',
  gis: 'GIS-token',
  admin: 'Administratör',
};
const MSG = {
  badLogin: 'Fel användarnamn eller lösenord.',
  tooMany: 'För många försök – vänta en stund.',
  expired: 'Sessionen har gått ut – logga in igen.',
  loggedOut: 'Du är utloggad.',
  missing: 'Fyll i användarnamn och lösenord.',
  unavailable: 'Tjänsten är tillfälligt otillgänglig. Försök igen om en stund.',
};

export const roleLabel = (role) => ROLE_LABELS[role] || role;

const $ = (id) => document.getElementById(id);
const listOf = (v) => (Array.isArray(v) ? v.map(String) : []);

// createSession wires the login form and the header. onStart(me, {focusMap})
// starts the page for a session; onEnd() drops everything the page loaded;
// onUnavailable() shows the outage banner (a 503 from /api/v1/me);
// onError(message) shows any other failure.
export function createSession({ onStart, onEnd, onUnavailable, onError }) {
  const els = {
    needsLogin: document.querySelectorAll('[data-needs-login]'), login: $('login'), form: $('login-form'),
    username: $('login-username'), password: $('login-password'), submit: $('login-submit'),
    error: $('login-error'), info: $('login-info'), user: $('session-user'), role: $('session-role'),
    scope: $('session-scope'), logout: $('logout-button'), map: $('map'),
  };
  let me = null;
  const names = { regions: {}, lpos: {} };

  function scopeLabel(m) {
    const parts = [];
    const regions = listOf(m.regions);
    const lpos = listOf(m.lpos);
    const named = (codes, table) => codes.map((c) => (table[c] ? `${table[c]} (${c})` : c)).join(', ');
    if (regions.length) parts.push(`${regions.length === 1 ? 'Polisregion' : 'Polisregionerna'} ${named(regions, names.regions)}`);
    if (lpos.length) parts.push(`${lpos.length === 1 ? 'Lokalpolisområde' : 'Lokalpolisområdena'} ${named(lpos, names.lpos)}`);
    if (parts.length) return parts.join('; ');
    if (m.role === 'nationell') return 'Hela landet';
    return m.scope ? String(m.scope) : '–';
  }

  // showScope writes the scope; the header may cut it short, its title holds it all.
  function showScope() {
    els.scope.textContent = scopeLabel(me);
    els.scope.parentElement.title = `${roleLabel(me.role)} · ${els.scope.textContent}`;
  }

  const announceTimers = new Map();
  function announce(el, text) {
    clearTimeout(announceTimers.get(el));
    el.textContent = '';
    if (text) announceTimers.set(el, setTimeout(() => { el.textContent = text; }, 50));
  }
  function markInvalid(u, p) {
    for (const [el, bad] of [[els.username, u], [els.password, p]]) {
      if (bad) el.setAttribute('aria-invalid', 'true');
      else el.removeAttribute('aria-invalid');
    }
  }

  function showLogin({ error = '', info = '' } = {}) {
    for (const el of els.needsLogin) el.hidden = true;
    document.body.classList.add('logged-out');
    els.map.inert = true;
    els.login.hidden = false;
    els.password.value = '';
    markInvalid(false, false);
    els.submit.disabled = false;
    announce(els.error, error);
    announce(els.info, info);
    (els.username.value ? els.password : els.username).focus();
  }

  function start(body, { focusMap = false } = {}) {
    me = body;
    api.csrf = body.csrf_token || '';
    names.regions = {};
    names.lpos = {};
    els.user.textContent = body.subject;
    els.role.textContent = roleLabel(body.role);
    showScope();
    els.login.hidden = true;
    els.map.inert = false;
    document.body.classList.remove('logged-out');
    for (const el of els.needsLogin) el.hidden = false;
    if (body.role === 'admin' || body.role === 'gis') {
      onError(`Din roll (${roleLabel(body.role)}) har inte tillgång till kartans uppgifter.`);
      return;
    }
    onStart(body, { focusMap });
  }

  function end() {
    me = null;
    api.csrf = '';
    onEnd();
  }

  async function submit(ev) {
    ev.preventDefault();
    if (els.submit.disabled) return;
    const username = els.username.value.trim();
    const password = els.password.value;
    announce(els.info, '');
    announce(els.error, '');
    if (!username || !password) {
      markInvalid(!username, !password);
      announce(els.error, MSG.missing);
      (username ? els.password : els.username).focus();
      return;
    }
    markInvalid(false, false);
    els.submit.disabled = true;
    let resp;
    let body = null;
    try {
      resp = await fetch('/api/v1/session', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ username, password }),
        credentials: 'same-origin',
        cache: 'no-store',
      });
      body = await resp.json().catch(() => null);
    } catch (err) {
      els.submit.disabled = false;
      announce(els.error, `Kunde inte nå servern (${err.message}). Försök igen.`);
      return;
    }
    els.submit.disabled = false;
    if (resp.ok && body && typeof body.subject === 'string') {
      start(body, { focusMap: true });
      return;
    }
    let msg;
    if (resp.status === 401) {
      msg = MSG.badLogin;
      markInvalid(true, true);
    } else if (resp.status === 429) msg = MSG.tooMany;
    else if (resp.status === 503) msg = MSG.unavailable;
    else msg = `Inloggningen misslyckades (HTTP ${resp.status}).`;
    els.password.value = '';
    announce(els.error, msg);
    els.password.focus();
  }

  async function logout() {
    if (!me) return;
    els.logout.disabled = true;
    try {
      await api.send('DELETE', '/api/v1/session');
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) {
        onError(`Kunde inte logga ut: ${err.message}`);
        els.logout.disabled = false;
        return;
      }
    }
    els.logout.disabled = false;
    els.username.value = '';
    end();
    showLogin({ info: MSG.loggedOut });
  }

  els.form.addEventListener('submit', submit);
  els.username.addEventListener('input', () => els.username.removeAttribute('aria-invalid'));
  els.password.addEventListener('input', () => els.password.removeAttribute('aria-invalid'));
  els.logout.addEventListener('click', logout);

  return {
    get me() { return me; },
    // expired: a later request answered 401 — back to the form with a reason.
    expired() {
      if (!me) return;
      end();
      showLogin({ error: MSG.expired });
    },
    // nameScope names the scope's regions and lokalpolisområden from the areas.
    nameScope(fc) {
      if (!me) return;
      for (const f of fc.features) {
        const p = f.properties;
        if (p.lpo_kod && p.lpo_namn) names.lpos[String(p.lpo_kod)] = String(p.lpo_namn);
        if (p.region_kod && p.region_namn) names.regions[String(p.region_kod)] = String(p.region_namn);
      }
      showScope();
    },
    // check asks whether a session exists: the page or the login form.
    async check() {
      let resp;
      let body = null;
      try {
        resp = await fetch('/api/v1/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
        body = await resp.json().catch(() => null);
      } catch (err) {
        onError(`Kunde inte kontrollera inloggningen: nätverksfel (${err.message}).`);
        return;
      }
      if (resp.status === 401) showLogin();
      else if (resp.status === 503) onUnavailable();
      else if (!resp.ok || !body || typeof body.subject !== 'string') onError(`Kunde inte kontrollera inloggningen (HTTP ${resp.status}).`);
      else start(body);
    },
  };
}
