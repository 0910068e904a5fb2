// POST /api/v1/decisions over keep-alive HTTP at 16 and 64 connections with 100k governed
// items, against a bare node:http server answering a fixed JSON body, measured in the same run.
// Each server runs in its own child process (servers.mjs); autocannon drives them from this
// one. Every response must be a 2xx carrying an `allow` decision: any non-2xx, mismatch,
// error or timeout fails the run (exit code 1) after the table is printed.
//   npm run bench -w @signoff/ui-lite        (build first: npx tsc -b)
//   BENCH_SECONDS=10 BENCH_ITEMS=100000 BENCH_LOG_LEVEL=info BENCH_WARMUP_SECONDS=10
//   BENCH_KEEP_DATA=<dir>: keep the seeded data file there and reuse it (for profiling)
//   BENCH_WORKING_SET=<n>: ask about n of the items only (default: all)
//   BENCH_RECORDED=0: skip the recorded (non-dryRun) runs
//   BENCH_CPU_PROF=<dir>: run the signoff server under `node --cpu-prof` (profile written at exit)
//   BENCH_SIGNOFF_NODE_ARGS='--trace-gc ...': more node flags for the signoff server (output in its log)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
// Requests cycle through this many of the items (all of them by default: the worst case, every
// decision about an item the server has not looked at recently).
const WORKING_SET = Math.min(ITEMS, Number(process.env.BENCH_WORKING_SET ?? ITEMS));
const CONNECTIONS = [16, 64];
const TARGET_RATIO = 0.35;
const TARGET_P99_MS = 15;
const serversScript = fileURLToPath(new URL('./servers.mjs', import.meta.url));
const hex = (n) => n.toString(16).padStart(64, '0');
const keep = process.env.BENCH_KEEP_DATA;
const dir = keep ? (mkdirSync(keep, { recursive: true }), keep) : mkdtempSync(join(tmpdir(), 'signoff-bench-'));

/** Starts `servers.mjs <mode>` and resolves with its ready message ({url, apiKey?, items?}). */
function launch(mode) {
  const log = openSync(join(dir, `${mode}.log`), 'a');
  const profile =
    mode !== 'signoff'
      ? []
      : [
          ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
          ...(process.env.BENCH_SIGNOFF_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        ];
  const child = spawn(process.execPath, [...profile, serversScript, mode], {
    stdio: ['ignore', log, 'inherit', 'ipc'],
    env: { ...process.env, BENCH_ITEMS: String(ITEMS), BENCH_DATA_DIR: dir },
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    const onExit = (code, signal) => reject(new Error(`the ${mode} server exited (${signal ?? code}) before it was ready`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve({ child, ...message });
    });
  });
}

function stop(server) {
  if (!server || server.child.exitCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  return exited;
}

/** The server process's CPU time so far (user + system), in µs. */
function cpuMicros(server) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m?.bench !== 'cpu') return;
      server.child.off('message', on);
      resolve(m.micros);
    };
    server.child.on('message', on);
    server.child.send('cpu');
  });
}

