/**
 * The server's decision, registry, audit, API-key and OpenAPI endpoints over real HTTP on
 * port 0, through the typed SignoffClient where it fits, on the demo world (DESIGN.md) stored in
 * a real lowdb file: decisions by infrastructure id, Kubernetes namespace and GitHub repository +
 * environment; confirmation reasons; dry runs; the production-step setting; registry filters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRouteList, notificationRouteList, SignoffClient, type DecisionInputBody, type Item, type Result, type WorkflowTemplate } from '@signoff/core';
import { ADMIN_PASSWORD, startTestServer, tempDir, type TestServer } from './support/server-harness.js';

const DEMO_KEY = 'demo-api-key-for-server-api-test';
const V1 = [`registry.example.com/shop/web@sha256:${'1'.repeat(64)}`];
const V2 = [
  'registry.example.com/shop/migrate@sha256:f9dd5b2b58fa538351ebd52919da1c655c87b195738d74934b8ea8629e76dc80',
  'registry.example.com/shop/web@sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2',
  'registry.example.com/platform/envoy@sha256:3d7756922516b7c436c7349cca27846c4f6fa4cc766ec85b30e525611b3b6aca',
];

function must<T>(r: Result<T>, what = 'call'): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

describe('server API: decisions, registry, audit, API keys, OpenAPI', () => {
  const tmp = tempDir('signoff-api-');
  const dataFile = join(tmp.dir, 'signoff.json');
  let t: TestServer;
  let admin: SignoffClient;
  let deployer: SignoffClient;

  beforeAll(async () => {
    t = await startTestServer({
      store: undefined,
      config: { data: dataFile, demo: true, demoPassword: ADMIN_PASSWORD, demoApiKey: DEMO_KEY },
    });
    admin = t.client(t.admin);
    deployer = new SignoffClient({ baseUrl: t.url, apiKey: DEMO_KEY });
  });
  afterAll(async () => {
    await t.close();
    tmp.remove();
  });

  const deployments = async (filter: Parameters<SignoffClient['listDeployments']>[0] = {}) => must(await deployer.listDeployments(filter), 'deployments');
  const auditLength = async () => must(await admin.listAudit({}), 'audit').length;

  describe('POST /api/v1/decisions', () => {
    it('finds the infrastructure by id, by Kubernetes namespace, and by GitHub repository + environment (exact or owner/*)', async () => {
      const ask = async (where: Partial<DecisionInputBody>) =>
        must(await deployer.decide({ item: 'shop/web-bundle@v1', artifacts: V1, dryRun: true, ...where }), JSON.stringify(where)).decision;
      expect(await ask({ infrastructure: 'production' })).toMatchObject({ infrastructureId: 'production', outcome: 'deny' });
      expect(await ask({ namespace: 'ml-staging' })).toMatchObject({ infrastructureId: 'staging', outcome: 'warn' });
      expect(await ask({ namespace: 'shop-prod' })).toMatchObject({ infrastructureId: 'production', outcome: 'deny' });
      // The demo maps example/* environments; an exact mapping wins over the owner's wildcard.
      expect(await ask({ github: { repository: 'example/shop', environment: 'development' } })).toMatchObject({ infrastructureId: 'development', outcome: 'allow' });
      must(await admin.call('createInfrastructure', { body: { id: 'shop-canary', name: 'Shop canary', policy: 'prevent', githubEnvironments: [{ repository: 'example/shop', environment: 'staging' }] } }), 'canary');
      expect(await ask({ github: { repository: 'Example/Shop', environment: 'staging' } })).toMatchObject({ infrastructureId: 'shop-canary', outcome: 'deny' });
      expect(await ask({ github: { repository: 'example/other', environment: 'staging' } })).toMatchObject({ infrastructureId: 'staging' });
    });

    it('names the field when the infrastructure cannot be found or is given twice', async () => {
      const unknownNs = await t.request('POST', '/api/v1/decisions', { auth: { kind: 'apiKey', token: DEMO_KEY }, body: { namespace: 'nowhere', item: 'shop/web-bundle@v1', dryRun: true } });
      expect(unknownNs.status).toBe(404);
      expect(unknownNs.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(unknownNs.json.issues).toEqual([expect.objectContaining({ path: ['namespace'] })]);
      const unmapped = await t.request('POST', '/api/v1/decisions', { auth: { kind: 'apiKey', token: DEMO_KEY }, body: { github: { repository: 'elsewhere/app', environment: 'production' }, dryRun: true } });
      expect(unmapped.status).toBe(404);
      expect(unmapped.json.issues).toEqual([expect.objectContaining({ path: ['github'] })]);
      const both = await t.request('POST', '/api/v1/decisions', { auth: { kind: 'apiKey', token: DEMO_KEY }, body: { infrastructure: 'production', namespace: 'shop-prod', dryRun: true } });
      expect(both.status).toBe(400);
      expect(both.json).toMatchObject({ code: 'VALIDATION' });
      expect(both.json.issues).toEqual([expect.objectContaining({ path: ['infrastructure'] })]);
    });

    it('records nothing for a dry run: no deployment, no audit event, no workflow change', async () => {
      const before = { deployments: (await deployments()).length, audit: await auditLength(), v2: must(await admin.getItem('shop/web-bundle@v2')) };
      for (const infrastructure of ['development', 'staging', 'production']) {
        const out = must(await deployer.decide({ infrastructure, item: 'shop/web-bundle@v2', artifacts: V2, dryRun: true }), infrastructure);
        expect(out.decision.outcome).toBe('allow');
        expect(out.deploymentId).toBeUndefined();
      }
      expect((await deployments()).length).toBe(before.deployments);
      expect(await auditLength()).toBe(before.audit);
      expect(must(await admin.getItem('shop/web-bundle@v2'))).toEqual(before.v2);
    });

    it('records the confirmation reason of a confirmed deployment where the infrastructure requires one', async () => {
      must(await admin.call('createInfrastructure', { body: { id: 'preprod', name: 'Pre-production', policy: 'warn', requireConfirmation: true } }), 'preprod');
      const refused = must(await deployer.decide({ infrastructure: 'preprod', item: 'shop/web-bundle@v1', artifacts: V1 }), 'unconfirmed');
      expect(refused.decision).toMatchObject({ outcome: 'deny', confirmed: false });
      const reason = 'Hotfix for INC-1234, approved on the bridge call';
      const confirmed = must(await deployer.decide({ infrastructure: 'preprod', item: 'shop/web-bundle@v1', artifacts: V1, confirmation: { reason } }), 'confirmed');
      expect(confirmed.decision).toMatchObject({ outcome: 'warn', confirmed: true });
      const records = await deployments({ infrastructureId: 'preprod' });
      expect(records.map((d) => [d.outcome, d.confirmation?.reason])).toEqual([
        ['warn', reason],
        ['deny', undefined],
      ]);
      expect(records[0]!.id).toBe(confirmed.deploymentId);
      // The audit event of the record carries the reason too.
      const events = must(await admin.listAudit({ subject: `deployments/${confirmed.deploymentId}` }));
      expect(JSON.stringify(events)).toContain(reason);
    });

    it('moves the item to its Production step after an admitted deployment only where the infrastructure says so', async () => {
      const templates = must<WorkflowTemplate[]>(await admin.call('listTemplates'), 'templates');
      const productionStep = (item: Item) => {
        const template = templates.find((x) => x.id === item.workflow.templateId)!;
        const id = template.steps.find((s) => s.production)!.id;
        return item.workflow.steps.find((s) => s.id === id)!.status;
      };
      expect(productionStep(must(await admin.getItem('shop/web-bundle@v2')))).toBe('Not started');
      // Staging is not production and does not advance workflows; a denied deployment never does.
      must(await deployer.decide({ infrastructure: 'staging', item: 'shop/web-bundle@v2', artifacts: V2 }));
      must(await admin.call('updateInfrastructure', { params: { id: 'production' }, body: { advanceWorkflowOnDeploy: false } }), 'setting off');
      must(await deployer.decide({ infrastructure: 'production', item: 'shop/web-bundle@v2', artifacts: V2 }));
      expect(productionStep(must(await admin.getItem('shop/web-bundle@v2')))).toBe('Not started');
      must(await deployer.decide({ infrastructure: 'production', item: 'shop/web-bundle@v1', artifacts: V1 }));
      must(await admin.call('updateInfrastructure', { params: { id: 'production' }, body: { advanceWorkflowOnDeploy: true } }), 'setting on');
      must(await deployer.decide({ infrastructure: 'production', item: 'shop/web-bundle@v1', artifacts: V1 }));
      expect(productionStep(must(await admin.getItem('shop/web-bundle@v1')))).toBe('Not started');
      const admitted = must(await deployer.decide({ infrastructure: 'production', item: 'shop/web-bundle@v2', artifacts: V2 }));
      expect(admitted.decision.outcome).toBe('allow');
      const v2 = must(await admin.getItem('shop/web-bundle@v2'));
      expect(productionStep(v2)).toBe('Ongoing');
      const events = must(await admin.listAudit({ subject: `items/${v2.id}` }));
      expect(events.at(-1)).toMatchObject({ action: 'item.workflow.production' });
    });
  });

  describe('GET /api/v1/deployments', () => {
    it('filters the registry by item, infrastructure and time, newest first', async () => {
      const v2 = must(await admin.getItem('shop/web-bundle@v2'));
      const first = must(await deployer.decide({ infrastructure: 'development', item: v2.id, artifacts: V2, target: { kind: 'other', description: 'first' } }));
      await new Promise((r) => setTimeout(r, 15));
      const mid = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 15));
      const second = must(await deployer.decide({ infrastructure: 'development', item: v2.id, artifacts: V2, target: { kind: 'other', description: 'second' } }));

      const forItem = await deployments({ itemId: v2.id, infrastructureId: 'development' });
      expect(forItem.slice(0, 2).map((d) => d.id)).toEqual([second.deploymentId, first.deploymentId]);
      expect(forItem.every((d) => d.itemId === v2.id && d.infrastructureId === 'development')).toBe(true);
      expect((await deployments({ itemId: v2.id, since: mid })).map((d) => d.id)).toEqual([second.deploymentId]);
      const until = await deployments({ itemId: v2.id, infrastructureId: 'development', until: mid });
      expect(until.map((d) => d.id)).toContain(first.deploymentId);
      expect(until.map((d) => d.id)).not.toContain(second.deploymentId);
      expect(await deployments({ itemId: v2.id, limit: 1 })).toHaveLength(1);
      const all = await deployments();
      expect(all.map((d) => d.at)).toEqual([...all.map((d) => d.at)].sort().reverse());

      const bad = await t.request('GET', '/api/v1/deployments?since=yesterday&limit=0', { auth: { kind: 'apiKey', token: DEMO_KEY } });
      expect(bad.status).toBe(400);
      expect(bad.json.issues.map((i: { path: unknown[] }) => i.path)).toEqual(expect.arrayContaining([['query', 'since'], ['query', 'limit']]));
    });
  });

  describe('GET /api/v1/audit and /audit/verify', () => {
    it('gives admins the whole chained log, others one item or project, and verifies the chain', async () => {
      const all = must(await admin.listAudit({}), 'audit');
      expect(all.length).toBeGreaterThan(20);
      expect(all.map((e) => e.seq)).toEqual(all.map((_e, i) => all[0]!.seq + i));
      expect(all.slice(1).every((e, i) => e.prevHash === all[i]!.hash)).toBe(true);
      expect(must(await admin.listAudit({ afterSeq: all.at(-3)!.seq })).map((e) => e.seq)).toEqual(all.slice(-2).map((e) => e.seq));
      expect(must(await admin.listAudit({ limit: 5 }))).toHaveLength(5);

      const olivia = t.client(await t.login('olivia', ADMIN_PASSWORD));
      const v1 = must(await olivia.getItem('shop/web-bundle@v1'));
      const history = must(await olivia.listAudit({ subject: `items/${v1.id}` }), 'item history');
      expect(history.length).toBeGreaterThan(0);
      expect(history.every((e) => e.subject === `items/${v1.id}`)).toBe(true);
      expect(history.map((e) => e.action)).toContain('signoff.finalApproval');
      const whole = await olivia.listAudit({});
      expect(!whole.ok && whole.error.code).toBe('FORBIDDEN');
      expect(!(await deployer.listAudit({ subject: `items/${v1.id}` })).ok).toBe(true);

      expect(must(await admin.verifyAudit())).toMatchObject({ ok: true });
      const verify = await t.request('GET', '/api/v1/audit/verify', { auth: { kind: 'apiKey', token: DEMO_KEY } });
      expect(verify.status).toBe(403);
    });
  });

  describe('API keys', () => {
    it('shows the secret once, stores only its hash, honours scopes, and stops working when revoked', async () => {
      const created = await t.request('POST', '/api/v1/api-keys', { auth: t.admin, body: { name: 'badge-reader', scopes: ['items:read'] } });
      expect(created.status).toBe(201);
      const secret = created.json.secret as string;
      expect(secret).toMatch(/^sk_[A-Za-z0-9]+_[A-Za-z0-9_-]{20,}$/);
      // The part after the prefix (it may itself hold '_': splitting on the last one left two characters
      // now and then, which a file full of hashes contains by chance)
      const body = secret.replace(/^sk_[A-Za-z0-9]+_/, '');
      expect(JSON.stringify(created.json.key)).not.toContain(body);
      const listed = await t.request('GET', '/api/v1/api-keys', { auth: t.admin });
      const mine = listed.json.find((k: { id: string }) => k.id === created.json.key.id);
      expect(mine).toMatchObject({ name: 'badge-reader', scopes: ['items:read'] });
      expect(JSON.stringify(listed.json)).not.toContain(body);
      expect(JSON.stringify(listed.json)).not.toMatch(/secretHash|scrypt|\$/);
      // Hashed at rest: the data file and its journal never hold the secret.
      const onDisk = readFileSync(dataFile, 'utf8') + readFileSync(`${dataFile}.journal`, { encoding: 'utf8', flag: 'a+' });
      expect(onDisk).toContain(created.json.key.id);
      expect(onDisk).not.toContain(body);

      // Scoped: a badge or design tool reads the governance status per item, nothing it was not given.
      const key = { kind: 'apiKey', token: secret } as const;
      const badge = new SignoffClient({ baseUrl: t.url, apiKey: secret });
      expect(must(await badge.governanceStatus('shop/web-bundle@v2'))).toMatchObject({ signoffStatus: 'Approved', approved: true });
      expect(must(await badge.governanceStatus('fraud/fraud-model@3'))).toMatchObject({ approved: false });
      const status = await t.request('GET', `/api/v1/items/${encodeURIComponent('shop/web-bundle@v1')}/status`, { auth: key });
      expect(status.status).toBe(200);
      expect(status.json).toMatchObject({ signoffStatus: 'Rejected', approved: false });
      expect((await t.request('POST', '/api/v1/decisions', { auth: key, body: { infrastructure: 'production', item: 'shop/web-bundle@v2', dryRun: true } })).status).toBe(403);
      expect((await t.request('GET', '/api/v1/audit', { auth: key })).status).toBe(403);

      // Revocable, at once (the key cache is cleared by the revocation).
      const revoked = await t.request('DELETE', `/api/v1/api-keys/${created.json.key.id}`, { auth: t.admin, headers: {} });
      expect(revoked.status).toBe(200);
      expect(revoked.json.revokedAt).toEqual(expect.any(String));
      const after = await t.request('GET', `/api/v1/items/${encodeURIComponent('shop/web-bundle@v2')}/status`, { auth: key });
      expect(after.status).toBe(401);
      expect(after.json).toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });

  describe('GET /api/v1/openapi.json', () => {
    it('serves an OpenAPI 3.1 document with every route of the table, its schemas and problem answers', async () => {
      const answer = await fetch(`${t.url}/api/v1/openapi.json`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      const doc = (await answer.json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: Record<string, unknown> }>> };
      expect(doc.openapi).toBe('3.1.0');
      // The server mounts the notification routes beside core's table: they are documented too.
      for (const route of [...apiRouteList, ...notificationRouteList]) {
        const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
        const op = doc.paths[path]?.[route.method.toLowerCase()];
        expect(op?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
        if (route.body) expect(op?.requestBody, route.operationId).toBeDefined();
      }
      const decide = doc.paths['/api/v1/decisions']!.post!;
      expect(JSON.stringify(decide.requestBody)).toContain('namespace');
      expect(JSON.stringify(decide.responses)).toContain('application/problem+json');
    });
  });
});
