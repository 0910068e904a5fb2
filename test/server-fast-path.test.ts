import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, tempDir, type HttpAnswer, type TestServer } from './support/server-harness.js';

/**
 * `POST /api/v1/decisions` from API-key callers is answered before express (packages/ui-lite
 * src/http/decisions-fast-path.ts); any other spelling of the path (here: a trailing slash) still
 * goes through express's route. The two must give the same answers: each request below is sent
 * both ways and the status, the headers that matter and the bodies are compared (minus what
 * differs by nature: the problem's `instance` URL, the decision's time, the deployment id).
 */
const DEMO_KEY = 'sk_fastpath_0123456789abcdefghijklmnopqrstu';
const FAST = '/api/v1/decisions';
const EXPRESS = '/api/v1/decisions/';

function comparable(answer: HttpAnswer): unknown {
  const body = answer.json as Record<string, unknown> | undefined;
  if (body === undefined) return answer.text;
  const { instance: _instance, deploymentId, ...rest } = body;
  const decision = rest.decision as Record<string, unknown> | undefined;
  return {
    ...rest,
    ...(decision ? { decision: { ...decision, decidedAt: typeof decision.decidedAt } } : {}),
    ...(deploymentId !== undefined ? { deploymentId: typeof deploymentId } : {}),
  };
}

describe('POST /api/v1/decisions answered before express, exactly as the express route answers', () => {
  const tmp = tempDir('signoff-fast-');
  let t: TestServer;
  let readOnlyKey: string;
  let itemsKey: string;

  beforeAll(async () => {
    t = await startTestServer({
      store: undefined,
      config: { data: join(tmp.dir, 'signoff.json'), demo: true, demoPassword: ADMIN_PASSWORD, demoApiKey: DEMO_KEY },
    });
    readOnlyKey = (await t.apiKey('decisions-only', ['decisions:read'])).token;
    itemsKey = (await t.apiKey('items-only', ['items:read'])).token;
  });
  afterAll(async () => {
    await t.close();
    tmp.remove();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = { 'content-type': 'application/json' };
  const cases: [string, () => { headers: Record<string, string>; rawBody?: string }, number][] = [
    ['an approved item (dry run)', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: JSON.stringify({ infrastructure: 'production', item: 'shop/web-bundle@v2', dryRun: true }) }), 200],
    ['a rejected item, recorded', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: JSON.stringify({ infrastructure: 'production', item: 'shop/web-bundle@v1', artifacts: ['registry.example.com/shop/web:1.0'] }) }), 200],
    ['a namespace and a charset parameter', () => ({ headers: { ...bearer(DEMO_KEY), 'content-type': 'application/json; charset=utf-8' }, rawBody: JSON.stringify({ namespace: 'shop-prod', item: 'fraud/fraud-model@3', dryRun: true }) }), 200],
    ['a +json media type', () => ({ headers: { ...bearer(DEMO_KEY), 'content-type': 'application/vnd.signoff+json' }, rawBody: JSON.stringify({ infrastructure: 'staging', item: 'shop/web-bundle@v1', dryRun: true }) }), 200],
    ['no Authorization scheme it knows', () => ({ headers: { authorization: 'Basic YWRtaW46YWRtaW4=', ...json }, rawBody: '{}' }), 401],
    ['an unknown key', () => ({ headers: { ...bearer('sk_unknown_notarealsecretnotarealsecret'), ...json }, rawBody: '{}' }), 401],
    ['a key without decisions:read', () => ({ headers: { ...bearer(itemsKey), ...json }, rawBody: JSON.stringify({ infrastructure: 'production', dryRun: true }) }), 403],
    ['a read-only key asking to record', () => ({ headers: { ...bearer(readOnlyKey), ...json }, rawBody: JSON.stringify({ infrastructure: 'production', item: 'shop/web-bundle@v2' }) }), 403],
    ['broken JSON', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: '{"infrastructure": "production",' }), 400],
    ['JSON that is not an object', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: '"production"' }), 400],
    ['broken JSON from a key without the scope (the body parser answers first)', () => ({ headers: { ...bearer(itemsKey), ...json }, rawBody: '{' }), 400],
    ['a body that is not JSON', () => ({ headers: { ...bearer(DEMO_KEY), 'content-type': 'text/plain' }, rawBody: 'infrastructure=production' }), 415],
    ['a body over 1 MiB', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: JSON.stringify({ infrastructure: 'production', item: 'x'.repeat(1_100_000) }) }), 413],
    ['no body at all', () => ({ headers: bearer(DEMO_KEY) }), 400],
    ['fields of the wrong type', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: JSON.stringify({ infrastructure: 5, artifacts: 'nginx', dryRun: 'yes' }) }), 400],
    ['two infrastructures at once', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: JSON.stringify({ infrastructure: 'production', namespace: 'shop-prod', dryRun: true }) }), 400],
    ['an unknown infrastructure', () => ({ headers: { ...bearer(DEMO_KEY), ...json }, rawBody: JSON.stringify({ infrastructure: 'moon', dryRun: true }) }), 404],
  ];

  it.each(cases)('%s', async (_name, make, status) => {
    const fast = await t.request('POST', FAST, make());
    const viaExpress = await t.request('POST', EXPRESS, make());
    expect(fast.status, fast.text).toBe(status);
    expect(viaExpress.status, viaExpress.text).toBe(status);
    expect(comparable(fast)).toEqual(comparable(viaExpress));
    for (const header of ['content-type', 'www-authenticate', 'x-content-type-options']) {
      expect(fast.headers.get(header), header).toBe(viaExpress.headers.get(header));
    }
    expect(fast.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    if (status >= 400) expect((fast.json as { instance?: string }).instance).toBe(FAST);
  });

  it('echoes a sane x-request-id and replaces one that is not', async () => {
    const given = await t.request('POST', FAST, { headers: { ...bearer(DEMO_KEY), ...json, 'x-request-id': 'deploy-42.attempt:1' }, rawBody: JSON.stringify({ infrastructure: 'production', dryRun: true }) });
    expect(given.headers.get('x-request-id')).toBe('deploy-42.attempt:1');
    const insane = await t.request('POST', FAST, { headers: { ...bearer(DEMO_KEY), ...json, 'x-request-id': 'a b<script>' }, rawBody: JSON.stringify({ infrastructure: 'production', dryRun: true }) });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('records what it admits in the registry and counts it in the metrics, as the express route does', async () => {
    const before = await t.request('GET', '/api/v1/deployments?infrastructureId=development', { headers: bearer(DEMO_KEY) });
    const body = JSON.stringify({ infrastructure: 'development', item: 'shop/web-bundle@v2', artifacts: ['registry.example.com/shop/web:2.0'] });
    const answer = await t.request('POST', FAST, { headers: { ...bearer(DEMO_KEY), ...json }, rawBody: body });
    expect(answer.status).toBe(200);
    expect(answer.json.deploymentId).toMatch(/^dep_/);
    const after = await t.request('GET', '/api/v1/deployments?infrastructureId=development', { headers: bearer(DEMO_KEY) });
    expect(after.json.length).toBe(before.json.length + 1);
    expect(after.json[0].id).toBe(answer.json.deploymentId);
    const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/signoff_http_requests_total\{method="POST",route="\/api\/v1\/decisions",status="200"\} [1-9]/);
    expect(metrics).toMatch(/signoff_decisions_total\{outcome="allow",policy="always"\} [1-9]/);
  });
});
