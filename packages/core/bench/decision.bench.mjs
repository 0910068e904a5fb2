// Decision time per call as governed items grow: match (index lookups by reference and by
// digest) + decide, with 1k, 10k and 100k items. Two index flavours: plain Maps read
// synchronously (matchItemSync: what an embedded hot path uses) and the memory store read through
// its async Store interface (matchItem). Baseline measured in the same run with the same timer: a
// bare Map.get, and JSON.stringify of the request.
//
// Inputs are what the product sees: item records are read back from JSON (as the store loads its
// file) and every timed call gets a request freshly parsed with JSON.parse from its text (as the
// server parses each body), outside the timed region: flat strings whose hashes nothing has
// computed yet. The context is built as the service builds it (item reference formatted from the
// project's key, review URL, approvers' names, the template's mandatory sign-off steps).
//
// Each size runs in its own child process (started with --expose-gc; the heap is collected
// before each cell), so a row does not inherit the garbage and heap layout of the rows before
// it; in 3 rounds (the sizes take turns, each round times a third of the calls, the medians are
// over all of them), so a change in the machine's load falls on every size alike.
// --in-process runs every size in this process, one after the other, as earlier versions did.
//
// Run: npx tsc -b packages/core && node packages/core/bench/decision.bench.mjs
// Options: --sizes 1000,10000,100000 --calls 50000 --rounds 3 --json --in-process
//          --dist <path to a built index.js> (run another build with the same bench)
//          --ab <path to another built index.js> (this build against that one, paired in one
//          process per size: see measureAB)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SIZES = opt('sizes', '1000,10000,100000').split(',').map(Number);
const CALLS = Number(opt('calls', '50000'));
const ROUNDS = Math.max(1, Number(opt('rounds', '3')));
const WARMUP = Number(opt('warmup', String(Math.min(20_000, CALLS))));
const DIST = opt('dist', undefined);
const CHILD = opt('child', undefined);
const IN_PROCESS = args.includes('--in-process');
const JSON_OUT = args.includes('--json');
const distUrl = DIST === undefined ? new URL('../dist/index.js', import.meta.url) : pathToFileURL(isAbsolute(DIST) ? DIST : resolve(DIST));
const { createMemoryStore, decide, formatItemRef, itemDigestKeys, matchItem, matchItemSync } = await import(distUrl.href);
/** Collects the heap between cells when the process runs with --expose-gc (the children do). */
const collect = typeof globalThis.gc === 'function' ? () => globalThis.gc() : () => {};

const T = '2026-03-01T09:00:00.000Z';
const hex = (s) => createHash('sha256').update(String(s)).digest('hex');

function project(n) {
  return {
    id: `prj_${n}`,
    key: `proj${n}`,
    name: `Project ${n}`,
    description: '',
    owner: 'usr_owner',
    links: [],
    workflow: { templateId: 'tpl_project', steps: [{ id: 'exploration', status: 'Ongoing', notes: '', links: [], fields: {} }] },
    qualification: { decision: 'Go', comments: '', plan: '' },
    reviewers: { feedbackGroups: [], finalApprovers: [{ kind: 'user', id: 'usr_fiona' }] },
    itemTemplates: { bundle: 'tpl_item', modelVersion: 'tpl_item' },
    createdBy: 'usr_owner',
    createdAt: T,
    updatedAt: T,
  };
}

const PROJECTS = 10;
/** Bundle n: three pinned images; every fourth one is waiting for its final approval, the rest approved. */
function item(n) {
  // Flat strings, as an item registered through the API has them (template literals are ropes).
  const images = JSON.parse(JSON.stringify([0, 1, 2].map((k) => `registry.example.com/team${n % PROJECTS}/app${k}@sha256:${hex(`${n}/${k}`)}`)));
  const artifacts = { images, storage: [] };
  const digests = itemDigestKeys(artifacts);
  const approved = n % 4 !== 0;
  return {
    id: `itm_${n}`,
    kind: 'bundle',
    projectId: `prj_${n % PROJECTS}`,
    name: `bundle${n}`,
    version: '1.0.0',
    description: '',
    artifacts,
    digests,
    importance: 'High',
    links: [],
    workflow: { templateId: 'tpl_item', steps: [{ id: 'review', status: 'Ongoing', notes: '', links: [], fields: {} }] },
    signoffs: {
      review: {
        status: approved ? 'Approved' : 'Waiting for final approval',
        round: 1,
        feedback: [],
        delegations: [],
        notified: [],
        ...(approved ? { approvedDigests: digests, approvedAt: T, finalApproval: { author: 'usr_fiona', authorKind: 'user', status: 'Approved', comment: '', createdAt: T, updatedAt: T } } : {}),
        updatedAt: T,
      },
    },
    createdBy: 'usr_owner',
    createdAt: T,
    updatedAt: T,
  };
}