/** One autocannon run; counts every status and every answer that is not an `allow` decision. */
async function run(server, { connections, dryRun = true, seconds = DURATION }) {
  const { url, apiKey } = server;
  const cpuBefore = await cpuMicros(server);
  let n = 0;
  const statuses = new Map();
  let notAllowed = 0;
  let firstBad;
  const result = await autocannon({
    url: `${url}/api/v1/decisions`,
    connections,
    pipelining: 1,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    requests: [
      {
        setupRequest: (req) => {
          const i = (n++ * 7919) % WORKING_SET;
          req.body = JSON.stringify({
            infrastructure: 'production',
            item: `bench/app@${i}`,
            artifacts: [`registry.example.com/bench/app@sha256:${hex(i + 1)}`],
            dryRun,
            target: { kind: 'kubernetes', namespace: 'prod', name: 'app', resource: 'deployments' },
          });
          return req;
        },
        onResponse: (status, body) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status < 200 || status > 299 || !body.includes('"outcome":"allow"')) {
            notAllowed++;
            firstBad ??= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  const cpu = (await cpuMicros(server)) - cpuBefore;
  return { result, statuses, notAllowed, firstBad, cpu };
}

const problems = [];
function row(label, connections, { result: r, statuses, notAllowed, firstBad, cpu }, base) {
  const ok2xx = [...statuses].filter(([s]) => s >= 200 && s <= 299).reduce((a, [, c]) => a + c, 0);
  const bad = r.non2xx + r.errors + r.timeouts + notAllowed;
  if (ok2xx === 0) problems.push(`${label} at ${connections}: no successful response at all`);
  if (bad > 0) {
    problems.push(
      `${label} at ${connections}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts, ${notAllowed} answers without an allow decision; statuses ${JSON.stringify(Object.fromEntries(statuses))}; first: ${firstBad ?? '-'}`,
    );
  }
  const rps = ok2xx / (r.duration || DURATION);
  return {
    server: label,
    conns: connections,
    'req/s': Math.round(rps),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    '2xx': ok2xx,
    'non-2xx': r.non2xx,
    errors: r.errors + r.timeouts,
    // Server CPU per answered request (its whole process: HTTP, logging, GC).
    'cpu µs/req': Math.round(cpu / Math.max(1, r.requests.total)),
    ratio: base ? (rps / base).toFixed(2) : '',
  };
}

async function countDeployments(server) {
  const res = await fetch(`${server.url}/api/v1/deployments`, { headers: { authorization: `Bearer ${server.apiKey}` } });
  if (res.status !== 200) throw new Error(`GET /api/v1/deployments answered ${res.status}: ${await res.text()}`);
  return (await res.json()).length;
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
console.log(`machine: ${machine}`);
let bare;
let framework;
let signoff;
const rows = [];
const recorded = [];
try {
  bare = await launch('bare');
  framework = await launch('express');
  signoff = await launch('signoff');
  console.log(
    `signoff-server: lowdb data file, ${signoff.items} governed items (seeded in ${signoff.seedSeconds} s, reopened in ${signoff.startSeconds} s), ` +
      `log level ${process.env.BENCH_LOG_LEVEL ?? 'info'}; ${DURATION} s per run`,
  );
  if (signoff.items !== ITEMS) throw new Error(`seeding made ${signoff.items} items, not ${ITEMS}`);

  // Warm-up (JIT, connections, and for the signoff server the first major collections of the
  // heap it just loaded), not reported; still checked.
  const warmup = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
  row('warm-up bare', 16, await run(bare, { connections: 16, seconds: 2 }));
  row('warm-up express', 16, await run(framework, { connections: 16, seconds: 2 }));
  row('warm-up signoff', 16, await run(signoff, { connections: 16, seconds: warmup }));

  const beforeDry = await countDeployments(signoff);
  const baseRate = {};
  for (const connections of CONNECTIONS) {
    const b = row('bare node:http, fixed body', connections, await run(bare, { connections }));
    baseRate[connections] = b['req/s'];
    const e = row('express + express.json, fixed body', connections, await run(framework, { connections }), b['req/s']);
    const s = row('signoff decisions, dryRun', connections, await run(signoff, { connections }), b['req/s']);
    rows.push(b, e, s);
  }
  const afterDry = await countDeployments(signoff);
  if (afterDry !== beforeDry) problems.push(`dry runs recorded ${afterDry - beforeDry} deployments`);

  // Recorded decisions: each one is a store transaction (deployment record + audit event,
  // journal line fdatasynced before the answer).
  let expected = 0;
  for (const connections of process.env.BENCH_RECORDED === '0' ? [] : CONNECTIONS) {
    const m = await run(signoff, { connections, dryRun: false });
    recorded.push(row('signoff decisions, recorded', connections, m, baseRate[connections]));
    expected += recorded.at(-1)['2xx'];
  }
  // Requests still in flight when a run's time is up are answered (and recorded) uncounted.
  const afterRecorded = (await countDeployments(signoff)) - afterDry;
  if (afterRecorded < expected || afterRecorded > expected + 2 * Math.max(...CONNECTIONS)) {
    problems.push(`${expected} recorded decisions answered 2xx but the registry holds ${afterRecorded}`);
  }
  const journal = join(dir, 'signoff.json.journal');
  console.log(`registry: ${afterRecorded} deployments recorded by this run; journal ${(statSync(journal, { throwIfNoEntry: false })?.size ?? 0) / 2 ** 20 | 0} MiB`);
} finally {
  await Promise.all([stop(bare), stop(framework), stop(signoff)]);
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

console.log('\nPOST /api/v1/decisions, dry runs (nothing written), ratio = signoff / bare at the same connections:');
console.table(rows);
console.log('Recorded decisions (every answer is a deployment record + audit event written to the lowdb journal):');
console.table(recorded);
const at16 = rows.find((r) => r.server.startsWith('signoff') && r.conns === 16);
const ratioMet = Number(at16.ratio) >= TARGET_RATIO;
const p99Met = at16['p99 ms'] < TARGET_P99_MS;
console.log(
  `targets at 16 connections (dry run): ratio ${at16.ratio} (target >= ${TARGET_RATIO}) ${ratioMet ? 'met' : 'MISSED'}; ` +
    `p99 ${at16['p99 ms']} ms (target < ${TARGET_P99_MS} ms) ${p99Met ? 'met' : 'MISSED'}`,
);
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (problems.length > 0) {
  console.error(`\nBENCH FAILED: not every response was a 2xx allow decision:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
