import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { SignoffClient } from './signoff-client.js';
import { problemFromError } from '../api/problem.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

const decision = {
  outcome: 'deny',
  policy: 'prevent',
  infrastructureId: 'production',
  signoffStatus: 'Waiting for final approval',
  approved: false,
  item: { id: 'itm_fraud3', kind: 'modelVersion', ref: 'fraud/fraud-model@3', projectId: 'prj_fraud' },
  artifacts: [{ artifact: 's3://models/fraud/v3', key: 'uri:s3://models/fraud/v3', covered: false, pinned: true }],
  reasons: ['fraud/fraud-model@3 waits for its final approval by Fiona Final.'],
  confirmed: false,
  reviewUrl: 'http://localhost:8080/items/itm_fraud3',
  decidedAt: '2026-01-01T00:00:00.000Z',
};

function handler(seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      const send = (status: number, value: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof value === 'string' ? value : JSON.stringify(value));
      };
      if (req.url === '/api/v1/decisions') return send(200, { decision });
      if (req.url?.startsWith('/api/v1/items/shop%2Fweb-bundle%40v1/signoff/final-approval')) {
        return send(403, problemFromError({ code: 'SEPARATION_OF_DUTIES', message: 'The creator of shop/web-bundle@v1 cannot give its final approval.' }), 'application/problem+json');
      }
      if (req.url === '/api/v1/items') {
        return send(400, problemFromError({ code: 'VALIDATION', message: 'Invalid body', issues: [{ path: ['artifacts', 'images', 0], message: 'must be pinned' }] }), 'application/problem+json');
      }
      if (req.url === '/api/v1/items/broken') return send(200, '{not json');
      if (req.url === '/api/v1/items/crash') return send(500, problemFromError({ code: 'STORE_CORRUPT', message: 'boom' }), 'application/problem+json');
      if (req.url === '/api/v1/items/plain404') return send(404, 'nope', 'text/plain');
      if (req.url === '/api/v1/items/slow') return void setTimeout(() => send(200, {}), 3000);
      return send(404, problemFromError({ code: 'NOT_FOUND', message: `no route ${req.url}` }), 'application/problem+json');
    });
  };
}

const listen = (server: Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('SignoffClient over HTTP', () => {
  const seen: Seen[] = [];
  const server = createHttpServer(handler(seen));
  let client: SignoffClient;
  let base = '';
  beforeAll(async () => {
    base = `http://127.0.0.1:${await listen(server)}/`;
    client = new SignoffClient({ baseUrl: base, apiKey: 'sk_abcdef1234_secretsecretsecret', timeoutMs: 10_000 });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts a decision with the bearer token and parses the answer', async () => {
    const r = await client.decide({ infrastructure: 'production', item: 'fraud/fraud-model@3', dryRun: true });
    expect(r).toEqual({ ok: true, value: { decision } });
    const last = seen.at(-1);
    expect(last?.method).toBe('POST');
    expect(last?.auth).toBe('Bearer sk_abcdef1234_secretsecretsecret');
    expect(JSON.parse(last?.body ?? '')).toEqual({ infrastructure: 'production', item: 'fraud/fraud-model@3', dryRun: true });
  });

  it('maps problem documents back to SignoffError with code and issues', async () => {
    const sod = await client.finalApproval('shop/web-bundle@v1', { status: 'Approved' }, 'review');
    expect(sod).toEqual({ ok: false, error: { code: 'SEPARATION_OF_DUTIES', message: 'The creator of shop/web-bundle@v1 cannot give its final approval.' } });
    expect(seen.at(-1)?.url).toBe('/api/v1/items/shop%2Fweb-bundle%40v1/signoff/final-approval?stepId=review');
    const bad = await client.registerItem({ kind: 'bundle', projectId: 'p', name: 'n', version: '1', artifacts: { images: [] }, importance: 'Low' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('VALIDATION');
      expect(bad.error.issues).toEqual([{ path: ['artifacts', 'images', 0], message: 'must be pinned' }]);
    }
    const nf = await client.getItem('nothing');
    expect(!nf.ok && nf.error.code).toBe('NOT_FOUND');
    const plain = await client.getItem('plain404');
    expect(!plain.ok && plain.error.code).toBe('NOT_FOUND');
  });

  it('is UNAVAILABLE on 5xx, unreadable bodies, timeouts and refused connections', async () => {
    const crash = await client.getItem('crash');
    expect(!crash.ok && crash.error.code).toBe('UNAVAILABLE');
    expect(!crash.ok && crash.error.message).toContain('HTTP 500');
    const broken = await client.getItem('broken');
    expect(!broken.ok && broken.error.code).toBe('UNAVAILABLE');
    // A generous timeout everywhere else (a loaded CI machine); a short one where the timeout is the point.
    const impatient = new SignoffClient({ baseUrl: base, apiKey: 'sk_abcdef1234_secretsecretsecret', timeoutMs: 500 });
    const slow = await impatient.getItem('slow');
    expect(!slow.ok && slow.error.message).toContain('no answer within 500 ms');
    const closed = createHttpServer();
    const port = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await new SignoffClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1000 }).me();
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('UNAVAILABLE');
      expect(refused.error.message).toContain('ECONNREFUSED');
    }
  });
});

describe('SignoffClient over HTTPS with a private CA', () => {
  it('trusts the given CA and refuses an unknown one', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    const seen: Seen[] = [];
    const server = createHttpsServer({ key: pems.private, cert: pems.cert }, handler(seen));
    const port = await listen(server);
    try {
      const trusted = new SignoffClient({ baseUrl: `https://127.0.0.1:${port}`, ca: pems.cert, timeoutMs: 2000 });
      const r = await trusted.decide({ namespace: 'ml-prod', artifacts: ['s3://models/fraud/v3'] });
      expect(r.ok && r.value.decision.outcome).toBe('deny');
      const untrusted = new SignoffClient({ baseUrl: `https://127.0.0.1:${port}`, timeoutMs: 2000 });
      const u = await untrusted.decide({ namespace: 'ml-prod' });
      expect(!u.ok && u.error.code).toBe('UNAVAILABLE');
    } finally {
      server.close();
    }
  });
});