const infra = {
  id: 'production',
  name: 'Production',
  description: '',
  policy: 'prevent',
  requireConfirmation: false,
  unmatched: 'deny',
  production: true,
  advanceWorkflowOnDeploy: false,
  namespaces: [],
  githubEnvironments: [],
  createdAt: T,
  updatedAt: T,
};

/** A request mix: by reference + digests (approved, then unapproved), by digests alone, and a changed digest. */
function requestFor(items, i) {
  const it = items[(i * 7919) % items.length];
  const ref = `proj${it.projectId.slice(4)}/${it.name}@${it.version}`;
  switch (i % 4) {
    case 0:
    case 1:
      return { item: ref, artifacts: it.artifacts.images, dryRun: true };
    case 2:
      return { artifacts: it.artifacts.images, dryRun: true };
    default:
      return { item: ref, artifacts: [...it.artifacts.images.slice(0, 2), `registry.example.com/team0/app2@sha256:${hex(`changed${i}`)}`], dryRun: true };
  }
}

/** Request bodies as they arrive: JSON texts, parsed once per timed call. */
const REQUESTS = 4096;
const requestTexts = (items) => Array.from({ length: REQUESTS }, (_, i) => JSON.stringify(requestFor(items, i)));

/** Indexes like the store's: item by id, by (project, name, version), by digest. */
function mapIndexes(items) {
  const byId = new Map();
  const byRef = new Map();
  const byDigest = new Map();
  for (const it of items) {
    byId.set(it.id, it);
    byRef.set(`prj_${it.projectId.slice(4)}\u0000${it.name}\u0000${it.version}`, it);
    for (const k of it.digests) {
      const l = byDigest.get(k);
      if (l) l.push(it);
      else byDigest.set(k, [it]);
    }
  }
  return { itemById: (id) => byId.get(id), itemByRef: (p, n, v) => byRef.get(`prj_${p.slice(4)}\u0000${n}\u0000${v}`), itemsByDigest: (k) => byDigest.get(k) ?? [] };
}

const PUBLIC_URL = 'https://signoff.example.com';
const projectKeys = new Map(Array.from({ length: PROJECTS }, (_, n) => [`prj_${n}`, `proj${n}`]));
const template = { id: 'tpl_item', steps: [{ id: 'development' }, { id: 'review', signoff: { mandatory: true } }, { id: 'production' }] };

/** The decision's context as the service builds it for a dry run. */
function context(item, unknownItemRef) {
  return {
    now: T,
    ...(item
      ? {
          itemRef: formatItemRef(projectKeys.get(item.projectId) ?? item.projectId, item.name, item.version),
          reviewUrl: `${PUBLIC_URL}/items/${item.id}`,
          approvers: ['Fiona Final'],
          mandatorySignoffSteps: template.steps.filter((st) => st.signoff?.mandatory).map((st) => st.id),
        }
      : {}),
    ...(unknownItemRef !== undefined ? { unknownItemRef } : {}),
  };
}

function stats(ns) {
  ns.sort((a, b) => a - b);
  const q = (p) => ns[Math.min(ns.length - 1, Math.floor(p * ns.length))] / 1000;
  return { median: q(0.5), p99: q(0.99) };
}

/**
 * Where every timed call's answer goes: a result nobody reads lets the compiler drop a pure call
 * (an unused `Map.get` measured nothing in earlier versions of this bench).
 */
let sink;

