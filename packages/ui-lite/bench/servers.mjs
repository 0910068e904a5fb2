// Child process of the server bench: `node servers.mjs bare|signoff`.
//   bare:    a node:http server answering every request with a fixed JSON decision body.
//   express: express 5 with express.json() and one POST route answering the same fixed body
//            (what the framework alone costs; context for the ratio).
//   signoff: startServer on a lowdb data file in BENCH_DATA_DIR (the store the product runs on),
//            seeded with BENCH_ITEMS governed items, all approved for the `production` infrastructure.
// Once it listens it sends {"bench":"ready","url",...} to the parent over the IPC channel
// (stdout carries the server's own JSON logs), then serves until SIGTERM.
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemPrincipal } from '@signoff/core';
import { startServer } from '../dist/index.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const hex = (n) => n.toString(16).padStart(64, '0');
const imageFor = (i) => `registry.example.com/bench/app@sha256:${hex(i + 1)}`;

const mode = process.argv[2];
const ready = (fields) => process.send({ bench: 'ready', ...fields });
// The parent asks for this process's CPU time around each run (µs per request does not depend
// on what else the machine is doing, unlike req/s).
process.on('message', (m) => {
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ bench: 'cpu', micros: user + system });
  }
});

/** A decision answer of the same shape and size as the server's, for the bare server. */
const FIXED = JSON.stringify({
  decision: {
    outcome: 'allow',
    policy: 'prevent',
    infrastructureId: 'production',
    signoffStatus: 'Approved',
    approved: true,
    artifacts: [{ artifact: imageFor(1), covered: true, pinned: true, key: `sha256:${hex(2)}` }],
    reasons: ['bench/app@1 is approved and its approval covers the deployed artifact.'],
    confirmed: false,
    decidedAt: new Date().toISOString(),
    item: { id: 'itm_bench1', kind: 'bundle', ref: 'bench/app@1', projectId: 'prj_0123456789abcdef' },
    reviewUrl: 'http://127.0.0.1:8080/items/itm_bench1',
  },
});

function must(r, what) {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/**
 * One item goes through the real sign-off (request feedback, request final approval, final
 * approval by an assigned approver); the other ITEMS - 1 are copies of it with their own
 * version, image and digest, written straight to the store in batches (registering 100k items
 * through the service would only make the bench slow to start).
 */
async function seed({ service: svc, store }) {
  const admin = must(await svc.createUser(systemPrincipal, { username: 'bench-admin', displayName: 'Bench admin', roles: ['admin'] }), 'admin');
  const adminP = must(await svc.principalForUser(admin.id), 'principal');
  const approver = must(await svc.createUser(systemPrincipal, { username: 'bench-approver', displayName: 'Fiona Final' }), 'approver');
  const approverP = must(await svc.principalForUser(approver.id), 'principal');
  must(await svc.createInfrastructure(adminP, { id: 'production', name: 'Production', policy: 'prevent', unmatched: 'deny', production: true }), 'infrastructure');
  const project = must(await svc.createProject(adminP, { key: 'bench', name: 'Bench' }), 'project');
  must(await svc.setReviewers(adminP, project.id, { feedbackGroups: [], finalApprovers: [{ kind: 'user', id: approver.id }] }), 'reviewers');
  let item = must(
    await svc.registerItem(adminP, { kind: 'bundle', projectId: project.id, name: 'app', version: '0', artifacts: { images: [imageFor(0)] }, importance: 'High' }),
    'item',
  );
  item = must(await svc.signoffAction(adminP, item.id, { type: 'requestFeedback', notify: [] }), 'request feedback');
  item = must(await svc.signoffAction(adminP, item.id, { type: 'requestFinalApproval', notify: [] }), 'request final approval');
  item = must(await svc.signoffAction(approverP, item.id, { type: 'finalApproval', status: 'Approved', comment: '' }), 'final approval');
  const key = must(await svc.createApiKey(adminP, { name: 'bench', scopes: ['decisions:read', 'deployments:write'] }), 'API key');

  const BATCH = 10_000;
  for (let start = 1; start < ITEMS; start += BATCH) {
    must(
      await store.transaction((tx) => {
        for (let i = start; i < Math.min(start + BATCH, ITEMS); i++) {
          const digest = `sha256:${hex(i + 1)}`;
          const signoffs = Object.fromEntries(
            Object.entries(item.signoffs).map(([k, so]) => [k, so.approvedDigests ? { ...so, approvedDigests: [digest] } : so]),
          );
          tx.put('items', { ...item, id: `itm_bench${i}`, version: String(i), artifacts: { ...item.artifacts, images: [imageFor(i)] }, digests: [digest], signoffs });
        }
        return { ok: true, value: undefined };
      }),
      'seed',
    );
  }
  return { apiKey: key.secret, items: await store.count('items') };
}

if (mode === 'bare') {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(FIXED) });
      res.end(FIXED);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => ready({ url: `http://127.0.0.1:${server.address().port}` }));
} else if (mode === 'express') {
  const { default: express } = await import('express');
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/api/v1/decisions', (req, res) => {
    if (typeof req.body !== 'object') return res.status(400).end();
    res.type('application/json').send(FIXED);
  });
  const server = app.listen(0, '127.0.0.1', () => ready({ url: `http://127.0.0.1:${server.address().port}` }));
  server.keepAliveTimeout = 65_000;
} else if (mode === 'signoff') {
  const dir = process.env.BENCH_DATA_DIR;
  if (!dir) throw new Error('BENCH_DATA_DIR is not set');
  const config = { port: 0, host: '127.0.0.1', data: join(dir, 'signoff.json'), logLevel: process.env.BENCH_LOG_LEVEL ?? 'info', adminPassword: 'bench-admin-password' };
  // Seed, close (the journal is folded into the snapshot), and start again on the file: the
  // measured server is a fresh one that loaded 100k items, with no compaction running.
  // BENCH_KEEP_DATA: the seeded file is kept there and reused by later runs (profiling).
  const started = Date.now();
  const seedFile = join(dir, `bench-seed-${ITEMS}.json`);
  let seeded = existsSync(seedFile) ? JSON.parse(readFileSync(seedFile, 'utf8')) : undefined;
  if (!seeded) {
    const seeding = await startServer({ env: {}, print: () => undefined, config: { ...config, logLevel: 'warn' } });
    seeded = await seed(seeding);
    await seeding.close();
    writeFileSync(seedFile, JSON.stringify(seeded));
  }
  const seedSeconds = (Date.now() - started) / 1000;
  const opened = Date.now();
  // The log level the product runs at (info): a request log line per request is part of the cost.
  const running = await startServer({ env: {}, print: () => undefined, config });
  ready({ url: running.url, ...seeded, items: await running.store.count('items'), seedSeconds, startSeconds: (Date.now() - opened) / 1000 });
  const stop = () => running.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  throw new Error('usage: node servers.mjs bare|signoff');
}
