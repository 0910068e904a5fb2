// A server for webhook.bench.mjs, in its own process so that the load generator does not share its CPU.
// argv: bare|webhook certFile keyFile items fixtureFile
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { createServer } from 'node:https';
import { pino } from 'pino';

const [mode, certFile, keyFile, itemCount, fixtureFile] = process.argv.slice(2);
const send = (m) => process.send?.(m);
process.on('message', (m) => {
  if (m === 'rss') send({ rss: process.memoryUsage().rss });
  // where the RSS is: V8's heap spaces (committed and used) and the rest
  if (m === 'mem') send({ rss: process.memoryUsage().rss, spaces: getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size })) });
  // CPU time of this process (user + system, µs): per request, it does not depend on what else the machine runs
  if (m === 'cpu') send({ cpu: process.cpuUsage() });
  if (m === 'exit') process.exit(0);
});

if (mode === 'bare') {
  // The ceiling: read the body, parse it, answer a fixed AdmissionReview.
  const answer = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: JSON.parse(readFileSync(fixtureFile, 'utf8')).request.uid, allowed: true } });
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', keepAlive: true }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => send({ url: `https://127.0.0.1:${server.address().port}`, seeded: 0, seedMs: 0 }));
} else {
  const core = await import('@signoff/core');
  const hook = await import('../dist/index.js');
  const clock = { now: () => new Date() };
  const t0 = performance.now();
  const { store, seeded } = await seed(core, clock, Number(itemCount));
  const seedMs = Math.round(performance.now() - t0);
  const service = core.createGovernanceService({ store, clock, publicUrl: 'http://localhost:8080', passwordParams: { N: 1024, r: 8, p: 1 } });
  const running = await hook.startWebhook({
    port: 0,
    host: '127.0.0.1',
    tls: { certFile, keyFile },
    source: hook.embeddedSource({ service }),
    namespaces: hook.staticNamespaces(core.DEMO_NAMESPACES),
    logger: pino({ level: 'warn' }),
  });
  globalThis.gc?.(); // with BENCH_NODE_ARGS=--expose-gc: the heap the items hold, without the load's garbage
  send({ url: running.url, seeded, seedMs, seededRss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed });
}

/**
 * The demo world plus `n` clones of its approved bundle, each with its own digest, approved,
 * written to the store in transactions of 10,000. Like items the service builds, the clones share
 * the strings they have in common with the template (project, author, timestamps); their own
 * strings (id, name, image, digest) are flat, as `JSON.parse` of a request or a file gives them
 * (template literals built here would stay ropes, more memory than any real store holds).
 */
async function seed(core, clock, n) {
  const store = core.createMemoryStore();
  const demoService = core.createGovernanceService({ store, clock, publicUrl: 'http://localhost:8080', passwordParams: { N: 1024, r: 8, p: 1 } });
  await core.loadDemoWorld(demoService, { clock, password: 'bench-password' });
  const items = await store.list('items');
  const template = items.find((i) => i.name === 'web-bundle' && i.version === 'v2') ?? items[0];
  const batch = 10_000;
  for (let start = 0; start < n; start += batch) {
    const own = [];
    for (let i = start; i < Math.min(n, start + batch); i++) {
      const hex = i.toString(16).padStart(64, 'e');
      own.push([`itm_bench${i.toString(36).padStart(8, '0')}`, `bench-${i}`, `registry.example.com/bench/app-${i}@sha256:${hex}`, `sha256:${hex}`]);
    }
    const flat = JSON.parse(JSON.stringify(own));
    const r = await store.transaction((tx) => {
      for (const [id, name, image, digest] of flat) {
        // an approved bundle of its own: its sign-off approved its own digest
        tx.put('items', {
          ...template,
          id,
          name,
          version: '1',
          artifacts: { ...template.artifacts, images: [image], storage: [] },
          digests: [digest],
          signoffs: { ...template.signoffs, review: { ...template.signoffs.review, approvedDigests: [digest] } },
        });
      }
      return { ok: true, value: undefined };
    });
    if (!r.ok) throw new Error(`seeding failed: ${r.error.code} ${r.error.message}`);
  }
  return { store, seeded: n };
}