/** Times `fn(JSON.parse(text))`; the parse is outside the timed region. */
function measureSync(texts, fn) {
  collect();
  const ns = new Float64Array(CALLS);
  for (let i = 0; i < WARMUP; i++) sink = fn(JSON.parse(texts[i % texts.length]));
  for (let i = 0; i < CALLS; i++) {
    const r = JSON.parse(texts[(WARMUP + i) % texts.length]);
    const t0 = process.hrtime.bigint();
    sink = fn(r);
    ns[i] = Number(process.hrtime.bigint() - t0);
  }
  return ns;
}

async function measureAsync(texts, fn) {
  collect();
  const ns = new Float64Array(CALLS);
  for (let i = 0; i < WARMUP; i++) sink = await fn(JSON.parse(texts[i % texts.length]));
  for (let i = 0; i < CALLS; i++) {
    const r = JSON.parse(texts[(WARMUP + i) % texts.length]);
    const t0 = process.hrtime.bigint();
    sink = await fn(r);
    ns[i] = Number(process.hrtime.bigint() - t0);
  }
  return ns;
}

const outcomes = { allow: 0, warn: 0, deny: 0 };

async function measureSize(size) {
  // Records as the store holds them after loading its file: read back from JSON.
  const items = JSON.parse(JSON.stringify(Array.from({ length: size }, (_, n) => item(n))));
  const texts = requestTexts(items);
  const lookups = mapIndexes(items);

  // Baselines: a bare Map lookup by digest (the key cut from a freshly parsed request, outside
  // the timed region), and serialising the request.
  const digestMap = new Map(items.flatMap((it) => it.digests.map((d) => [d, it])));
  const digestTexts = texts.map((t) => {
    const a = JSON.parse(t).artifacts[0];
    return JSON.stringify({ key: a.slice(a.indexOf('@') + 1) });
  });
  const mapGet = measureSync(digestTexts, (r) => digestMap.get(r.key));
  const stringify = measureSync(texts, (r) => JSON.stringify(r));

  const viaMapsFn = (r) => {
    const m = matchItemSync(r, lookups);
    const d = decide(infra, m.item, r, context(m.item, m.unknownItemRef));
    outcomes[d.outcome]++;
    return d;
  };
  const viaMaps = measureSync(texts, viaMapsFn);
  // Hot set: the same request mix over the first 1,000 items only, with all items indexed. The
  // per-call work is the 1k row's; what it adds over the 1k row is reaching into larger indexes
  // (their entries are spread over more memory: compare the Map.get baseline across rows).
  const hot = measureSync(requestTexts(items.slice(0, 1000)), viaMapsFn);
  // Cold: every image string is new (a unique tag before the digest), so nothing is remembered
  // from an earlier call and each artifact is parsed (the warm-up calls use other strings).
  const fresh = Array.from({ length: WARMUP + CALLS }, (_, i) => {
    const r = requestFor(items, i);
    return JSON.stringify({ ...r, artifacts: r.artifacts.map((a) => a.replace('@', `:run${size}-${i}@`)) });
  });
  const cold = measureSync(fresh, viaMapsFn);

  const t0 = performance.now();
  const store = createMemoryStore({ initial: { projects: Array.from({ length: PROJECTS }, (_, n) => project(n)), items } });
  const loadMs = performance.now() - t0;
  const viaStore = await measureAsync(texts, async (r) => {
    const m = await matchItem(r, store);
    return decide(infra, m.item, r, context(m.item, m.unknownItemRef));
  });
  await store.close();
  return { size, mapGet, stringify, viaMaps, hot, cold, viaStore, loadMs, outcomes };
}

const CELLS = ['mapGet', 'stringify', 'viaMaps', 'hot', 'cold', 'viaStore'];

/**
 * --ab <other build>: this build and another one in the same process, on the same records and
 * requests (their decisions are first checked to be identical, JSON for JSON), timed in
 * alternating blocks of 2,000 calls (which goes first alternates too), so that the machine's load
 * falls on both alike: on a shared machine the medians of separate runs move by more than the
 * difference between two builds.
 */
