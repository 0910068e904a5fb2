import { rmSync, renameSync, writeFileSync } from 'node:fs';
import tlsModule, { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteSource } from '../decision-source/remote.js';
import { staticNamespaces } from '../namespaces/static-map.js';
import { startWebhook, type RunningWebhook } from '../webhook.js';
import { call, quietLogger, review, tlsFiles, type TlsFiles } from '../__fixtures__/https.js';
import { fixture, fixtureBytes, namespaceUpdate } from '../__fixtures__/fixtures.js';
import { makeSelfSignedTls } from './self-signed.js';

// A decision source at a port nobody listens on: the real client, really failing.
const deadServer = () => remoteSource({ serverUrl: 'http://127.0.0.1:9', apiKey: 'sk_test_x', timeoutMs: 500, cacheTtlMs: 0 });

let tls: TlsFiles;
let hook: RunningWebhook;

beforeAll(async () => {
  tls = await tlsFiles();
  hook = await startWebhook({
    port: 0,
    host: '127.0.0.1',
    tls,
    source: deadServer(),
    namespaces: staticNamespaces({ 'ml-prod': 'production', 'shop-dev': 'development' }),
    adminGroups: ['signoff-admins'],
    logger: quietLogger(),
  });
});
afterAll(async () => {
  await hook?.close();
  rmSync(tls.dir, { recursive: true, force: true });
});

describe('the HTTPS server', () => {
  it('speaks TLS 1.2 or newer only', async () => {
    const attempt = (max: 'TLSv1.1' | 'TLSv1.2') =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: hook.port, ca: tls.ca, minVersion: 'TLSv1', maxVersion: max }, () => {
          resolve(s.getProtocol() ?? '');
          s.end();
        });
        s.on('error', reject);
      });
    await expect(attempt('TLSv1.2')).resolves.toBe('TLSv1.2');
    await expect(attempt('TLSv1.1')).rejects.toThrow();
  });

  it('refuses TLS 1.1 with a protocol-version alert even when the process default would allow it', async () => {
    const before = tlsModule.DEFAULT_MIN_VERSION;
    tlsModule.DEFAULT_MIN_VERSION = 'TLSv1';
    const lax = await startWebhook({ port: 0, host: '127.0.0.1', tls, source: deadServer(), namespaces: staticNamespaces({}), logger: quietLogger() });
    try {
      const code = await new Promise<string>((resolve) => {
        // a client that would speak TLS 1.1 (low security level so that the ciphers allow it)
        const s = connect({ host: '127.0.0.1', port: lax.port, ca: tls.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => {
          resolve(`connected with ${s.getProtocol()}`);
          s.end();
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
      expect(code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    } finally {
      tlsModule.DEFAULT_MIN_VERSION = before;
      await lax.close();
    }
  });

  it('answers /healthz, /readyz (not ready: the server is unreachable) and /metrics', async () => {
    expect((await call(`${hook.url}/healthz`, tls.ca)).status).toBe(200);
    const ready = await call(`${hook.url}/readyz`, tls.ca);
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ namespacesSynced: true, decisionSource: false });
    await review(hook.url, tls.ca, fixture('deployment-delete'));
    const metrics = await call(`${hook.url}/metrics`, tls.ca);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/signoff_webhook_admissions_total\{outcome="skip",kind="Deployment",infrastructure="production"\} [1-9]/);
    expect(metrics.text).toContain('signoff_webhook_admission_duration_seconds_bucket');
  });

  it('admits DELETE and scale with nothing to run, echoing the uid', async () => {
    for (const name of ['deployment-delete', 'deployment-scale']) {
      const r = await review(hook.url, tls.ca, fixtureBytes(name));
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: fixture(name).request.uid, allowed: true } });
      expect(r.json.response.patch).toBeUndefined();
    }
  });

  it('admits a workload in a namespace no infrastructure governs', async () => {
    const body = fixture('deployment-create');
    body.request.namespace = 'scratch';
    const r = await review(hook.url, tls.ca, body);
    expect(r.json.response.allowed).toBe(true);
  });

  it('denies removing the infrastructure label to a non-admin and lets an admin do it', async () => {
    const denied = await review(hook.url, tls.ca, namespaceUpdate('ml-prod', 'production', undefined, ['system:authenticated']));
    expect(denied.json.response).toMatchObject({ allowed: false, status: { code: 403, reason: 'Forbidden' } });
    expect(denied.json.response.status.message).toContain('namespace ml-prod is governed by infrastructure "production"');
    const admitted = await review(hook.url, tls.ca, namespaceUpdate('ml-prod', 'production', undefined, ['signoff-admins']));
    expect(admitted.json.response.allowed).toBe(true);
  });

  it('fails closed when the server is unreachable and the policy is unknown, naming the server', async () => {
    const r = await review(hook.url, tls.ca, fixtureBytes('deployment-create'));
    expect(r.status).toBe(200);
    expect(r.json.response.allowed).toBe(false);
    expect(r.json.response.status.message).toContain('the signoff gate could not reach the signoff server at http://127.0.0.1:9');
  });
});

