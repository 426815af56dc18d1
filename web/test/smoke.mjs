#!/usr/bin/env node
// Headless Chromium smoke test of the Lägesbild map page.
//
// Usage: node web/test/smoke.mjs <baseURL> <screenshot.png> [set]
//
// Opens baseURL (with ?set=YEAR when a set is given) in /usr/bin/chromium
// (override with $CHROMIUM), waits for window.lagesbild.ready, and fails on
// window.lagesbild.error, any console error, page error or failed request
// (network failure or HTTP status >= 400). Checks that areas were loaded and
// that at least one area is rendered in the viewport, saves a screenshot and
// prints one line of JSON: {"ok":true,"set":"2025","areaCount":65,"rendered":N}.
// Exits 0 on success, 1 on failure (with {"ok":false,"error":...} on stdout),
// 2 on bad usage. Needs playwright-core: run `npm ci` in web/ first.
//
// With LAGESBILD_SMOKE_USER and LAGESBILD_SMOKE_PASSWORD set, the page must
// first show the login form (#login-form) without having requested any data;
// a wrong password must show "Fel användarnamn eller lösenord." in
// #login-error; then the script logs in, checks the header (#session-user,
// #session-role, #session-scope, #logout-button, #demo-badge when demo) and
// runs the checks above. At the end it logs out (#logout-button, which must
// send X-CSRF-Token) and expects the login form again. The only HTTP errors
// allowed are the 401s of GET /api/v1/me and POST /api/v1/session before the
// login. The password never appears in the output.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const READY_TIMEOUT_MS = 60_000;
const LAUNCH_TIMEOUT_MS = 30_000;
// Layers in app.js that draw an area (polygons, and dots at small scales).
const AREA_LAYERS = ['areas-fill', 'areas-point'];
// What app.js shows after a wrong password, and on the demo badge.
const BAD_LOGIN_MESSAGE = 'Fel användarnamn eller lösenord.';
const DEMO_BADGE = 'Demoinloggning – syntetiska data';
// Data requests: any API call but the login ones, tiles, OGC API.
const DATA_PATH = /\/(api\/v1\/(?!me$|session$)|tiles\/|ogc\/)/;
const LOGIN_PATH = /\/api\/v1\/(me|session)$/;

const smokeUser = process.env.LAGESBILD_SMOKE_USER || '';
const smokePassword = process.env.LAGESBILD_SMOKE_PASSWORD || '';
const wrongPassword = `${smokePassword}-fel`;

