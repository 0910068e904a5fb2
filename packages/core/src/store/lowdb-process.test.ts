import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignoffFault } from '../result.js';
import { openLowdbStore } from './lowdb-store.js';

/**
 * Real processes: a child (store-child.mjs bundled with the store's source by esbuild, run by
 * plain `node`) writes to a store file and is killed with SIGKILL; the file must load with
 * every acknowledged write. A second process on a held file gets STORE_LOCKED.
 */

const dir = mkdtempSync(join(tmpdir(), 'signoff-proc-'));
const child = join(dir, 'store-child.mjs');

beforeAll(async () => {
  await build({
    entryPoints: [fileURLToPath(new URL('./__fixtures__/store-child.mjs', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: child,
    logLevel: 'error',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  proc: ChildProcessWithoutNullStreams;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stderr(): string;
}

function run(...args: string[]): Running {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of waiters.slice()) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    lines,
    exited,
    stderr: () => err,
    waitFor(pred, timeoutMs = 15_000) {
      const seen = lines.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`child did not print the expected line; stdout: ${lines.slice(-5).join(' | ')}; stderr: ${err}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
        void exited.then(() => {
          clearTimeout(t);
          reject(new Error(`child exited; stdout: ${lines.slice(-5).join(' | ')}; stderr: ${err}`));
        });
      });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lowdb store across processes', () => {
  it('keeps every acknowledged write when the writer is SIGKILLed at random moments (24 kills)', async () => {
    const file = join(dir, 'crash', 'store.json');
    const acked: number[] = [];
    let next = 0;
    for (let round = 0; round < 24; round++) {
      const c = run('crash', file, String(next));
      await c.waitFor((l) => l === 'ready');
      // a random moment: after a random number of acknowledged writes (1–30), plus 0–15 ms
      // (so that the kill lands anywhere in a write: before, during or after its fsync)
      const k = 1 + Math.floor(Math.random() * 30);
      await c.waitFor((l) => l === `ack ${next + k - 1}`);
      await sleep(Math.floor(Math.random() * 16));
      c.proc.kill('SIGKILL');
      const { signal } = await c.exited;
      expect(signal, c.stderr()).toBe('SIGKILL');
      const mine = c.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
      acked.push(...mine);
      next = Math.max(next, ...mine.map((n) => n + 1));

      // the file loads (lock of the dead writer taken over) and holds every acknowledged write
      const store = await openLowdbStore(file);
      try {
        const events = await store.audit({ subjectPrefix: 'items/' });
        const inLog = new Set(events.map((e) => (e.change as { review: number }).review));
        const items = await store.list('items');
        const reviews = new Set(items.flatMap((i) => i.signoffs.review?.feedback.map((f) => f.id) ?? []));
        for (const n of acked) {
          expect(inLog.has(n), `acknowledged write ${n} is in the audit log`).toBe(true);
          expect(reviews.has(`rev_${n}`), `acknowledged review ${n} is on its item`).toBe(true);
        }
        // nothing beyond what was attempted, and the chain is intact
        expect(events.length).toBeGreaterThanOrEqual(acked.length);
        expect(events.length).toBeLessThanOrEqual(acked.length + round + 1);
        expect((await store.verifyAudit()).ok).toBe(true);
        // no temp file of an interrupted snapshot write is left behind
        expect(readdirSync(dirname(file)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
        // an unacknowledged write that reached the disk may be there: continue numbering after it
        next = Math.max(next, ...[...inLog].map((n) => n + 1));
      } finally {
        await store.close();
      }
    }
    expect(acked.length).toBeGreaterThanOrEqual(24);
  }, 90_000);

  it('a second process gets STORE_LOCKED naming the file and the holder pid; after the holder is SIGKILLed a new process opens it', async () => {
    const file = join(dir, 'lock', 'store.json');
    const holder = run('hold', file);
    await holder.waitFor((l) => l === 'ready');
    const pid = holder.proc.pid!;

    const second = run('open', file);
    await second.exited;
    const answer = JSON.parse(second.lines[0] ?? '{}') as { ok: boolean; code?: string; message?: string };
    expect(answer).toMatchObject({ ok: false, code: 'STORE_LOCKED' });
    expect(answer.message).toContain(file);
    expect(answer.message).toContain(`process ${pid}`);

    // this (third) process too
    const e = await openLowdbStore(file).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SignoffFault);
    expect((e as SignoffFault).code).toBe('STORE_LOCKED');
    expect((e as SignoffFault).message).toContain(String(pid));

    holder.proc.kill('SIGKILL');
    await holder.exited;
    expect(existsSync(`${file}.lock`)).toBe(true); // the dead holder could not clean up
    const third = run('open', file);
    await third.exited;
    expect(JSON.parse(third.lines[0] ?? '{}')).toEqual({ ok: true });
    expect(existsSync(`${file}.lock`)).toBe(false); // released at close
  }, 30_000);

  it('a lock held by this process refuses a child process, which names this pid', async () => {
    const file = join(dir, 'lock2', 'store.json');
    const store = await openLowdbStore(file);
    try {
      const lock = JSON.parse(readFileSync(`${file}.lock`, 'utf8')) as { pid: number };
      expect(lock.pid).toBe(process.pid);
      const c = run('open', file);
      await c.exited;
      expect(JSON.parse(c.lines[0] ?? '{}')).toMatchObject({ ok: false, code: 'STORE_LOCKED', message: expect.stringContaining(`process ${process.pid}`) });
    } finally {
      await store.close();
    }
  }, 30_000);
});
