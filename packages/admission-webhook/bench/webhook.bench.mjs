// npm run bench -w @signoff/admission-webhook
// Real AdmissionReview bodies (the captured fixtures) over HTTPS keep-alive at 16 and 64
// connections: the webhook (embedded decision source, 100k governed items) against a bare
// node:https server answering a fixed AdmissionReview, measured in the same run.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { makeSelfSignedTls } from '../dist/index.js';

const loadAtStart = loadavg();
const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, '../src/__fixtures__/admission');
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
// JIT, TLS sessions, and (webhook) the collection of what seeding left behind, before measuring
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = [16, 64];

const names = readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort();
const requests = names.map((f) => ({ method: 'POST', path: '/validate', headers: { 'content-type': 'application/json' }, body: readFileSync(join(fixtures, f)) }));

const dir = mkdtempSync(join(tmpdir(), 'signoff-webhook-bench-'));
const tls = await makeSelfSignedTls(['127.0.0.1']);
writeFileSync(join(dir, 'tls.crt'), tls.cert);
writeFileSync(join(dir, 'tls.key'), tls.key);

function startChild(mode) {
  const child = fork(join(here, 'server-child.mjs'), [mode, join(dir, 'tls.crt'), join(dir, 'tls.key'), String(ITEMS), join(fixtures, 'deployment-create.json')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: mode === 'webhook' ? (process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []) : [] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ...m }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}
const ask = (child, what) => new Promise((resolve) => { child.once('message', resolve); child.send(what); });

async function load(child, url, connections) {
  // warm up (JIT, TLS session setup), then measure
  await autocannon({ url, connections, duration: WARMUP, requests });
  const before = (await ask(child, 'cpu')).cpu;
  const r = await autocannon({ url, connections, duration: DURATION, requests, pipelining: 1 });
  const after = (await ask(child, 'cpu')).cpu;
  const bad = r.non2xx + r.errors + r.timeouts;
  const cpuUs = (after.user - before.user + after.system - before.system) / Math.max(1, r.requests.total);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad, cpuUs };
}

const rows = [];
const results = {};
let memoryAtEnd;
for (const mode of ['bare', 'webhook']) {
  const { child, url, seeded, seedMs, seededRss, heapUsed } = await startChild(mode);
  if (mode === 'webhook') {
    console.log(`webhook: ${seeded} governed items seeded in ${seedMs} ms; RSS ${Math.round(seededRss / 1048576)} MiB, heap used ${Math.round(heapUsed / 1048576)} MiB before any request`);
  }
  for (const c of CONNECTIONS) {
    const r = await load(child, url, c);
    const { rss } = await ask(child, 'rss');
    results[`${mode}/${c}`] = { ...r, rss };
  }
  if (mode === 'webhook') memoryAtEnd = await ask(child, 'mem');
  child.send('exit');
}
for (const c of CONNECTIONS) {
  const bare = results[`bare/${c}`];
  const hook = results[`webhook/${c}`];
  for (const [name, r] of [['bare node:https (fixed answer)', bare], ['signoff-webhook (embedded, ' + ITEMS / 1000 + 'k items)', hook]]) {
    rows.push({ server: name, connections: c, 'req/s': Math.round(r.rps), 'p50 ms': r.p50, 'p99 ms': r.p99, 'RSS MiB': Math.round(r.rss / 1048576), 'non-2xx/errors': r.bad, 'server CPU µs/req': Math.round(r.cpuUs), ratio: r === bare ? 1 : +(hook.rps / bare.rps).toFixed(2), 'CPU ratio': r === bare ? 1 : +(bare.cpuUs / hook.cpuUs).toFixed(2) });
  }
}
console.table(rows);
{
  const mib = (b) => Math.round(b / 1048576);
  const spaces = memoryAtEnd.spaces.filter((sp) => sp.size > 0);
  const heap = spaces.reduce((a, sp) => a + sp.size, 0);
  console.log(
    `webhook at the end: RSS ${mib(memoryAtEnd.rss)} MiB = V8 heap ${mib(heap)} MiB committed (${spaces.map((sp) => `${sp.name.replace(/_space$/, '')} ${mib(sp.used)}/${mib(sp.size)}`).join(', ')}; used/committed) + ${mib(memoryAtEnd.rss - heap)} MiB outside it (code, buffers, the runtime)`,
  );
}
const h16 = results['webhook/16'];
const checks = [
  [`ratio at 16 connections ≥ 0.6`, h16.rps / results['bare/16'].rps >= 0.6],
  // req/s of two runs one after the other swing with the machine's other load; CPU per request does not
  [`CPU ratio at 16 connections ≥ 0.6 (bare CPU µs per request / webhook's)`, results['bare/16'].cpuUs / h16.cpuUs >= 0.6],
  [`p99 at 16 connections < 5 ms`, h16.p99 < 5],
  [`RSS < 250 MiB`, Math.max(h16.rss, results['webhook/64'].rss) < 250 * 1048576],
];
for (const [what, pass] of checks) console.log(`${pass ? 'met   ' : 'MISSED'} ${what}`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(" ")} at the start, ${loadavg().map((l) => l.toFixed(2)).join(" ")} at the end (1/5/15 min)`);
rmSync(dir, { recursive: true, force: true });