const AB = opt('ab', undefined);
const AB_BLOCK = 2_000;
async function measureAB(size) {
  const otherUrl = pathToFileURL(isAbsolute(AB) ? AB : resolve(AB));
  const builds = [{ decide, matchItemSync }, await import(otherUrl.href)];
  const items = JSON.parse(JSON.stringify(Array.from({ length: size }, (_, n) => item(n))));
  const texts = requestTexts(items);
  const lookups = mapIndexes(items);
  const fns = builds.map((b) => (r) => {
    const m = b.matchItemSync(r, lookups);
    return b.decide(infra, m.item, r, context(m.item, m.unknownItemRef));
  });
  for (const t of texts) {
    const [x, y] = fns.map((fn) => JSON.stringify(fn(JSON.parse(t))));
    if (x !== y) throw new Error(`the two builds decide differently on ${t}:\n${x}\n${y}`);
  }
  collect();
  for (const fn of fns) for (let i = 0; i < WARMUP; i++) sink = fn(JSON.parse(texts[i % texts.length]));
  const samples = [[], []];
  let wins = 0;
  let k = 0;
  const blocks = Math.ceil(CALLS / AB_BLOCK);
  const ns = new Float64Array(AB_BLOCK);
  for (let b = 0; b < blocks; b++) {
    const medians = [0, 0];
    for (const j of b % 2 === 0 ? [0, 1] : [1, 0]) {
      const fn = fns[j];
      for (let i = 0; i < AB_BLOCK; i++) {
        const r = JSON.parse(texts[k++ % texts.length]);
        const t0 = process.hrtime.bigint();
        sink = fn(r);
        ns[i] = Number(process.hrtime.bigint() - t0);
      }
      for (const v of ns) samples[j].push(v);
      medians[j] = stats(ns).median;
    }
    if (medians[0] < medians[1]) wins++;
  }
  return { size, calls: blocks * AB_BLOCK, this: stats(Float64Array.from(samples[0])), other: stats(Float64Array.from(samples[1])), wins, blocks };
}

if (CHILD !== undefined && AB !== undefined) {
  const row = await measureAB(Number(CHILD));
  process.stdout.write(`${JSON.stringify(row)}\n`, () => process.exit(0));
  await new Promise(() => {});
}

