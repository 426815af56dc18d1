#!/usr/bin/env node
// Component test of the analysis modules (js/panel.js, js/table.js, js/overview.js,
// js/chart.js, js/format.js) in headless Chromium, without the Go service: a small static
// server serves web/ under the page's CSP, and web/test/components.html mounts the components
// with a fake `api` that answers from web/test/fixtures/ (real answers of the service on the
// demo data, see capture-fixtures.mjs).
//
// Usage: node web/test/components.mjs [screenshot-dir]
//
// Checks: the table lists the fixture's areas in rank order; every sortable header sorts (with
// aria-sort) by mouse and keyboard; a weight change reloads the ranking with weights= and the
// ranks follow the API; a saved profile reloads with profile=; the CSV link carries the same
// query; a row opens the panel (click and Enter) whose cards equal the API's summary; withheld
// numbers show "suppressed" and the API's reason; comparison with last year fetches the
// year-earlier period; errors show a Swedish error state; the overview lists the LPO's areas;
// axe-core finds no serious or critical violation; no console errors; no request leaves
// 127.0.0.1. Screenshots (laptop, tablet, print) go to screenshot-dir (default: a temp dir).
// Prints one line of JSON; exits 0 on success, 1 on failure.

import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, '..');
const require = createRequire(import.meta.url);
const fixtures = path.join(here, 'fixtures');

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

