// A server for webhook.bench.mjs, in its own process so that the load generator does not share its CPU.
// argv: bare|webhook certFile keyFile items fixtureFile
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { pino } from 'pino';

const [mode, certFile, keyFile, itemCount, fixtureFile] = process.argv.slice(2);
const send = (m) => process.send?.(m);
process.on('message', (m) => {
  if (m === 'rss') send({ rss: process.memoryUsage().rss });
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
  const store = core.createMemoryStore();
  const service = core.createGovernanceService({ store, clock, publicUrl: 'http://localhost:8080', passwordParams: { N: 1024, r: 8, p: 1 } });
  await core.loadDemoWorld(service, { clock, password: 'bench-password' });
  const t0 = performance.now();
  const seeded = await seed(store, Number(itemCount));
  const seedMs = Math.round(performance.now() - t0);
  const running = await hook.startWebhook({
    port: 0,
    host: '127.0.0.1',
    tls: { certFile, keyFile },
    source: hook.embeddedSource({ service }),
    namespaces: hook.staticNamespaces(core.DEMO_NAMESPACES),
    logger: pino({ level: 'warn' }),
  });
  send({ url: running.url, seeded, seedMs, seededRss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed });
}

/** Clone the demo's approved bundle into `n` governed items with their own digests, straight into the store. */
async function seed(store, n) {
  const items = await store.list('items');
  const template = items.find((i) => i.name === 'web-bundle' && i.version === 'v2') ?? items[0];
  const batch = 10_000;
  let done = 0;
  for (let start = 0; start < n; start += batch) {
    const r = await store.transaction((tx) => {
      for (let i = start; i < Math.min(n, start + batch); i++) {
        const hex = i.toString(16).padStart(64, 'e');
        const image = `registry.example.com/bench/app-${i}@sha256:${hex}`;
        // an approved bundle of its own: its sign-off approved its own digest
        tx.put('items', {
          ...template,
          id: `itm_bench${i.toString(36).padStart(8, '0')}`,
          name: `bench-${i}`,
          version: '1',
          artifacts: { ...template.artifacts, images: [image], storage: [] },
          digests: [`sha256:${hex}`],
          signoffs: { ...template.signoffs, review: { ...template.signoffs.review, approvedDigests: [`sha256:${hex}`] } },
        });
      }
      return { ok: true, value: undefined };
    });
    if (!r.ok) throw new Error(`seeding failed: ${r.error.code} ${r.error.message}`);
    done = Math.min(n, start + batch);
  }
  return done;
}