if (AB !== undefined) {
  const self = fileURLToPath(import.meta.url);
  const abRows = SIZES.map((size) => {
    const run = spawnSync(process.execPath, ['--expose-gc', self, '--child', String(size), '--calls', String(CALLS), '--warmup', String(WARMUP), '--ab', AB, ...(DIST !== undefined ? ['--dist', DIST] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (run.status !== 0) throw new Error(`the ${size} items run failed (exit ${run.status})`);
    return JSON.parse(run.stdout.trim().split('\n').pop());
  });
  if (JSON_OUT) console.log(JSON.stringify({ node: process.version, ab: AB, rows: abRows }, null, 2));
  else {
    console.log(`decide+match (Maps), this build against ${AB} in one process (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; blocks of ${AB_BLOCK.toLocaleString('en-US')} calls, alternating; both builds' decisions identical on all ${REQUESTS.toLocaleString('en-US')} requests)`);
    console.log('| items | this build p50 | p99 | other build p50 | p99 | this / other (p50) | blocks where this build was faster |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of abRows) {
      console.log(`| ${r.size.toLocaleString('en-US')} | ${r.this.median.toFixed(2)} µs | ${r.this.p99.toFixed(2)} µs | ${r.other.median.toFixed(2)} µs | ${r.other.p99.toFixed(2)} µs | ${(r.this.median / r.other.median).toFixed(2)} | ${r.wins} of ${r.blocks} |`);
    }
  }
  process.exit(0);
}

if (CHILD !== undefined) {
  const row = await measureSize(Number(CHILD));
  if (sink === Symbol.for('never')) row.sink = true;
  for (const c of CELLS) row[c] = Array.from(row[c], Math.round);
  // Written before exiting: a pipe takes the samples asynchronously.
  process.stdout.write(`${JSON.stringify(row)}\n`, () => process.exit(0));
  await new Promise(() => {});
}

/** A row from the samples of every round: medians and p99 over all of them, and each round's median. */
function summarise(size, parts) {
  const row = { size, loadMs: Math.max(...parts.map((p) => p.loadMs)), rounds: parts.length };
  for (const c of CELLS) {
    row[c] = stats(Float64Array.from(parts.flatMap((p) => Array.from(p[c]))));
    row[c].roundMedians = parts.map((p) => stats(Float64Array.from(p[c])).median);
  }
  return row;
}

const rows = [];
if (IN_PROCESS) {
  for (const size of SIZES) rows.push(summarise(size, [await measureSize(size)]));
} else {
  // Each size in its own process, ROUNDS times, the sizes taking turns: a change in the machine's
  // load during the run then falls on every size alike. Each round times CALLS / ROUNDS calls.
  const self = fileURLToPath(import.meta.url);
  const perRound = Math.ceil(CALLS / ROUNDS);
  const parts = new Map(SIZES.map((size) => [size, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const size of SIZES) {
      const childArgs = ['--expose-gc', self, '--child', String(size), '--calls', String(perRound), '--warmup', String(WARMUP), ...(DIST !== undefined ? ['--dist', DIST] : [])];
      const run = spawnSync(process.execPath, childArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
      if (run.status !== 0) throw new Error(`the ${size} items run failed (exit ${run.status})`);
      const part = JSON.parse(run.stdout.trim().split('\n').pop());
      for (const k of Object.keys(outcomes)) outcomes[k] += part.outcomes[k];
      parts.get(size).push(part);
    }
  }
  for (const size of SIZES) rows.push(summarise(size, parts.get(size)));
}

const base = rows[0];
const f = (x) => x.toFixed(2);
const table = [
  ['items', 'baseline Map.get p50', 'JSON.stringify p50', 'decide+match (Maps) p50', 'p99', 'ratio vs Map.get', 'ratio vs stringify', 'flat vs 1k', 'cold artifacts p50', 'p99', 'memory store (async) p50', 'p99', 'flat vs 1k', 'hot set (1k items) p50'],
  ...rows.map((r) => [
    r.size.toLocaleString('en-US'),
    `${f(r.mapGet.median)} µs`,
    `${f(r.stringify.median)} µs`,
    `${f(r.viaMaps.median)} µs`,
    `${f(r.viaMaps.p99)} µs`,
    `${(r.viaMaps.median / r.mapGet.median).toFixed(1)}×`,
    `${(r.viaMaps.median / r.stringify.median).toFixed(1)}×`,
    `${(r.viaMaps.median / base.viaMaps.median).toFixed(2)}`,
    `${f(r.cold.median)} µs`,
    `${f(r.cold.p99)} µs`,
    `${f(r.viaStore.median)} µs`,
    `${f(r.viaStore.p99)} µs`,
    `${(r.viaStore.median / base.viaStore.median).toFixed(2)}`,
    `${f(r.hot.median)} µs`,
  ]),
];

if (JSON_OUT) {
  console.log(JSON.stringify({ node: process.version, calls: CALLS, inProcess: IN_PROCESS, rows, outcomes }, null, 2));
} else {
  console.log(`decision time per call (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${CALLS.toLocaleString('en-US')} timed calls per cell${IN_PROCESS ? ', all sizes in one process' : ` in ${ROUNDS} rounds, each size in its own process`}; request mix: 1/2 by reference approved or not, 1/4 by digests alone, 1/4 with a changed digest)`);
  console.log(`| ${table[0].join(' | ')} |`);
  console.log(`|${table[0].map(() => '---').join('|')}|`);
  for (const row of table.slice(1)) console.log(`| ${row.join(' | ')} |`);
  if (rows[0].rounds > 1) for (const r of rows) console.log(`${r.size.toLocaleString('en-US')} items, decide+match (Maps) median of each round: ${r.viaMaps.roundMedians.map(f).join(' / ')} µs`);
  console.log(`outcomes (Maps runs): ${JSON.stringify(outcomes)}; target: median < 5 µs, flat (ratio ~1) as items grow`);
  console.log('cold: every artifact string is new to the process (nothing remembered), so each one is parsed');
  console.log('hot set: the same mix over 1,000 of the items, all of them indexed: the 1k row\'s work against the larger indexes');
}