// redact keeps the passwords out of everything the script prints.
function redact(text) {
  let out = String(text);
  for (const secret of [wrongPassword, smokePassword]) {
    if (secret.length > 3) out = out.split(secret).join('***');
  }
  return out;
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

function usage() {
  process.stderr.write('usage: node web/test/smoke.mjs <baseURL> <screenshot.png> [set]\n');
  process.exit(2);
}

async function main() {
  const [baseURL, screenshot, set] = process.argv.slice(2);
  if (!baseURL || !screenshot || process.argv.length > 5) usage();
  if (set !== undefined && !/^\d{4}$/.test(set)) {
    process.stderr.write(`smoke: set must be a year like 2025, got ${JSON.stringify(set)}\n`);
    process.exit(2);
  }
  if (Boolean(smokeUser) !== Boolean(smokePassword)) {
    process.stderr.write('smoke: set both LAGESBILD_SMOKE_USER and LAGESBILD_SMOKE_PASSWORD, or neither\n');
    process.exit(2);
  }
  const withLogin = Boolean(smokeUser);
  const url = new URL(baseURL);
  if (set) url.searchParams.set('set', set);

  const problems = [];
  // Resolves on the first problem so that a broken page fails fast instead of
  // running into the ready timeout.
  let firstProblem;
  const problemSeen = new Promise((resolve) => { firstProblem = resolve; });
  const report = (msg) => {
    problems.push(msg);
    firstProblem();
  };
  // True until POST /api/v1/session succeeds: until then the page may get
  // 401s from the login endpoints, and must not request any data.
  let beforeLogin = withLogin;
  const dataBeforeLogin = [];
  const logoutCSRF = [];
  const loginEndpoint = (u) => LOGIN_PATH.test(new URL(u).pathname);
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'lagesbild-smoke-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      locale: 'sv-SE',
      timeout: LAUNCH_TIMEOUT_MS,
    });
    const page = context.pages()[0] || await context.newPage();

    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        const loc = msg.location();
        // Chromium logs every 4xx response; the expected login 401s are not errors.
        if (beforeLogin && loc && loc.url && loginEndpoint(loc.url) && msg.text().includes('status of 401')) return;
        report(`console error: ${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
      }
    });
    page.on('pageerror', (err) => report(`page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      report(`request failed: ${req.method()} ${req.url()}: ${req.failure() ? req.failure().errorText : 'unknown'}`);
    });
    page.on('request', (req) => {
      const { pathname } = new URL(req.url());
      if (beforeLogin && DATA_PATH.test(pathname)) {
        dataBeforeLogin.push(`${req.method()} ${req.url()}`);
        report(`data requested before the login: ${req.method()} ${req.url()}`);
      }
      if (req.method() === 'DELETE' && LOGIN_PATH.test(pathname)) logoutCSRF.push(Boolean(req.headers()['x-csrf-token']));
    });
    page.on('response', (resp) => {
      const method = resp.request().method();
      const login = loginEndpoint(resp.url());
      if (login && method === 'POST' && resp.ok()) beforeLogin = false;
      if (resp.status() === 401 && login && method !== 'DELETE') {
        if (beforeLogin) return; // the login form's business
        if (!withLogin) {
          report(`the page asks for a login (${method} ${resp.url()}: 401) but LAGESBILD_SMOKE_USER and LAGESBILD_SMOKE_PASSWORD are not set`);
          return;
        }
      }
      if (resp.status() >= 400) report(`HTTP ${resp.status()}: ${method} ${resp.url()}`);
    });
    page.on('crash', () => report('page crashed'));

    await page.goto(url.href, { waitUntil: 'load', timeout: READY_TIMEOUT_MS });
    let who = null;
    if (withLogin) {
      try {
        who = await logIn(page, problems, problemSeen, dataBeforeLogin);
      } catch (err) {
        await page.screenshot({ path: screenshot }).catch(() => {});
        throw err;
      }
    }
    const readyOrError = page.waitForFunction(
      () => window.lagesbild && (window.lagesbild.ready === true || window.lagesbild.error),
      null,
      { timeout: READY_TIMEOUT_MS, polling: 100 },
    );
    readyOrError.catch(() => {}); // may be abandoned below
    const early = problemSeen.then(() => new Promise((resolve) => { setTimeout(resolve, 1000); }));
    let timedOut = false;
    try {
      await Promise.race([readyOrError, early]);
    } catch {
      timedOut = true;
    }
    if (problems.length && !timedOut) {
      await page.screenshot({ path: screenshot }).catch(() => {});
      const err = await page.evaluate(() => (window.lagesbild ? window.lagesbild.error : null)).catch(() => null);
      if (err) problems.unshift(`window.lagesbild.error: ${err}`);
      throw new Error(problems.join('; '));
    }
    if (timedOut) {
      const partial = await page.evaluate(() => (window.lagesbild
        ? { ready: window.lagesbild.ready, error: window.lagesbild.error, set: window.lagesbild.set }
        : null)).catch(() => null);
      throw new Error(`window.lagesbild.ready not true within ${READY_TIMEOUT_MS / 1000} s (state: ${JSON.stringify(partial)})${problems.length ? `; ${problems.join('; ')}` : ''}`);
    }

    const result = await page.evaluate((layers) => {
      const s = window.lagesbild;
      const ids = new Set();
      let queryError = null;
      try {
        for (const f of s.map.queryRenderedFeatures({ layers })) {
          ids.add(f.properties && f.properties.id !== undefined ? f.properties.id : JSON.stringify(f.properties));
        }
      } catch (err) {
        queryError = String(err && err.message ? err.message : err);
      }
      const errorBox = document.getElementById('error');
      return {
        ready: s.ready,
        error: s.error,
        set: s.set,
        areaCount: s.areaCount,
        rendered: ids.size,
        queryError,
        visibleError: errorBox && !errorBox.hidden ? errorBox.textContent : null,
      };
    }, AREA_LAYERS);

    await page.screenshot({ path: screenshot });

    if (result.error) {
      // The page gave up; the checks below would only add noise.
      problems.unshift(`window.lagesbild.error: ${result.error}`);
    } else {
      if (result.visibleError) problems.push(`error shown on page: ${result.visibleError}`);
      if (result.queryError) problems.push(`queryRenderedFeatures failed: ${result.queryError}`);
      if (set && result.set !== set) problems.push(`expected set ${set}, page shows ${JSON.stringify(result.set)}`);
      if (!(result.areaCount > 0)) problems.push(`areaCount is ${JSON.stringify(result.areaCount)}, want > 0`);
      if (!(result.rendered > 0)) problems.push(`no area rendered in the viewport (layers ${AREA_LAYERS.join(', ')})`);
    }
    if (problems.length) throw new Error(problems.join('; '));

    if (withLogin) await logOut(page, problems, problemSeen, logoutCSRF);

    const out = { ok: true, set: result.set, areaCount: result.areaCount, rendered: result.rendered };
    if (who) Object.assign(out, who);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    if (context) await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

