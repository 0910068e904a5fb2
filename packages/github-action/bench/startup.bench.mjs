// Startup of the bundled Action: time from spawning `node dist/index.js` (as the runner does)
// to its decision line and to its exit, against a signoff server (demo world) on localhost,
// next to a `node -e 0` baseline measured in the same run. Usage: node bench/startup.bench.mjs [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.resolve(here, '../dist/index.js');
const runs = Number(process.argv[2] ?? 30);
const TOKEN = 'sk_benchdemo_benchDemoSecret0123456789';

const dir = mkdtempSync(path.join(tmpdir(), 'signoff-action-bench-'));

// The real server, as a separate process (the built `signoff-server --demo --port 0`).
const uiLite = path.resolve(here, '../../ui-lite');
const bin = path.join(uiLite, JSON.parse(readFileSync(path.join(uiLite, 'package.json'), 'utf8')).bin['signoff-server']);
const serverProcess = spawn(process.execPath, [bin, '--demo', '--port', '0', '--data', path.join(dir, 'signoff.json')], {
  env: { ...process.env, SIGNOFF_DEMO_API_KEY: TOKEN, SIGNOFF_LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'ignore'],
});
const server = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: serverProcess.stdout });
  lines.on('line', (line) => {
    try {
      const j = JSON.parse(line);
      if (j.msg === 'listening') resolve({ url: j.url });
    } catch {
      // not a log line
    }
  });
  serverProcess.on('exit', (code) => reject(new Error(`signoff-server exited ${code}`)));
});
const files = { out: path.join(dir, 'output'), summary: path.join(dir, 'summary'), event: path.join(dir, 'event.json') };
writeFileSync(files.event, '{}');

const env = {
  PATH: process.env.PATH,
  GITHUB_EVENT_PATH: files.event,
  GITHUB_REPOSITORY: 'example/shop',
  GITHUB_SHA: 'c'.repeat(40),
  GITHUB_RUN_ID: '1',
  'INPUT_SERVER-URL': server.url,
  'INPUT_API-KEY': TOKEN,
  INPUT_ENVIRONMENT: 'production',
  INPUT_ITEM: 'shop/web-bundle@v2',
  INPUT_DIGESTS: [
    'registry.example.com/shop/migrate@sha256:f9dd5b2b58fa538351ebd52919da1c655c87b195738d74934b8ea8629e76dc80',
    'registry.example.com/shop/web@sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2',
    'registry.example.com/platform/envoy@sha256:3d7756922516b7c436c7349cca27846c4f6fa4cc766ec85b30e525611b3b6aca',
  ].join('\n'),
};

/** ms from spawn to the first stdout line matching `marker` (or exit), and to exit. */
function once(args, extraEnv, marker) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let decided;
    let buf = '';
    const child = spawn(process.execPath, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (c) => {
      buf += c;
      if (decided === undefined && marker && marker.test(buf)) decided = performance.now() - t0;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const exit = performance.now() - t0;
      if (marker && code !== 0) reject(new Error(`action exited ${code}: ${buf}`));
      else resolve({ decided: decided ?? exit, exit });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];

try {
  for (let i = 0; i < 3; i++) await once([entry], { GITHUB_OUTPUT: files.out, GITHUB_STEP_SUMMARY: files.summary }, /signoff approved/); // warm the server and the page cache
  const base = [];
  const action = [];
  for (let i = 0; i < runs; i++) {
    writeFileSync(files.out, '');
    writeFileSync(files.summary, '');
    base.push((await once(['-e', '0'], {}, undefined)).exit);
    action.push(await once([entry], { GITHUB_OUTPUT: files.out, GITHUB_STEP_SUMMARY: files.summary }, /signoff approved/));
  }
  const b = median(base);
  const rows = [
    ['node -e 0 (baseline)', b, p90(base)],
    ['action: spawn → decision', median(action.map((a) => a.decided)), p90(action.map((a) => a.decided))],
    ['action: spawn → exit', median(action.map((a) => a.exit)), p90(action.map((a) => a.exit))],
  ];
  console.log(`bundled action startup, ${runs} runs, node ${process.version}, dist/index.js ${(statSync(entry).size / 1024).toFixed(0)} KiB`);
  console.log('| what | median ms | p90 ms | × baseline |');
  console.log('|---|---:|---:|---:|');
  for (const [what, m, p] of rows) console.log(`| ${what} | ${m.toFixed(1)} | ${p.toFixed(1)} | ${(m / b).toFixed(2)} |`);
  const own = median(action.map((a) => a.decided)) - b;
  console.log(`\nthe action's own time to its decision (median minus the bare node start): ${own.toFixed(1)} ms (target < 300 ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  serverProcess.kill('SIGTERM');
}
