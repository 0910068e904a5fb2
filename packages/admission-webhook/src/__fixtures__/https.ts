import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { makeSelfSignedTls, type SelfSignedTls } from '../server/self-signed.js';

export interface TlsFiles extends SelfSignedTls {
  dir: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** A throwaway CA + serving certificate written to a fresh temp dir. */
export async function tlsFiles(dir = mkdtempSync(join(tmpdir(), 'signoff-webhook-tls-'))): Promise<TlsFiles> {
  const tls = await makeSelfSignedTls(['localhost', '127.0.0.1']);
  const files = { dir, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') };
  writeFileSync(files.certFile, tls.cert);
  writeFileSync(files.keyFile, tls.key);
  writeFileSync(files.caFile, tls.ca);
  return { ...tls, ...files };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One HTTPS request trusting `ca`; never rejects on an HTTP status. */
export function call(url: string, ca: string, options: RequestOptions & { body?: string | Buffer } = {}): Promise<HttpAnswer> {
  const { body, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, ...rest }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POST an AdmissionReview (object or raw bytes) to `/validate`. */
export const review = (base: string, ca: string, body: unknown): Promise<HttpAnswer> =>
  call(`${base}/validate`, ca, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body),
  });

export const quietLogger = () => pino({ level: 'silent' });
