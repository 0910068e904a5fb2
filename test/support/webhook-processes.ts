import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_BIN = `${ROOT}packages/ui-lite/dist/cli.js`;
export const WEBHOOK_BIN = `${ROOT}packages/admission-webhook/dist/bin/signoff-webhook.js`;

export interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Spawn a built bin and wait for its `{"msg":"listening","url":…}` log line. */
export function startProcess(bin: string, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Running> {
  if (!existsSync(bin)) return Promise.reject(new Error(`${bin} is not built: run npx turbo run build`));
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${bin} did not log "listening" within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === 'listening' && j.url) {
            clearTimeout(timer);
            resolve({ child, url: j.url, output: () => out, stop });
            return;
          }
        } catch {
          /* not a log line */
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited with ${code} before listening:\n${out}`));
    });
  });
}

export interface Answer {
  status: number;
  json: any;
}

export function postReview(url: string, ca: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/validate`, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch (e) {
          reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}: ${(e as Error).message}`));
        }
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
