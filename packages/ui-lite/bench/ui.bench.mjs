// Reviewer UI bench: page weight (HTML + CSS + JS) and server render time of every main page
// with 10k governed items, against a bare node:http server answering a fixed page of the same
// size in the same run. Imports the built dist/ (run `npx tsc -b` first).
//   node packages/ui-lite/bench/ui.bench.mjs [--items 10000] [--runs 200]
import { createServer } from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { startServer } from '../dist/index.js';
import { systemPrincipal } from '@signoff/core';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const loadAtStart = os.loadavg()[0];
const ITEMS = arg('items', 10_000);
const RUNS = arg('runs', 200);
const PER_PROJECT = 100;
const PASSWORD = 'bench-demo-password';

const must = (r, what) => {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
};

const running = await startServer({
  store: 'memory',
  config: { port: 0, host: '127.0.0.1', demo: true, demoPassword: PASSWORD, logLevel: 'silent' },
  env: {},
  print: () => {},
});
const { service, url } = running;
const sys = systemPrincipal;

const users = must(await service.listUsers(sys), 'users');
const id = (u) => users.find((x) => x.username === u).id;
const t0 = performance.now();
const projects = [];
let itemIds = [];
for (let p = 0; projects.length * PER_PROJECT < ITEMS; p++) {
  const project = must(await service.createProject(sys, { key: `bench-${p}`, name: `Bench project ${p}`, owner: id('olivia'), description: 'Seeded by the UI bench' }), 'project');
  must(
    await service.setReviewers(sys, project.id, {
      feedbackGroups: [{ groupId: 'business', assignees: [{ kind: 'user', id: id('bob') }] }],
      finalApprovers: [{ kind: 'user', id: id('fiona') }],
    }),
    'reviewers',
  );
  must(await service.setQualification(sys, project.id, { value: (p % 5) + 1, risk: ((p * 3) % 5) + 1, feasibility: ((p * 7) % 5) + 1, decision: 'Go' }), 'qualification');
  projects.push(project);
  for (let i = 0; i < PER_PROJECT && itemIds.length < ITEMS; i++) {
    const hex = (p * PER_PROJECT + i).toString(16).padStart(64, '0');
    const item = must(
      await service.registerItem(sys, {
        kind: 'bundle',
        projectId: project.id,
        name: `bundle-${i % 10}`,
        version: `v${Math.floor(i / 10)}`,
        artifacts: { images: [`registry.example.com/bench/app@sha256:${hex}`] },
        importance: ['Critical', 'High', 'Moderate', 'Low'][i % 4],
      }),
      'item',
    );
    itemIds.push(item.id);
    if (i % 20 === 0) must(await service.signoffAction(sys, item.id, { type: 'requestFeedback', notify: [{ kind: 'user', id: id('bob') }] }), 'request feedback');
  }
}
// The deployment registry: 1,000 admitted deployments to staging, one per tenth item.
for (let i = 0; i < Math.min(1000, itemIds.length); i++) {
  const ref = itemIds[i * 10 % itemIds.length];
  must(
    await service.decide(sys, { namespace: 'ml-staging', item: ref, artifacts: [], dryRun: false, target: { kind: 'kubernetes', namespace: 'ml-staging', name: `app-${i}`, resource: 'deployments', operation: 'CREATE' } }),
    'decide',
  );
}
const seedMs = performance.now() - t0;

async function session(username) {
  const r = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
  return r.headers.getSetCookie()[0].split(';')[0];
}
const cookies = { olivia: await session('olivia'), bob: await session('bob'), admin: await session('admin') };

const bigProject = projects[0];
const anItem = itemIds[0];
const pages = [
  ['sign-in', '/login', undefined],
  ['my reviews (bob)', '/', 'bob'],
  ['projects', '/projects', 'olivia'],
  ['matrix', '/projects/matrix', 'olivia'],
  ['project (100 items)', `/projects/${bigProject.key}`, 'olivia'],
  ['item', `/items/${anItem}`, 'olivia'],
  ['item (reviewer)', `/items/${anItem}`, 'bob'],
  ['infrastructures', '/infrastructures', 'admin'],
  ['deployments (1,000 recorded)', '/deployments', 'admin'],
  ['deployments filtered by item', `/deployments?item=${anItem}`, 'admin'],
  ['projects filtered by sign-off state', '/projects?status=Waiting+for+feedback', 'olivia'],
  ['audit', '/audit', 'admin'],
];