describe('malformed requests', () => {
  it.each([
    ['bad JSON', { 'content-type': 'application/json' }, '{"request": ', 400],
    ['no request', { 'content-type': 'application/json' }, '{"kind":"AdmissionReview"}', 400],
    ['request without uid', { 'content-type': 'application/json' }, '{"request":{"operation":"CREATE"}}', 400],
    ['JSON null', { 'content-type': 'application/json' }, 'null', 400],
    ['text/plain', { 'content-type': 'text/plain' }, '{}', 415],
    ['no content type', {}, '{}', 415],
  ])('%s → %i', async (_what, headers, body, status) => {
    const r = await call(`${hook.url}/validate`, tls.ca, { method: 'POST', headers, body });
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ status });
  });

  it('413 above 7 MiB, declared or streamed', async () => {
    const big = Buffer.alloc(7 * 1024 * 1024 + 10, 0x20);
    const declared = await call(`${hook.url}/validate`, tls.ca, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const req = request(`${hook.url}/validate`, { method: 'POST', ca: tls.ca, agent: false, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        for (let i = 0; i < 8; i++) req.write(Buffer.alloc(1024 * 1024, 0x20));
        req.end();
      }, reject);
    });
    expect(chunked).toBe(413);
  });

  it('405 for a wrong method, 404 for an unknown path', async () => {
    const get = await call(`${hook.url}/validate`, tls.ca);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await call(`${hook.url}/mutate`, tls.ca, { method: 'POST' })).status).toBe(404);
  });

  it('answers random bodies and random AdmissionReview-shaped bodies with 4xx or a review, never 5xx', async () => {
    const anyJson = fc.jsonValue().map((v) => JSON.stringify(v));
    const shaped = fc
      .record({
        uid: fc.oneof(fc.uuid(), fc.string()),
        kind: fc.record({ group: fc.constantFrom('', 'apps', 'batch', 'serving.kserve.io'), version: fc.constant('v1'), kind: fc.constantFrom('Deployment', 'Pod', 'CronJob', 'Namespace', 'InferenceService', 'Scale', fc.sample(fc.string(), 1)[0]!) }),
        operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'PATCH'),
        namespace: fc.constantFrom('ml-prod', 'shop-dev', 'other'),
        subResource: fc.option(fc.constantFrom('scale', 'status', 'ephemeralcontainers'), { nil: undefined }),
        object: fc.option(fc.jsonValue(), { nil: undefined }),
        oldObject: fc.option(fc.jsonValue(), { nil: undefined }),
        userInfo: fc.option(fc.jsonValue(), { nil: undefined }),
      })
      .map((request) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }));
    const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson, shaped, bytes), async (body) => {
        const r = await review(hook.url, tls.ca, body);
        expect(r.status).toBeGreaterThanOrEqual(200);
        expect(r.status).toBeLessThan(500);
        if (r.status === 200) expect(typeof r.json.response.allowed).toBe('boolean');
      }),
      { numRuns: 150 },
    );
    expect((await call(`${hook.url}/healthz`, tls.ca)).status).toBe(200);
  });
});

describe('certificate rotation', () => {
  it('presents the new certificate on the next handshake after the files are replaced', async () => {
    const fingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: hook.port, rejectUnauthorized: false }, () => {
          resolve(s.getPeerX509Certificate()!.fingerprint256);
          s.end();
        });
        s.on('error', reject);
      });
    const before = await fingerprint();
    expect(before).toBe(new X509Certificate(tls.cert).fingerprint256);
    const next = await makeSelfSignedTls(['localhost', '127.0.0.1']);
    // as cert-manager and Secret volumes do: write aside, then rename into place
    writeFileSync(`${tls.keyFile}.tmp`, next.key);
    writeFileSync(`${tls.certFile}.tmp`, next.cert);
    renameSync(`${tls.keyFile}.tmp`, tls.keyFile);
    renameSync(`${tls.certFile}.tmp`, tls.certFile);
    const want = new X509Certificate(next.cert).fingerprint256;
    const deadline = Date.now() + 10_000;
    let seen = before;
    while (seen !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await fingerprint();
    }
    expect(seen).toBe(want);
    // and requests verify against the new CA
    const r = await call(`${hook.url}/healthz`, next.ca);
    expect(r.status).toBe(200);
  });

  it('keeps the old certificate while the pair on disk does not match', async () => {
    const current = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: hook.port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerX509Certificate()!.fingerprint256);
        s.end();
      });
      s.on('error', reject);
    });
    const other = await makeSelfSignedTls();
    writeFileSync(tls.keyFile, other.key); // key of another certificate: a torn rotation
    await new Promise((r) => setTimeout(r, 400));
    const after = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: hook.port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerX509Certificate()!.fingerprint256);
        s.end();
      });
      s.on('error', reject);
    });
    expect(after).toBe(current);
  });
});
