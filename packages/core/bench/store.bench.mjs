// Review-write latency (p50/p99, fsync included) and file size of the embedded store with
// 1k, 10k and 100k governed items, against lowdb 7's stock JSONFile adapter (pretty-printed
// JSON, whole-file rewrite, no fsync) measured in the same run as the baseline.
//
// A "review write" is what submitting a feedback review does: read one item, append a review
// to its sign-off, put the item back and append an audit event, in one transaction.
// Items are realistic: three pinned images (three digests), a sign-off with three reviews.
//
// Run: npx tsc -b packages/core && node packages/core/bench/store.bench.mjs
// Options: --sizes 1000,10000,100000 --writes 300 --json
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { openLowdbStore } from '../dist/index.js';
import { testItem, testProject } from '../dist/store/test-data.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SIZES = opt('sizes', '1000,10000,100000').split(',').map(Number);
const WRITES = Number(opt('writes', '300'));
const JSON_OUT = args.includes('--json');

/** Fewer baseline writes as the file grows: each one rewrites the whole file. */
const baselineWrites = (n) => (n >= 100_000 ? 5 : n >= 10_000 ? 30 : 100);
const ourWrites = (n) => (n >= 100_000 ? Math.min(WRITES, 200) : WRITES);

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function review(n) {
  const at = new Date(Date.UTC(2026, 2, 2) + n * 1000).toISOString();
  return {
    id: `rev_b${n}`,
    groupId: 'risk',
    author: 'usr_rita',
    authorKind: 'user',
    status: 'Approved',
    comment: `bench review ${n}: the model card and the rollout plan are fine`,
    createdAt: at,
    updatedAt: at,
  };
}

function items(n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = testItem(i, { projectId: 'prj_1' });
  return out;
}

const pick = (i, n) => (i * 7919) % n; // spread writes over the items, deterministically

async function benchOurs(dir, n, all) {
  const file = join(dir, `ours-${n}.json`);
  let store = await openLowdbStore(file);
  await store.transaction((tx) => {
    tx.put('projects', testProject(1));
    for (const item of all) tx.put('items', item);
    return { ok: true, value: null };
  });
  await store.close();
  const t0 = performance.now();
  store = await openLowdbStore(file);
  const openMs = performance.now() - t0;

  const writes = ourWrites(n);
  const lat = [];
  for (let i = -20; i < writes; i++) {
    const id = `itm_${pick(i + 20, n)}`;
    const s = performance.now();
    const r = await store.transaction(async (tx) => {
      const item = await tx.get('items', id);
      const so = item.signoffs.review;
      tx.put('items', { ...item, signoffs: { ...item.signoffs, review: { ...so, feedback: [...so.feedback, review(i)] } }, updatedAt: review(i).updatedAt });
      tx.appendAudit({ at: review(i).createdAt, actor: 'usr_rita', actorKind: 'user', action: 'signoff.feedback.submit', subject: `items/${id}`, change: { review: review(i) } });
      return { ok: true, value: null };
    });
    const e = performance.now() - s;
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    if (i >= 0) lat.push(e);
  }
  const journalBytes = statSync(`${file}.journal`).size;
  const c0 = performance.now();
  await store.close(); // folds the journal into a new snapshot: what a compaction costs
  const compactMs = performance.now() - c0;
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), writes, bytes: statSync(file).size, openMs, compactMs, journalBytes };
}

async function benchStock(dir, n, all) {
  const file = join(dir, `stock-${n}.json`);
  const db = new Low(new JSONFile(file), { projects: [], items: [], audit: [] });
  db.data.projects.push(testProject(1));
  db.data.items = all.map((x) => structuredClone(x));
  await db.write();
  const byId = new Map(db.data.items.map((x, i) => [x.id, i]));
  const writes = baselineWrites(n);
  const lat = [];
  const warm = n >= 100_000 ? 1 : 3;
  for (let i = -warm; i < writes; i++) {
    const id = `itm_${pick(i + warm, n)}`;
    const s = performance.now();
    await db.update((data) => {
      const at = byId.get(id);
      const item = data.items[at];
      item.signoffs.review.feedback.push(review(i));
      item.updatedAt = review(i).updatedAt;
      data.audit.push({ at: review(i).createdAt, actor: 'usr_rita', action: 'signoff.feedback.submit', subject: `items/${id}`, change: { review: review(i) } });
    });
    const e = performance.now() - s;
    if (i >= 0) lat.push(e);
  }
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), writes, bytes: statSync(file).size };
}

const mb = (b) => (b / 1024 / 1024).toFixed(1);
const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

const dir = mkdtempSync(join(tmpdir(), 'signoff-store-bench-'));
const rows = [];
try {
  for (const n of SIZES) {
    const all = items(n);
    const ours = await benchOurs(dir, n, all);
    const stock = await benchStock(dir, n, all);
    rows.push({ items: n, ours, stock });
    if (!JSON_OUT) process.stderr.write(`  measured ${n} items\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (JSON_OUT) {
  console.log(JSON.stringify({ node: process.version, rows }, null, 2));
} else {
  console.log(`\nReview write (read item, append a review, put, audit event; one transaction), Node ${process.version}`);
  console.log('signoff = openLowdbStore: compact snapshot + fsynced append-only journal (fdatasync before the promise resolves)');
  console.log('baseline = lowdb 7 Low + stock JSONFile: pretty JSON, whole file rewritten per write, no fsync\n');
  const head = ['items', 'adapter', 'writes', 'p50 ms', 'p99 ms', 'file MB', 'p50 ratio (baseline/signoff)'];
  const lines = [head];
  for (const { items: n, ours, stock } of rows) {
    lines.push([String(n), 'signoff (fsync)', String(ours.writes), ms(ours.p50), ms(ours.p99), mb(ours.bytes), `${(stock.p50 / ours.p50).toFixed(1)}x faster`]);
    lines.push([String(n), 'lowdb JSONFile (no fsync)', String(stock.writes), ms(stock.p50), ms(stock.p99), mb(stock.bytes), '1.0x']);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const [k, l] of lines.entries()) {
    console.log(l.map((c, i) => c.padEnd(widths[i])).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('\nsignoff store, per size: open (read + validate every record), compaction (snapshot rewrite, at close or when the journal outgrows max(64 MiB, snapshot))');
  for (const { items: n, ours } of rows) {
    console.log(`  ${String(n).padStart(6)} items: open ${ms(ours.openMs)} ms, compaction ${ms(ours.compactMs)} ms (journal ${mb(ours.journalBytes)} MB after ${ours.writes + 20} writes)`);
  }
}