async function measure(target, cookie, before) {
  const headers = cookie ? { cookie } : {};
  let size = 0;
  let html = '';
  for (let i = 0; i < 10; i++) {
    const r = await fetch(target, { headers, redirect: 'manual' });
    html = await r.text();
    if (r.status !== 200) throw new Error(`${target}: ${r.status}`);
  }
  const times = [];
  const renders = [];
  for (let i = 0; i < RUNS; i++) {
    if (before) await before(i);
    const s = performance.now();
    const r = await fetch(target, { headers, redirect: 'manual' });
    html = await r.text();
    times.push(performance.now() - s);
    // The UI's own measure of the page build (Server-Timing: render;dur=…), absent on the baseline.
    const dur = /render;dur=([\d.]+)/.exec(r.headers.get('server-timing') ?? '')?.[1];
    if (dur) renders.push(Number(dur));
  }
  size = Buffer.byteLength(html);
  const q = (list, p) => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  };
  return { size, html, p50: q(times, 0.5), p95: q(times, 0.95), render50: renders.length ? q(renders, 0.5) : undefined, render95: renders.length ? q(renders, 0.95) : undefined };
}

const first = await fetch(`${url}/login`);
const loginHtml = await first.text();
const cssPath = /href="(\/ui\/app\.[^"]+\.css)"/.exec(loginHtml)[1];
const jsPath = /src="(\/ui\/app\.[^"]+\.js)"/.exec(loginHtml)[1];
const cssBytes = Buffer.byteLength(await (await fetch(url + cssPath)).text());
const jsBytes = Buffer.byteLength(await (await fetch(url + jsPath)).text());

// Views derived by scanning the store (My reviews, the header's count, sign-off counts per
// project) are reused until the next write; these rows write (a step note, audited) before every
// request, so each of them is computed afresh over the 10k items.
let notes = 0;
const writeFirst = async () => {
  must(await service.updateStep(sys, { kind: 'item', id: itemIds[1] }, 'development', { notes: `bench note ${++notes}` }), 'write');
};
pages.push(
  ['my reviews (bob), a write before each', '/', 'bob', writeFirst],
  ['projects, a write before each', '/projects', 'olivia', writeFirst],
  ['item (reviewer), a write before each', `/items/${anItem}`, 'bob', writeFirst],
);

const rows = [];
let maxSize = 0;
for (const [name, path, who, before] of pages) {
  const m = await measure(url + path, who ? cookies[who] : undefined, before);
  maxSize = Math.max(maxSize, m.size);
  rows.push({ name, path, m });
}

// Baseline: a bare node:http server answering a fixed page as large as the largest UI page.
const fixed = 'x'.repeat(maxSize);
const bare = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(fixed);
});
await new Promise((r) => bare.listen(0, '127.0.0.1', r));
const baseline = await measure(`http://127.0.0.1:${bare.address().port}/`);
bare.close();

const kb = (n) => (n / 1024).toFixed(1);
console.log(`\nReviewer UI bench: ${itemIds.length} governed items in ${projects.length} projects (seeded in ${(seedMs / 1000).toFixed(1)} s), ${RUNS} sequential requests per page, Node ${process.version}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadAtStart.toFixed(1)} at start`);
console.log(`CSS ${kb(cssBytes)} KB, JS ${kb(jsBytes)} KB (served once per page, cached afterwards)\n`);
console.log('Server render: the Server-Timing the UI reports (from the UI router to the page sent, service calls included).');
console.log('Round trip: fetch from this process, loopback HTTP, session lookup included.\n');
console.log('| page | HTML KB | HTML+CSS+JS KB | render p50 ms | render p95 ms | round trip p50 ms | round trip p95 ms | round trip p95 / bare | < 50 KB | render p95 < 20 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|');
let ok = true;
for (const { name, m } of rows) {
  const total = m.size + cssBytes + jsBytes;
  const pass = total < 50 * 1024;
  const fast = m.render95 !== undefined && m.render95 < 20;
  ok &&= pass && fast;
  console.log(`| ${name} | ${kb(m.size)} | ${kb(total)} | ${m.render50?.toFixed(2) ?? '–'} | ${m.render95?.toFixed(2) ?? '–'} | ${m.p50.toFixed(2)} | ${m.p95.toFixed(2)} | ${(m.p95 / baseline.p95).toFixed(1)}× | ${pass ? 'yes' : 'NO'} | ${fast ? 'yes' : 'NO'} |`);
}
console.log(`| baseline: bare node:http, fixed ${kb(maxSize)} KB page | ${kb(baseline.size)} | – | – | – | ${baseline.p50.toFixed(2)} | ${baseline.p95.toFixed(2)} | 1.0× | – | – |`);
console.log(ok ? '\nAll pages within budget.' : '\nSome page is over budget.');
await running.close();
