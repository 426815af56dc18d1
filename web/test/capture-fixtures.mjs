#!/usr/bin/env node
// Captures the JSON fixtures of the component test (web/test/components.mjs) from a running
// server with the demo data:
//
//   bin/lagesbild serve --demo            # prints the demo accounts and their passwords
//   LAGESBILD_REGIONAL_PASSWORD=… LAGESBILD_LOKAL_PASSWORD=… \
//     node web/test/capture-fixtures.mjs http://127.0.0.1:8080
//
// It logs in as demo-regional (polisregion Stockholm) and demo-lokal (LPO Järva), saves one
// weight profile of the region (PUT /api/v1/priority/profiles/…, so the profile list is not
// empty), and writes web/test/fixtures/*.json plus index.json, which maps each request path
// (with its query) to its file. The fixtures are real answers of the service on synthetic
// data: regenerate them when the API's JSON changes.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'fixtures');
const base = (process.argv[2] || 'http://127.0.0.1:8080').replace(/\/$/, '');

// Fixed period so that the fixtures say what they are (the API's default is the last 12 months
// of data).
const FROM = '2025-11-01';
const TO = '2026-10-31';
const SHORT_FROM = '2026-08-01';
const SHORT_TO = '2026-10-31';

async function session(user, password) {
  const r = await fetch(`${base}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password }),
  });
  if (!r.ok) throw new Error(`login ${user}: ${r.status}`);
  const cookie = (r.headers.getSetCookie ? r.headers.getSetCookie() : [r.headers.get('set-cookie')]).map((c) => c.split(';')[0]).join('; ');
  const me = await (await fetch(`${base}/api/v1/me`, { headers: { cookie } })).json();
  return { cookie, csrf: me.csrf_token, me };
}

const index = {};
async function grab(s, name, p) {
  const r = await fetch(base + p, { headers: { cookie: s.cookie, accept: 'application/json' } });
  const body = await r.text();
  if (!r.ok) throw new Error(`${p}: ${r.status} ${body.slice(0, 200)}`);
  const json = JSON.parse(body);
  await writeFile(path.join(outDir, `${name}.json`), `${JSON.stringify(json, null, 1)}\n`);
  index[`${s.me.subject} ${p}`] = `${name}.json`;
  return json;
}

async function main() {
  const regionalPw = process.env.LAGESBILD_REGIONAL_PASSWORD;
  const lokalPw = process.env.LAGESBILD_LOKAL_PASSWORD;
  if (!regionalPw || !lokalPw) {
    process.stderr.write('set LAGESBILD_REGIONAL_PASSWORD and LAGESBILD_LOKAL_PASSWORD (from the serve --demo output)\n');
    process.exit(2);
  }
  await mkdir(outDir, { recursive: true });
  const reg = await session('demo-regional', regionalPw);
  const put = await fetch(`${base}/api/v1/priority/profiles/vald-och-narvaro`, {
    method: 'PUT',
    headers: { cookie: reg.cookie, 'X-CSRF-Token': reg.csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify({ region_code: '5300', description: 'Våld och närvarounderskott', weights: { violent_rate: 0.6, presence_gap: 0.4 } }),
  });
  if (!put.ok) throw new Error(`save profile: ${put.status} ${await put.text()}`);

  const q = `set=2025&from=${FROM}&to=${TO}`;
  await grab(reg, 'profiles', '/api/v1/priority/profiles');
  await grab(reg, 'summaries', `/api/v1/summaries?${q}`);
  await grab(reg, 'priority', `/api/v1/priority?${q}`);
  await grab(reg, 'priority-violent', `/api/v1/priority?${q}&weights=violent_rate:1,hotspot_share:0,trend:0,change:0,presence_gap:0`);
  await grab(reg, 'priority-profile', `/api/v1/priority?${q}&profile=vald-och-narvaro`);
  // A large area, a small one whose numbers are withheld, and one short period.
  for (const id of ['2025-SO7', '2025-SO38']) {
    await grab(reg, `area-${id}`, `/api/v1/areas/${id}`);
    await grab(reg, `summary-${id}`, `/api/v1/areas/${id}/summary?from=${FROM}&to=${TO}`);
  }
  await grab(reg, 'summary-2025-SO7-short', `/api/v1/areas/2025-SO7/summary?from=${SHORT_FROM}&to=${SHORT_TO}`);
  await grab(reg, 'summary-2025-SO7-short-yearago', `/api/v1/areas/2025-SO7/summary?from=2025-08-01&to=2025-10-31`);

  const lok = await session('demo-lokal', lokalPw);
  const areas = await grab(lok, 'lokal-areas', '/api/v1/areas?set=2025');
  for (const f of areas.features) {
    await grab(lok, `lokal-summary-${f.properties.id}`, `/api/v1/areas/${f.properties.id}/summary?from=${FROM}&to=${TO}`);
    await grab(lok, `lokal-area-${f.properties.id}`, `/api/v1/areas/${f.properties.id}`);
  }
  await writeFile(path.join(outDir, 'index.json'), `${JSON.stringify({ base, from: FROM, to: TO, captured: new Date().toISOString().slice(0, 10), requests: index }, null, 1)}\n`);
  process.stdout.write(`wrote ${Object.keys(index).length} fixtures to ${outDir}\n`);
}

main().catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1); });
