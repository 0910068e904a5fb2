import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignoffClient } from '@signoff/core';
import { makeSelfSignedTls } from '../packages/admission-webhook/src/server/self-signed.js';
import { ROOT, SERVER_BIN, WEBHOOK_BIN, postReview, startProcess, type Running } from './support/webhook-processes.js';

type Json = Record<string, any>;  

const FIXTURES = `${ROOT}packages/admission-webhook/src/__fixtures__/admission/`;
const fixture = (name: string): Json => JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as Json;
const WEB_V1 = `registry.example.com/shop/web@sha256:${'1'.repeat(64)}`;
const API_KEY = 'sk_e2ewebhook_' + 'k'.repeat(40);

/** deployment-create, in `namespace`, as bundle v2 (the fixture) or v1 (one container, the rejected digest). */
function deployment(namespace: string, version: 'v1' | 'v2', uid: string, dryRun = false): Json {
  const r = fixture('deployment-create');
  r.request.uid = uid;
  r.request.namespace = namespace;
  r.request.object.metadata.namespace = namespace;
  r.request.dryRun = dryRun;
  if (version === 'v1') {
    r.request.object.metadata.annotations['signoff.dev/item'] = 'shop/web-bundle@v1';
    const spec = r.request.object.spec.template.spec;
    delete spec.initContainers;
    spec.containers = [{ ...spec.containers[0], image: WEB_V1 }];
  }
  return r;
}

let dir: string;
let server: Running | undefined;
let webhook: Running | undefined;
let ca: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signoff-webhook-e2e-'));
  server = await startProcess(SERVER_BIN, ['--demo', '--port', '0', '--host', '127.0.0.1', '--data', join(dir, 'signoff.json')], {
    SIGNOFF_DEMO_API_KEY: API_KEY,
    SIGNOFF_DEMO_PASSWORD: 'demo-password-e2e',
  });
  const tls = await makeSelfSignedTls(['localhost', '127.0.0.1']);
  ca = tls.ca;
  writeFileSync(join(dir, 'tls.crt'), tls.cert);
  writeFileSync(join(dir, 'tls.key'), tls.key);
  writeFileSync(join(dir, 'api-key'), `${API_KEY}\n`);
  webhook = await startProcess(WEBHOOK_BIN, [
    '--port', '0',
    '--host', '127.0.0.1',
    '--server-url', server.url,
    '--api-key-file', join(dir, 'api-key'),
    '--tls-cert', join(dir, 'tls.crt'),
    '--tls-key', join(dir, 'tls.key'),
    '--namespace-map', 'ml-prod=production,ml-staging=staging,shop-dev=development',
    '--cache-ttl-ms', '0',
  ]);
});

afterAll(async () => {
  await webhook?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('signoff-server + signoff-webhook as real processes', () => {
  it('denies the rejected bundle v1 in production, naming the item and the review link', async () => {
    const r = await postReview(webhook!.url, ca, deployment('ml-prod', 'v1', 'e2e-v1-prod'));
    expect(r.status).toBe(200);
    expect(r.json.response.uid).toBe('e2e-v1-prod');
    expect(r.json.response.allowed).toBe(false);
    expect(r.json.response.status).toMatchObject({ code: 403, reason: 'Forbidden' });
    const message: string = r.json.response.status.message;
    expect(message).toContain('shop/web-bundle@v1');
    expect(message).toMatch(/policy prevent/);
    expect(message).toMatch(/https?:\/\/\S+\/items\/\S+/);
    expect(r.json.response.auditAnnotations).toMatchObject({ decision: 'deny', item: 'shop/web-bundle@v1', policy: 'prevent', 'signoff-status': 'Rejected' });
  });

  it('admits v1 in staging with a warning, and in development', async () => {
    const staging = await postReview(webhook!.url, ca, deployment('ml-staging', 'v1', 'e2e-v1-staging'));
    expect(staging.json.response.allowed).toBe(true);
    expect(staging.json.response.warnings.join(' ')).toContain('not approved');
    for (const w of staging.json.response.warnings as string[]) expect(w.length).toBeLessThanOrEqual(120);
    const dev = await postReview(webhook!.url, ca, deployment('shop-dev', 'v1', 'e2e-v1-dev'));
    expect(dev.json.response.allowed).toBe(true);
    expect(dev.json.response.auditAnnotations.policy).toBe('always');
  });

  it('admits the approved v2 everywhere, without warnings', async () => {
    for (const ns of ['ml-prod', 'ml-staging', 'shop-dev']) {
      const r = await postReview(webhook!.url, ca, deployment(ns, 'v2', `e2e-v2-${ns}`));
      expect(r.json.response.allowed, ns).toBe(true);
      expect(r.json.response.warnings, ns).toBeUndefined();
      expect(r.json.response.auditAnnotations).toMatchObject({ decision: 'allow', item: 'shop/web-bundle@v2', 'signoff-status': 'Approved' });
    }
  });

  it('records admitted non-dry-run workloads in the deployment registry, and not dry runs', async () => {
    await postReview(webhook!.url, ca, deployment('ml-prod', 'v2', 'e2e-dry', true));
    const client = new SignoffClient({ baseUrl: server!.url, apiKey: API_KEY });
    const r = await client.listDeployments({ limit: 1000 });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    const uids = r.value.map((d) => (d.target.kind === 'kubernetes' ? d.target.uid : undefined));
    expect(uids).toContain('e2e-v2-ml-prod');
    expect(uids).toContain('e2e-v1-staging');
    expect(uids).not.toContain('e2e-dry');
    // namespace/name, kind, item, decision, requester (userInfo.username) and the AdmissionReview uid
    const v2 = r.value.find((d) => d.target.kind === 'kubernetes' && d.target.uid === 'e2e-v2-ml-prod');
    expect(v2).toMatchObject({
      itemRef: 'shop/web-bundle@v2',
      infrastructureId: 'production',
      outcome: 'allow',
      target: { kind: 'kubernetes', namespace: 'ml-prod', name: 'web', resource: 'deployments', operation: 'CREATE', requester: fixture('deployment-create').request.userInfo.username },
    });
    const staging = r.value.find((d) => d.target.kind === 'kubernetes' && d.target.uid === 'e2e-v1-staging');
    expect(staging).toMatchObject({ itemRef: 'shop/web-bundle@v1', outcome: 'warn', policy: 'warn' });
  });

  it('when the server is gone: denies under prevent, saying so, and admits with a warning under warn', async () => {
    await server!.stop();
    const prod = await postReview(webhook!.url, ca, deployment('ml-prod', 'v2', 'e2e-down-prod'));
    expect(prod.json.response.allowed).toBe(false);
    expect(prod.json.response.status.message).toContain(`the signoff gate could not reach the signoff server at ${server!.url}`);
    const staging = await postReview(webhook!.url, ca, deployment('ml-staging', 'v2', 'e2e-down-staging'));
    expect(staging.json.response.allowed).toBe(true);
    expect(staging.json.response.warnings.join(' ')).toContain('could not reach the signoff server');
  });
});
