import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createMemoryStore } from '../store/memory-store.js';
import { createGovernanceService, type GovernanceServiceInternals } from '../service/service.js';
import { ManualClock, testPasswordParams } from '../service/test-helpers.js';
import { loadDemoWorld, type DemoWorld } from '../demo/demo-world.js';
import { principalFromUser } from '../auth/principal.js';
import type { Principal, User } from '../schemas/principal.js';
import type { Item } from '../schemas/item.js';
import type { Result } from '../result.js';
import { apiRoutes, type apiRouteList, type ApiOperationId } from './routes.js';

/** What the server does for a route: validate params, query and body with its schemas, then invoke. */
async function call(svc: GovernanceServiceInternals, actor: Principal, op: ApiOperationId, input: { params?: unknown; query?: unknown; body?: unknown } = {}): Promise<Result<unknown>> {
  const route = apiRoutes[op] as (typeof apiRouteList)[number];
  const parse = (schema: z.ZodType | undefined, v: unknown) => (schema ? schema.parse(v ?? {}) : undefined);
  return route.invoke(svc, actor, { params: parse(route.params, input.params), query: parse(route.query, input.query), body: parse(route.body, input.body) });
}

function value<T>(r: Result<unknown>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

describe('the route table over the real service', () => {
  let svc: GovernanceServiceInternals;
  let world: DemoWorld;
  const as = (n: string) => principalFromUser(world.users[n] as User);

  beforeAll(async () => {
    const clock = new ManualClock();
    svc = createGovernanceService({ store: createMemoryStore(), clock, publicUrl: 'http://localhost:8080', passwordParams: testPasswordParams });
    world = await loadDemoWorld(svc, { clock, password: 'demo-password' });
  });

  it('drives every sign-off endpoint on a new item', async () => {
    const olivia = as('olivia');
    const shop = world.projects.shop;
    const item = value<Item>(await call(svc, olivia, 'registerItem', { body: { kind: 'bundle', projectId: shop?.id, name: 'api-bundle', version: '1', artifacts: { images: [`r.example.com/a@sha256:${'a'.repeat(64)}`] }, importance: 'Low' } }));
    const ref = 'shop/api-bundle@1';
    const so = (i: Item) => Object.values(i.signoffs)[0];
    let it = value<Item>(await call(svc, olivia, 'requestFeedback', { params: { id: ref }, body: { notify: [] } }));
    expect(so(it)?.status).toBe('Waiting for feedback');
    it = value<Item>(await call(svc, as('bob'), 'submitFeedback', { params: { id: ref }, body: { groupId: 'business', status: 'Minor issues', comment: 'typo' } }));
    const reviewId = so(it)?.feedback[0]?.id ?? '';
    it = value<Item>(await call(svc, as('bob'), 'editFeedback', { params: { id: ref, reviewId }, body: { status: 'Approved' } }));
    expect(so(it)?.feedback[0]?.status).toBe('Approved');
    expect(await call(svc, as('ivan'), 'deleteFeedback', { params: { id: ref, reviewId } })).toMatchObject({ ok: false });
    it = value<Item>(await call(svc, as('bob'), 'deleteFeedback', { params: { id: ref, reviewId } }));
    expect(so(it)?.feedback).toEqual([]);
    it = value<Item>(await call(svc, as('fiona'), 'delegate', { params: { id: ref }, body: { scope: 'final', to: world.users.rita?.id } }));
    expect(so(it)?.delegations).toHaveLength(1);
    value<Item>(await call(svc, olivia, 'requestFinalApproval', { params: { id: ref }, body: {} }));
    it = value<Item>(await call(svc, olivia, 'backToFeedback', { params: { id: ref }, body: {} }));
    expect(so(it)?.status).toBe('Waiting for feedback');
    value<Item>(await call(svc, olivia, 'requestFinalApproval', { params: { id: ref }, body: {} }));
    value<Item>(await call(svc, as('fiona'), 'finalApproval', { params: { id: ref }, body: { status: 'Rejected' } }));
    it = value<Item>(await call(svc, as('fiona'), 'editFinalApproval', { params: { id: ref }, body: { status: 'Approved', comment: 'on second thought' } }));
    expect(so(it)?.status).toBe('Approved');
    it = value<Item>(await call(svc, olivia, 'scheduleReset', { params: { id: ref }, body: { every: 'P90D' } }));
    expect(so(it)?.resetSchedule?.every).toBe('P90D');
    it = value<Item>(await call(svc, olivia, 'cancelScheduledReset', { params: { id: ref } }));
    expect(so(it)?.resetSchedule).toBeUndefined();
    it = value<Item>(await call(svc, olivia, 'reset', { params: { id: ref }, body: { comment: 'again' } }));
    expect(so(it)?.round).toBe(2);
    value<Item>(await call(svc, olivia, 'requestFeedback', { params: { id: ref }, body: {} }));
    it = value<Item>(await call(svc, olivia, 'abandon', { params: { id: ref }, body: { comment: 'paused' } }));
    expect(so(it)?.status).toBe('Abandoned');
    it = value<Item>(await call(svc, olivia, 'cancelAbandon', { params: { id: ref }, body: {} }));
    expect(so(it)?.status).toBe('Waiting for feedback');
    expect(it.id).toBe(item.id);
  });

  it('never shows password hashes or key hashes, and shows a new key secret once', async () => {
    const admin = as('admin');
    const users = value<object[]>(await call(svc, admin, 'listUsers'));
    expect(JSON.stringify(users)).not.toContain('scrypt$');
    const created = value<{ key: object; secret: string }>(await call(svc, admin, 'createApiKey', { body: { name: 'ci', scopes: ['decisions:read'] } }));
    expect(created.key).not.toHaveProperty('secretHash');
    expect(created.secret).toMatch(/^sk_/);
    expect(JSON.stringify(value(await call(svc, admin, 'listApiKeys')))).not.toContain('sha256$');
    const me = value<Principal>(await call(svc, as('bob'), 'me'));
    expect(me).toMatchObject({ kind: 'user', username: 'bob' });
  });

  it('answers a decision and lists it in the registry', async () => {
    const admin = as('admin');
    const out = value<{ decision: { outcome: string }; deploymentId?: string }>(await call(svc, admin, 'decide', { body: { infrastructure: 'production', item: 'shop/db-bundle@14', artifacts: ['registry.example.com/shop/postgres@sha256:01bf57f388427ded1975b9eeb2e056a10890a7e7b3569adead050561737f6a98'] } }));
    expect(out.decision.outcome).toBe('allow');
    const records = value<{ id: string }[]>(await call(svc, as('bob'), 'listDeployments', { query: { infrastructureId: 'production', limit: '5' } }));
    expect(records[0]?.id).toBe(out.deploymentId);
    const status = value<{ signoffStatus: string }>(await call(svc, as('bob'), 'governanceStatus', { params: { id: 'shop/web-bundle@v1' } }));
    expect(status.signoffStatus).toBe('Rejected');
  });
});
