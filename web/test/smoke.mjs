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

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const READY_TIMEOUT_MS = 60_000;
const LAUNCH_TIMEOUT_MS = 30_000;
// Layers in app.js that draw an area (polygons, and dots at small scales).
const AREA_LAYERS = ['areas-fill', 'areas-point'];

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
        report(`console error: ${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
      }
    });
    page.on('pageerror', (err) => report(`page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      report(`request failed: ${req.method()} ${req.url()}: ${req.failure() ? req.failure().errorText : 'unknown'}`);
    });
    page.on('response', (resp) => {
      if (resp.status() >= 400) report(`HTTP ${resp.status()}: ${resp.request().method()} ${resp.url()}`);
    });
    page.on('crash', () => report('page crashed'));

    await page.goto(url.href, { waitUntil: 'load', timeout: READY_TIMEOUT_MS });
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

    process.stdout.write(`${JSON.stringify({ ok: true, set: result.set, areaCount: result.areaCount, rendered: result.rendered })}\n`);
  } finally {
    if (context) await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: err.message })}\n`);
    process.stderr.write(`smoke: FAIL: ${err.message}\n`);
    process.exit(1);
  },
);