// step waits for promise, failing fast with the problems seen so far if
// there are any; what names the step in the error.
async function step(what, promise, problems, problemSeen) {
  promise.catch(() => {}); // may be abandoned below
  const failed = problemSeen.then(() => new Promise((resolve) => { setTimeout(resolve, 500); }))
    .then(() => { throw new Error(problems.join('; ')); });
  failed.catch(() => {});
  try {
    return await Promise.race([promise, failed]);
  } catch (err) {
    throw new Error(`${what}: ${err.message}`);
  }
}

// logIn expects the login form with no data loaded, tries a wrong password,
// then logs in. Returns { user, role, scope, demo } as the header shows them.
async function logIn(page, problems, problemSeen, dataBeforeLogin) {
  const wait = { timeout: READY_TIMEOUT_MS, polling: 100 };
  await step('login form not shown', page.waitForSelector('#login-form', { state: 'visible', timeout: READY_TIMEOUT_MS }), problems, problemSeen);
  const before = await page.evaluate(() => {
    const s = window.lagesbild || {};
    const text = (sel) => { const el = document.querySelector(sel); return el ? el.textContent.trim() : null; };
    return {
      ready: s.ready,
      areaCount: s.areaCount,
      session: s.session,
      usernameLabel: text('label[for="login-username"]'),
      passwordLabel: text('label[for="login-password"]'),
      submit: text('#login-submit'),
      focused: document.activeElement ? document.activeElement.id : null,
      headerShown: !document.getElementById('session').hidden,
    };
  });
  const bad = [];
  if (before.ready === true) bad.push('window.lagesbild.ready is true before the login');
  if (before.areaCount) bad.push(`window.lagesbild.areaCount is ${before.areaCount} before the login`);
  if (before.session) bad.push('window.lagesbild.session is set before the login');
  if (before.headerShown) bad.push('#session is shown before the login');
  if (dataBeforeLogin.length) bad.push(`data requested before the login: ${dataBeforeLogin.join(', ')}`);
  if (before.usernameLabel !== 'Användarnamn') bad.push(`username label is ${JSON.stringify(before.usernameLabel)}`);
  if (before.passwordLabel !== 'Lösenord') bad.push(`password label is ${JSON.stringify(before.passwordLabel)}`);
  if (before.submit !== 'Logga in') bad.push(`submit button says ${JSON.stringify(before.submit)}`);
  if (before.focused !== 'login-username') bad.push(`focus is on ${JSON.stringify(before.focused)}, want #login-username`);
  if (bad.length) throw new Error(`before the login: ${bad.join('; ')}`);

  // A wrong password, submitted with Enter.
  await page.fill('#login-username', smokeUser);
  await page.fill('#login-password', wrongPassword);
  await page.press('#login-password', 'Enter');
  await step(
    'no message after a wrong password',
    page.waitForFunction(() => document.getElementById('login-error').textContent.trim() !== '', null, wait),
    problems,
    problemSeen,
  );
  const wrong = await page.evaluate(() => {
    const el = document.getElementById('login-error');
    return {
      text: el.textContent.trim(),
      live: el.getAttribute('role') === 'alert' || Boolean(el.getAttribute('aria-live')),
      visible: el.offsetParent !== null,
      session: window.lagesbild.session,
    };
  });
  if (wrong.text !== BAD_LOGIN_MESSAGE) throw new Error(`after a wrong password #login-error says ${JSON.stringify(wrong.text)}, want ${JSON.stringify(BAD_LOGIN_MESSAGE)}`);
  if (!wrong.live) throw new Error('#login-error is not a live region (role=alert or aria-live)');
  if (!wrong.visible) throw new Error('#login-error is not visible');
  if (wrong.session) throw new Error('logged in with a wrong password');
  if (dataBeforeLogin.length) throw new Error(`data requested after a wrong password: ${dataBeforeLogin.join(', ')}`);

  // The right one, submitted with the button.
  await page.fill('#login-password', smokePassword);
  await page.click('#login-submit'); // app.js empties #login-error on submit
  await step(
    'no login',
    page.waitForFunction(() => (Boolean(window.lagesbild.session) && document.getElementById('login').hidden)
      || document.getElementById('login-error').textContent.trim() !== '', null, wait),
    problems,
    problemSeen,
  );
  const refused = await page.evaluate(() => (window.lagesbild.session ? '' : document.getElementById('login-error').textContent.trim()));
  if (refused) throw new Error(`login as LAGESBILD_SMOKE_USER failed: #login-error says ${JSON.stringify(refused)}`);
  const after = await page.evaluate(() => {
    const text = (id) => document.getElementById(id).textContent.trim();
    const badge = document.getElementById('demo-badge');
    return {
      user: text('session-user'),
      role: text('session-role'),
      scope: text('session-scope'),
      demo: window.lagesbild.session.demo === true,
      headerShown: !document.getElementById('session').hidden,
      logoutShown: document.getElementById('logout-button').offsetParent !== null,
      badgeShown: badge.offsetParent !== null,
      badge: badge.textContent.trim(),
    };
  });
  const wrongHeader = [];
  if (!after.headerShown || !after.user || !after.role || !after.scope) wrongHeader.push(`#session shows ${JSON.stringify({ user: after.user, role: after.role, scope: after.scope })}`);
  if (!after.logoutShown) wrongHeader.push('no visible #logout-button');
  if (after.demo && (!after.badgeShown || after.badge !== DEMO_BADGE)) wrongHeader.push(`demo login without a visible #demo-badge ${JSON.stringify(DEMO_BADGE)}`);
  if (!after.demo && after.badgeShown) wrongHeader.push('#demo-badge shown for a login that is not a demo');
  if (wrongHeader.length) throw new Error(`after the login: ${wrongHeader.join('; ')}`);
  return { user: after.user, role: after.role, scope: after.scope, demo: after.demo };
}

// logOut clicks "Logga ut" and expects the login form again, with the map's
// data gone and the logout request carrying the CSRF header.
async function logOut(page, problems, problemSeen, logoutCSRF) {
  await page.click('#logout-button');
  await step(
    'logout failed',
    page.waitForFunction(() => window.lagesbild.session === null && !document.getElementById('login').hidden, null, { timeout: READY_TIMEOUT_MS, polling: 100 }),
    problems,
    problemSeen,
  );
  const s = await page.evaluate(() => ({ ready: window.lagesbild.ready, areaCount: window.lagesbild.areaCount }));
  if (s.ready || s.areaCount) throw new Error(`after the logout the map still has data: ${JSON.stringify(s)}`);
  if (logoutCSRF.length !== 1 || !logoutCSRF[0]) throw new Error(`logout: want one DELETE /api/v1/session with X-CSRF-Token, saw ${JSON.stringify(logoutCSRF)}`);
  if (problems.length) throw new Error(problems.join('; '));
}

main().then(
  () => process.exit(0),
  (err) => {
    const msg = redact(err.message);
    process.stdout.write(`${JSON.stringify({ ok: false, error: msg })}\n`);
    process.stderr.write(`smoke: FAIL: ${msg}\n`);
    process.exit(1);
  },
);