function serve() {
  const server = createServer(async (req, res) => {
    try {
      const u = new URL(req.url, 'http://x');
      const p = path.normalize(path.join(webRoot, decodeURIComponent(u.pathname)));
      if (!p.startsWith(webRoot) || p.includes(`${path.sep}node_modules${path.sep}`)) throw new Error('outside');
      const body = await readFile(p);
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(p)] || 'application/octet-stream', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const failures = [];
function check(cond, what) {
  if (!cond) failures.push(what);
  return cond;
}

const json = async (f) => JSON.parse(await readFile(path.join(fixtures, f), 'utf8'));

async function main() {
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : await mkdtemp(path.join(tmpdir(), 'lagesbild-components-'));
  await mkdir(outDir, { recursive: true });
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const profileDir = await mkdtemp(path.join(tmpdir(), 'lagesbild-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, timeout: 30_000,
    viewport: { width: 1440, height: 1000 }, locale: 'sv-SE', timezoneId: 'Europe/Stockholm',
  });
  const result = { ok: false };
  try {
    let offHost = 0;
    await context.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname !== '127.0.0.1') { offHost++; return route.abort(); }
      return route.continue();
    });
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    const summaries = await json('summaries.json');
    const priority = await json('priority.json');
    const violent = await json('priority-violent.json');
    const byProfile = await json('priority-profile.json');
    const so7 = await json('summary-2025-SO7.json');
    const so38 = await json('summary-2025-SO38.json');
    const lokalAreas = await json('lokal-areas.json');

    await page.goto(`${base}/test/components.html`);
    await page.waitForFunction(() => window.fx && window.fx.booted, null, { timeout: 30_000 });
    const waitReady = (sel) => page.waitForFunction((s) => document.querySelector(s).dataset.ready === 'true', sel, { timeout: 15_000 });

    // ---- table: rows in rank order
    const ranked = await page.$$eval('#area-table tr[data-area-id]', (trs) => trs.map((t) => [t.dataset.areaId, t.querySelector('td[data-col=rank]').textContent]));
    check(ranked.length === summaries.areas.length, `table rows ${ranked.length} != summaries ${summaries.areas.length}`);
    check(JSON.stringify(ranked.map((r) => r[0])) === JSON.stringify(priority.areas.map((a) => a.area.id)), 'table not in the API rank order');
    const nRanked = priority.areas.filter((a) => a.rank > 0).length;
    check(ranked.every((r, i) => (i < nRanked ? r[1] === String(i + 1) : r[1].startsWith('–'))), 'rank cells are not 1..n, then – for the unranked');
    check((await page.getAttribute('#area-table th[data-sort-key=rank]', 'aria-sort')) === 'ascending', 'rank header not aria-sort=ascending');

    // ---- table: default columns, the column menu, then every sortable header sorts
    const shown = await page.$$eval('#area-table th[data-sort-key]', (ths) => ths.map((t) => t.dataset.sortKey));
    check(JSON.stringify(shown) === JSON.stringify(['rank', 'name', 'score', 'count', 'rate_per_1000', 'change_percent', 'trend']), `default columns ${shown}`);
    await page.click('#area-table .lb-columns > summary');
    await page.check('#area-table input[data-column="population"]');
    check(await page.$('#area-table th[data-sort-key="population"]') !== null, 'column menu did not add population');
    await page.click('#area-table [data-action=all-columns]');
    await page.click('#area-table .lb-columns > summary');
    const keys = await page.$$eval('#area-table th[data-sort-key]', (ths) => ths.map((t) => t.dataset.sortKey));
    check(keys.length >= 12, `only ${keys.length} sortable columns`);
    for (const key of keys) {
      if (key === 'rank' || key === 'name') continue;
      await page.click(`#area-table th[data-sort-key="${key}"] button`);
      const s = await page.getAttribute(`#area-table th[data-sort-key="${key}"]`, 'aria-sort');
      const vals = await page.$$eval(`#area-table tr[data-area-id] [data-col="${key}"]`, (cells) => cells.map((c) => c.dataset.value));
      const nums = vals.filter((v) => v !== 'suppressed' && v !== '').map(Number);
      const sortedOk = nums.every((v, i) => i === 0 || (s === 'descending' ? nums[i - 1] >= v : nums[i - 1] <= v));
      check(s === 'descending' && sortedOk && vals.length === summaries.areas.length, `sort by ${key}: aria-sort=${s}, sorted=${sortedOk}, cells=${vals.length}`);
      const tail = vals.slice(nums.length);
      check(tail.every((v) => v === 'suppressed' || v === ''), `sort by ${key}: missing values not last`);
    }
    // keyboard: focus the count header's button and press Enter twice → ascending
    await page.focus('#area-table th[data-sort-key="count"] button');
    await page.keyboard.press('Enter');
    const afterKey = await page.getAttribute('#area-table th[data-sort-key="count"]', 'aria-sort');
    check(afterKey === 'descending', `keyboard sort: aria-sort=${afterKey}`);
    await page.keyboard.press('Enter');
    const counts = await page.$$eval('#area-table tr[data-area-id] [data-col=count]', (c) => c.map((x) => x.dataset.value).filter((v) => v !== 'suppressed').map(Number));
    check(counts.every((v, i) => i === 0 || counts[i - 1] <= v), 'keyboard sort: count not ascending');
    await page.click('#area-table th[data-sort-key="name"] button');
    const names = await page.$$eval('#area-table tr[data-area-id] .lb-area-name', (c) => c.map((x) => x.textContent));
    check(JSON.stringify(names) === JSON.stringify([...names].sort(new Intl.Collator('sv-SE').compare)), 'sort by name not alphabetical (sv)');
    await page.click('#area-table th[data-sort-key="rank"] button');
    if ((await page.getAttribute('#area-table th[data-sort-key=rank]', 'aria-sort')) !== 'ascending') await page.click('#area-table th[data-sort-key="rank"] button');

    await page.click('#area-table .lb-columns > summary');
    await page.click('#area-table [data-action=default-columns]');
    await page.click('#area-table .lb-columns > summary');
    check((await page.$$('#area-table th[data-sort-key]')).length === 7, 'default columns not restored');

    // ---- contributions visible
    await page.click('#area-table tr[data-area-id="2025-SO7"] .lb-expand');
    const contrib = await page.$$eval('#area-table tr[data-detail-for="2025-SO7"] td[data-contribution]', (c) => Object.fromEntries(c.map((x) => [x.dataset.contribution, Number(x.dataset.value)])));
    const so7pri = priority.areas.find((a) => a.area.id === '2025-SO7');
    check(Object.keys(so7pri.contributions).every((k) => Math.abs(contrib[k] - so7pri.contributions[k]) < 1e-9), 'contributions of 2025-SO7 differ from the API');
    check((await page.getAttribute('#area-table tr[data-area-id="2025-SO7"] .lb-expand', 'aria-expanded')) === 'true', 'expand button not aria-expanded');

    // ---- weights: all to violent_rate → ranking follows priority-violent.json
    await page.click('#area-table .lb-weights > summary');
    const before = (await page.evaluate(() => window.fx.data.length));
    for (const k of ['hotspot_share', 'trend', 'change', 'presence_gap']) await page.fill(`#area-table input[data-weight="${k}"]`, '0');
    await page.fill('#area-table input[data-weight="violent_rate"]', '100');
    await page.waitForFunction(() => {
      const last = window.fx.calls.filter((c) => c.startsWith('/api/v1/priority?')).pop();
      return last.includes('weights=violent_rate%3A1%2C') && document.querySelector('#area-table').dataset.ready === 'true';
    }, null, { timeout: 10_000 });
    check((await page.evaluate(() => window.fx.data.length)) > before, 'onData not called after the weights changed');
    const lastCall = await page.evaluate(() => window.fx.calls.filter((c) => c.startsWith('/api/v1/priority?')).pop());
    check(lastCall.includes('weights=violent_rate%3A1%2Chotspot_share%3A0%2Ctrend%3A0%2Cchange%3A0%2Cpresence_gap%3A0'), `weights call: ${lastCall}`);
    const rankedV = await page.$$eval('#area-table tr[data-area-id]', (trs) => trs.map((t) => t.dataset.areaId));
    check(JSON.stringify(rankedV) === JSON.stringify(violent.areas.map((a) => a.area.id)), `ranking did not follow the weights: ${rankedV.slice(0, 5)} calls ${JSON.stringify(await page.evaluate(() => [window.fx.calls.filter((c) => c.includes('priority')), window.fx.fallbacks]))}`);
    check(JSON.stringify(rankedV) !== JSON.stringify(priority.areas.map((a) => a.area.id)), 'the weights fixture ranks like the default (test is void)');
    const csvHref = await page.getAttribute('#table-csv', 'href');
    check(csvHref.includes('format=csv') && csvHref.includes('weights=violent_rate') && csvHref.includes('set=2025'), `csv href ${csvHref}`);
    const debounced = await page.evaluate(() => window.fx.calls.filter((c) => c.startsWith('/api/v1/priority?') && c.includes('weights=')).length);
    check(debounced <= 2, `slider changes not debounced: ${debounced} ranking requests`);

    // ---- profile
    await page.selectOption('#profile-select', 'vald-och-narvaro');
    await page.waitForFunction(() => window.fx.calls.some((c) => c.includes('profile=vald-och-narvaro')) && document.querySelector('#area-table').dataset.ready === 'true', null, { timeout: 10_000 });
    const rankedP = await page.$$eval('#area-table tr[data-area-id]', (trs) => trs.map((t) => t.dataset.areaId));
    check(JSON.stringify(rankedP) === JSON.stringify(byProfile.areas.map((a) => a.area.id)), 'ranking did not follow the profile');
    const sliderV = await page.inputValue('#area-table input[data-weight="violent_rate"]');
    check(sliderV === '60', `profile weights not on the sliders (violent_rate=${sliderV})`);
    check((await page.getAttribute('#table-csv', 'href')).includes('profile=vald-och-narvaro'), 'csv link lacks the profile');

    // screenshot of the table + overview state (laptop)
    await page.evaluate(() => window.scrollTo(0, 0));

    // ---- open an area from the table (Enter on a focused row)
    await page.focus('#area-table tr[data-area-id="2025-SO7"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#area-panel').dataset.areaId === '2025-SO7', null, { timeout: 5000 });
    await waitReady('#area-panel');
    check((await page.getAttribute('#area-table tr[data-area-id="2025-SO7"]', 'aria-selected')) === 'true', 'selected row not highlighted');
    const cards = await page.$$eval('#area-panel [data-indicator]', (c) => c.filter((x) => x.classList.contains('lb-card')).map((x) => [x.dataset.indicator, x.dataset.value]));
    const card = Object.fromEntries(cards);
    const expect = {
      count: so7.total.count, previous_count: so7.total.previous_count, rate_per_1000: so7.total.rate_per_1000,
      smoothed_rate_per_1000: so7.total.smoothed_rate_per_1000, rate_ratio_rest_of_kommun: so7.total.rate_ratio_rest_of_kommun,
      change_percent: so7.total.change.percent, sen_slope_per_month: so7.total.trend.sen_slope_per_month,
      presence_hours_per_week_per_1000: so7.presence.presence_hours_per_week_per_1000,
    };
    for (const [k, ind] of Object.entries(expect)) {
      const want = ind.suppressed || ind.value === null ? 'suppressed' : String(ind.value);
      check(card[k] === want, `panel card ${k}=${card[k]}, API ${want}`);
    }
    check(card.population === String(so7.population.value), `population card ${card.population}`);
    check(card.hotspot_share_95 === String(so7.hot_spots.share_95), `hotspot card ${card.hotspot_share_95}`);
    // The hot cells go to the map as the API gives them.
    const hotShown = await page.evaluate(() => window.fx.hotspots[window.fx.hotspots.length - 1]);
    check(hotShown && JSON.stringify(hotShown) === JSON.stringify(so7.hot_spots.cells), 'hot cells not passed to onShowHotspots');
    // CompStat: one row per preset of the API's comparisons (not the period itself), with its
    // verdicts against the previous period and last year.
    const presets = so7.comparisons.filter((c) => c.preset !== 'period');
    const rows = await page.$$eval('#area-panel tr[data-preset]', (r) => r.map((x) => [x.dataset.preset,
      x.querySelector('[data-comparison=previous_period]').dataset.verdict, x.querySelector('[data-comparison=same_period_last_year]').dataset.verdict, x.textContent]));
    check(rows.length === presets.length && presets.every((c, i) => rows[i][0] === c.preset
      && rows[i][1] === (c.total.previous_period.verdict || 'withheld') && rows[i][2] === (c.total.same_period_last_year.verdict || 'withheld')
      && rows[i][3].includes(c.total.same_period_last_year.verdict_text)), `CompStat rows ${JSON.stringify(rows)}`);
    const panelText = await page.textContent('#area-panel');
    check(panelText.includes('Husby') && panelText.includes('Järva'), 'panel header lacks name or LPO');
    check(panelText.includes('Syntetiska demodata'), 'panel lacks the synthetic mark');
    check(panelText.includes('Uppskattat'), 'estimated population not marked');
    const ci = so7.total.rate_per_1000;
    const ciText = `${new Intl.NumberFormat('sv-SE', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(ci.lower)}–${new Intl.NumberFormat('sv-SE', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(ci.upper)}`;
    check(panelText.includes(ciText), `rate CI ${ciText} not shown`);
    check(panelText.includes('Mann–Kendall') && panelText.includes('Sen-lutning'), 'trend test result missing');
    const groupRows = await page.$$eval('#area-panel tr[data-group]', (r) => r.map((x) => x.dataset.group));
    check(so7.groups.every((g) => groupRows.includes(g.group)), 'group table lacks groups');
    const lq = await page.$$eval('#area-panel tr[data-group] td[data-indicator=location_quotient]', (c) => c.map((x) => x.dataset.value));
    check(JSON.stringify(lq) === JSON.stringify(so7.groups.map((g) => (g.location_quotient.suppressed || g.location_quotient.value === null ? 'suppressed' : String(g.location_quotient.value)))), 'location quotients differ from the API');
    const hist = await page.$$eval('#area-panel tr[data-year]', (r) => r.map((x) => x.dataset.year));
    check(hist.length === so7.classification_history.length, `history rows ${hist.length} != ${so7.classification_history.length}`);
    const agencies = await page.$$eval('#area-panel li[data-agency]', (r) => r.length);
    check(agencies === so7.presence.agencies.length, 'agencies list incomplete');
    const report = await page.$eval('#area-panel a[data-action=report]', (a) => [a.getAttribute('href'), a.target, a.rel]);
    check(report[0] === `/api/v1/areas/2025-SO7/report?from=${so7.period.from}&to=${so7.period.to}` && report[1] === '_blank', `report link ${report}`);
    const chartLabel = await page.getAttribute('#area-panel .lb-chart-plot', 'aria-label');
    check(chartLabel && chartLabel.includes('Mann–Kendall'), 'chart has no aria-label with the trend');
    const chartRows = await page.$$eval('#area-panel .lb-chart-table tbody tr', (r) => r.length);
    check(chartRows === so7.monthly.length, 'chart value table incomplete');
    check(await page.$('#area-panel canvas') !== null, 'no chart canvas');

    const overflow = () => page.evaluate(() => {
      const w = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= w) return null;
      const out = [];
      for (const e of document.querySelectorAll('#area-panel *, #area-table *, #overview *')) {
        const r = e.getBoundingClientRect();
        if (r.right > w + 1 && r.width > 0 && !e.closest('.lb-table-scroll')) out.push(`${e.tagName}.${e.className} ${Math.round(r.right)}`);
      }
      return { scrollWidth: document.documentElement.scrollWidth, width: w, culprits: out.slice(0, 5) };
    });
    const over = await overflow();
    check(over === null, `the page scrolls sideways at 1440 px: ${JSON.stringify(over)}`);
    await page.screenshot({ path: path.join(outDir, 'components-laptop.png'), fullPage: true });
    await page.locator('#area-panel').screenshot({ path: path.join(outDir, 'panel-laptop.png') });
    await page.evaluate(() => { document.querySelector('#area-table .lb-rank-scroll').scrollLeft = 0; });
    const box = await page.locator('#area-panel').boundingBox();
    await page.screenshot({ path: path.join(outDir, 'panel-top.png'), clip: { x: box.x, y: box.y, width: box.width, height: 1100 } });
    const tbox = await page.locator('#area-table').boundingBox();
    await page.screenshot({ path: path.join(outDir, 'table.png'), clip: { x: tbox.x, y: tbox.y, width: tbox.width, height: Math.min(tbox.height, 1000) } });

    // ---- zoom and close
    await page.click('#area-panel [data-action=zoom]');
    const zoom = await page.evaluate(() => window.fx.zooms.pop());
    check(zoom && zoom.areaId === '2025-SO7' && zoom.bounds.length === 4 && zoom.bounds[0] < zoom.bounds[2] && zoom.bounds[1] < zoom.bounds[3], 'zoom callback without bounds');

    // ---- suppressed area: marks and reasons
    await page.evaluate(() => window.fx.panel.show('2025-SO38', window.fx.period));
    await waitReady('#area-panel');
    const sup = Object.fromEntries(await page.$$eval('#area-panel .lb-card[data-indicator]', (c) => c.map((x) => [x.dataset.indicator, x.dataset.value])));
    check(so38.total.rate_per_1000.suppressed ? sup.rate_per_1000 === 'suppressed' : true, 'withheld rate not marked suppressed');
    check(sup.count === String(so38.total.count.value), 'count of 2025-SO38 wrong');
    const supText = await page.textContent('#area-panel .lb-card[data-indicator=rate_per_1000]');
    check(supText.includes(so38.total.rate_per_1000.reason || '¤'), `reason "${so38.total.rate_per_1000.reason}" not shown`);
    await page.locator('#area-panel').screenshot({ path: path.join(outDir, 'panel-suppressed.png') });

    // ---- compare with the same period last year (short period)
    await page.evaluate(() => window.fx.panel.show('2025-SO7', { from: '2026-08-01', to: '2026-10-31', compare: 'year' }));
    await waitReady('#area-panel');
    const calls = await page.evaluate(() => window.fx.calls);
    // The summary's own comparison with last year (exact test, verdict) makes fetching the
    // year-earlier summary unnecessary; its count is that summary's.
    check(!calls.includes('/api/v1/areas/2025-SO7/summary?from=2025-08-01&to=2025-10-31'), 'year-earlier summary fetched although the summary compares with it');
    check((await page.textContent('#area-panel .lb-period')).includes('föregående år'), 'comparison with last year not shown');
    const yearAgo = await json('summary-2025-SO7-short-yearago.json');
    const short = await json('summary-2025-SO7-short.json');
    const ly = short.comparisons.find((c) => c.preset === 'period').total.same_period_last_year;
    const yc = await page.getAttribute('#area-panel .lb-card[data-indicator=year_ago_count]', 'data-value');
    check(yc === String(yearAgo.total.count.value) && yc === String(ly.count.value), `last year's count card ${yc} vs ${yearAgo.total.count.value}`);
    const ycText = await page.textContent('#area-panel .lb-card[data-indicator=year_ago_count]');
    check(ycText.includes(ly.verdict_text) && !ycText.includes('Ingen signifikansprövning'), `last year's card without the API's verdict: ${ycText}`);
    const cbox = await page.locator('#area-panel').boundingBox();
    await page.screenshot({ path: path.join(outDir, 'panel-short-year.png'), clip: { x: cbox.x, y: cbox.y, width: cbox.width, height: 1000 } });

    // ---- error states
    await page.evaluate(() => window.fx.panel.show('2025-SO999', window.fx.period));
    await waitReady('#area-panel');
    const err = await page.textContent('#area-panel [role=alert]');
    check(/Hittade inte/.test(err), `404 state: ${err}`);

    // ---- close
    await page.evaluate(() => window.fx.panel.show('2025-SO7', window.fx.period));
    await waitReady('#area-panel');
    await page.click('#area-panel [data-action=close]');
    check(await page.evaluate(() => window.fx.closed === 1 && !document.querySelector('#area-panel').dataset.areaId && window.fx.panel.areaId === null
      && document.querySelector('#area-panel').textContent.includes('Välj ett område')), 'close did not clear the panel');

    // ---- overview
    const ov = await page.$$eval('#overview .lb-ov-card[data-area-id]', (r) => r.map((x) => x.dataset.areaId));
    const ovCount = await page.$eval(`#overview .lb-ov-card[data-area-id="2025-SO7"] [data-indicator=count]`, (d) => d.dataset.value);
    check(ovCount === String((await json('lokal-summary-2025-SO7.json')).total.count.value), `overview count ${ovCount}`);
    check(JSON.stringify([...ov].sort()) === JSON.stringify(lokalAreas.features.map((f) => f.properties.id).sort()), `overview rows ${ov}`);
    check((await page.$$('#overview canvas')).length === ov.length, 'overview sparklines missing');
    await page.click(`#overview .lb-ov-card[data-area-id="${ov[0]}"] .lb-ov-open`);
    await page.waitForFunction((id) => document.querySelector('#area-panel').dataset.areaId === id && document.querySelector('#area-panel').dataset.ready === 'true', ov[0], { timeout: 5000 });
    await page.locator('#overview').screenshot({ path: path.join(outDir, 'overview.png') });

    // ---- accessibility (axe-core)
    await page.evaluate(() => window.fx.panel.show('2025-SO7', window.fx.period));
    await waitReady('#area-panel');
    // The page's CSP forbids inline scripts, so axe's source is evaluated, not added as a tag.
    await page.evaluate(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const axe = await page.evaluate(async () => {
      const r = await window.axe.run({ include: [['#area-panel'], ['#area-table'], ['#overview']] }, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help, target: v.nodes[0] && v.nodes[0].target.join(' ') }));
    });
    const serious = axe.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    check(serious.length === 0, `axe: ${JSON.stringify(serious)}`);
    result.axe = axe.map((v) => `${v.id}:${v.impact}`);

    // ---- tablet and print
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.waitForTimeout(300); // let the chart's ResizeObserver redraw before the screenshot (not a check)
    const overT = await overflow();
    check(overT === null, `the page scrolls sideways at 820 px: ${JSON.stringify(overT)}`);
    await page.screenshot({ path: path.join(outDir, 'components-tablet.png'), fullPage: true });
    const pbox = await page.locator('#area-panel').boundingBox();
    await page.screenshot({ path: path.join(outDir, 'panel-tablet.png'), clip: { x: pbox.x, y: pbox.y + 800, width: pbox.width, height: 900 } });
    await page.emulateMedia({ media: 'print' });
    await page.locator('#area-panel').screenshot({ path: path.join(outDir, 'panel-print.png') });
    await page.emulateMedia({ media: 'screen' });

    // ---- a server error in the table
    const page2 = await context.newPage();
    page2.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page2.goto(`${base}/test/components.html?fail=/api/v1/summaries`);
    await page2.waitForFunction(() => window.fx && window.fx.booted, null, { timeout: 30_000 });
    const terr = await page2.textContent('#area-table [role=alert]');
    check(/servern/.test(terr), `table 500 state: ${terr}`);

    const fxErrors = await page.evaluate(() => window.fx.errors);
    check(fxErrors.length === 0, `page errors: ${fxErrors}`);
    check(consoleErrors.length === 0, `console errors: ${consoleErrors.slice(0, 5).join(' | ')}`);
    check(offHost === 0, `${offHost} requests off 127.0.0.1`);
    result.screenshots = outDir;
    result.checks = 'table, sort, weights, profile, csv, panel, suppressed, compare, errors, overview, axe';
  } finally {
    await context.close();
    server.close();
    await rm(profileDir, { recursive: true, force: true });
  }
  result.ok = failures.length === 0;
  if (!result.ok) result.failures = failures;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(e && e.stack || e), failures })}\n`);
  process.exit(1);
});
