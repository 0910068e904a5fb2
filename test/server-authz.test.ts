/**
 * The authorisation matrix: every route of core's route table × {anonymous, viewer, reviewer of
 * the item's group, reviewer of another group, delegate, owner, admin, API key with and without
 * the route's scope}, each asserting the exact status code. A route without a row fails the test,
 * so a new route cannot ship unchecked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRouteList, pathFor, Scope, type ApiRoute } from '@signoff/core';
import { FEEDBACK_GROUP, seedWorld, type Fixture, type ItemState, type World } from './support/server-world.js';
import { anonymous, must, startTestServer, type Auth, type TestServer } from './support/server-harness.js';

const WHO = ['anonymous', 'viewer', 'reviewer', 'otherReviewer', 'delegate', 'owner', 'admin', 'keyWith', 'keyWithout'] as const;
type Who = (typeof WHO)[number];
type Expect = Partial<Record<Who, number>>;

interface Ctx {
  world: World;
  fx: Fixture;
  t: TestServer;
  unique: (p: string) => string;
}

interface Row {
  /** Fresh fixture per cell in this state; shared objects otherwise. */
  state?: ItemState;
  params?: (c: Ctx) => Promise<Record<string, string>> | Record<string, string>;
  query?: (c: Ctx) => Record<string, string>;
  body?: (c: Ctx) => unknown;
  /** Expected status per principal; `users` sets viewer, reviewer, otherReviewer, delegate and owner at once. */
  expect: Expect & { users?: number };
}

const read = (status = 200): Row => ({ expect: { users: status, admin: status, keyWith: status } });
const adminOnly = (status: number, row: Omit<Row, 'expect'> = {}): Row => ({ ...row, expect: { users: 403, admin: status, keyWith: status } });
const ownerOnly = (status: number, row: Omit<Row, 'expect'>, keyWith = 403): Row => ({ ...row, expect: { users: 403, owner: status, admin: status, keyWith } });
/** Sign-off workflow actions: the owner and admins run them; reviewers and keys may not. */
const workflowAction = (state: ItemState, body: (c: Ctx) => unknown = () => ({})): Row => ({ state, body, expect: { users: 403, owner: 200, admin: 200, keyWith: 403 } });
/**
 * Actions the final approver may also take (abandon, cancel abandon, back to feedback): the
 * world's reviewer is a final approver, and the delegate holds the final approval's delegation.
 */
const approverAction = (state: ItemState, body: (c: Ctx) => unknown = () => ({})): Row => ({
  state,
  body,
  expect: { users: 403, reviewer: 200, delegate: 200, owner: 200, admin: 200, keyWith: 403 },
});

const rows: Record<string, Row> = {
  me: read(),
  createUser: adminOnly(201, { body: (c) => ({ username: c.unique('u'), displayName: 'New user' }) }),
  listUsers: { expect: { users: 200, admin: 200, keyWith: 200 } },
  updateUser: { body: () => ({ displayName: 'Renamed viewer' }), expect: { users: 403, viewer: 200, admin: 200, keyWith: 200 } },
  createGroup: adminOnly(201, { body: (c) => ({ id: c.unique('g'), name: 'New group' }) }),
  listGroups: read(),
  createApiKey: adminOnly(201, { body: (c) => ({ name: c.unique('k'), scopes: ['items:read'] }) }),
  listApiKeys: adminOnly(200),
  revokeApiKey: adminOnly(200, { params: async (c) => ({ id: must(await c.t.service.createApiKey(c.world.principals.admin, { name: c.unique('k'), scopes: ['items:read'] })).key.id }) }),
  listTemplates: read(),
  createTemplate: adminOnly(201, {
    body: (c) => ({ id: c.unique('tpl'), name: 'Custom', appliesTo: ['bundle'], steps: [{ id: 'only', name: 'Only step', signoff: { mandatory: true } }] }),
  }),
  createProject: { body: (c) => ({ key: c.unique('np'), name: 'New project', owner: c.world.principals.owner.id }), expect: { users: 403, owner: 201, admin: 201, keyWith: 201 } },
  listProjects: read(),
  getProject: read(),
  updateProject: ownerOnly(200, { body: () => ({ description: 'Edited' }) }),
  setQualification: ownerOnly(200, { body: () => ({ value: 3, risk: 2, feasibility: 4, decision: 'Go' }) }),
  setReviewers: ownerOnly(200, { body: (c) => ({ feedbackGroups: [{ groupId: FEEDBACK_GROUP, assignees: [{ kind: 'group', id: 'grp-a' }] }], finalApprovers: [{ kind: 'user', id: c.world.principals.reviewer.id }] }) }),
  updateProjectStep: ownerOnly(200, { body: () => ({ status: 'Ongoing', notes: 'Started' }) }),
  deleteProject: ownerOnly(200, { state: 'not-started' }),
  createModel: ownerOnly(201, { body: (c) => ({ projectId: c.fx.project.id, name: c.unique('m') }) }, 201),
  listModels: read(),
  deleteModel: ownerOnly(200, { state: 'not-started' }),
  registerItem: ownerOnly(
    201,
    { body: (c) => ({ kind: 'bundle', projectId: c.fx.project.id, name: 'app', version: c.unique('v'), artifacts: { images: [`registry.example.com/x@sha256:${'c'.repeat(64)}`] }, importance: 'Low' }) },
    201,
  ),
  listItems: read(),
  getItem: read(),
  governanceStatus: read(),
  updateItem: ownerOnly(200, { body: () => ({ description: 'Edited', importance: 'Critical' }) }, 200),
  deleteItem: ownerOnly(200, { state: 'not-started' }),
  updateItemStep: ownerOnly(200, { state: 'not-started', params: (c) => ({ id: c.fx.item.id, stepId: c.world.bundleTemplate.steps[0]!.id }), body: () => ({ notes: 'Built', status: 'Ongoing' }) }, 200),

  requestFeedback: workflowAction('not-started', () => ({ notify: [] })),
  submitFeedback: { state: 'feedback', body: () => ({ groupId: FEEDBACK_GROUP, status: 'Approved', comment: 'fine' }), expect: { users: 403, reviewer: 200, delegate: 200, admin: 403, keyWith: 403 } },
  editFeedback: { state: 'feedback-with-review', body: () => ({ status: 'Minor issues' }), expect: { users: 403, reviewer: 200, admin: 403, keyWith: 403 } },
  deleteFeedback: { state: 'feedback-with-review', expect: { users: 403, reviewer: 200, admin: 403, keyWith: 403 } },
  // A reviewer of the scope (a delegate included), the owner or an admin may hand a review on.
  delegate: approverAction('feedback', (c) => ({ scope: FEEDBACK_GROUP, to: c.world.principals.viewer.id })),
  requestFinalApproval: workflowAction('feedback-with-review', () => ({ notify: [] })),
  backToFeedback: approverAction('final'),
  finalApproval: { state: 'final', body: () => ({ status: 'Approved' }), expect: { users: 403, reviewer: 200, delegate: 200, admin: 403, keyWith: 403 } },
  editFinalApproval: { state: 'approved', body: () => ({ comment: 'Still fine' }), expect: { users: 403, reviewer: 200, admin: 403, keyWith: 403 } },
  abandon: approverAction('feedback', () => ({ comment: 'Not needed' })),
  cancelAbandon: approverAction('abandoned'),
  reset: workflowAction('feedback-with-review', () => ({ comment: 'New round' })),
  scheduleReset: workflowAction('feedback', () => ({ every: 'P30D' })),
  cancelScheduledReset: workflowAction('scheduled'),
  myReviews: read(),

  createInfrastructure: adminOnly(201, { body: (c) => ({ id: c.unique('infra'), name: 'New infrastructure', policy: 'warn' }) }),
  listInfrastructures: read(),
  getInfrastructure: read(),
  updateInfrastructure: adminOnly(200, { body: () => ({ description: 'Edited' }) }),
  deleteInfrastructure: adminOnly(200, { params: async (c) => ({ id: must(await c.t.service.createInfrastructure(c.world.principals.admin, { id: c.unique('gone'), name: 'Gone' } as never)).id }) }),
  decide: { body: (c) => ({ infrastructure: c.world.shared.infrastructureId, item: c.fx.item.id, dryRun: true }), expect: { users: 200, admin: 200, keyWith: 200 } },
  listDeployments: read(),
  listAudit: adminOnly(200),
  verifyAudit: adminOnly(200),
};

function expected(row: Row, who: Who): number {
  if (who === 'anonymous') return 401;
  if (who === 'keyWithout') return 403;
  const e = row.expect;
  const user = who !== 'admin' && who !== 'keyWith';
  return e[who] ?? (user ? e.users : undefined) ?? NaN;
}

/** A scope that does not let a key call `route` (none exists when every scope does). */
function scopeWithout(route: ApiRoute): string | undefined {
  return Scope.options.find((s) => s !== 'admin' && !route.scopes.includes(s));
}

describe('authorisation matrix', () => {
  let t: TestServer;
  let world: World;
  const auths: Partial<Record<Who, Auth>> = { anonymous };
  let n = 0;
  const unique = (p: string) => `${p}${++n}x${Date.now().toString(36).slice(-3)}`;

  beforeAll(async () => {
    t = await startTestServer();
    world = await seedWorld(t);
    auths.admin = t.admin;
    for (const [who, username] of [['viewer', 'w-viewer'], ['reviewer', 'w-reviewer'], ['otherReviewer', 'w-other'], ['delegate', 'w-delegate'], ['owner', 'w-owner']] as const) {
      auths[who] = await t.login(username, 'world-password-1');
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('has a row for every route of the route table', () => {
    const missing = apiRouteList.filter((r) => r.operationId !== 'login' && !(r.operationId in rows)).map((r) => r.operationId);
    expect(missing).toEqual([]);
  });

  it('login is public: right password 200, wrong 401, for anyone', async () => {
    expect((await t.request('POST', '/api/v1/session', { body: { username: 'w-viewer', password: 'world-password-1' } })).status).toBe(200);
    expect((await t.request('POST', '/api/v1/session', { body: { username: 'w-viewer', password: 'wrong-password' } })).status).toBe(401);
  });

  for (const route of apiRouteList.filter((r) => r.operationId !== 'login')) {
    it(`${route.operationId} (${route.method} ${route.path})`, async () => {
      const row = rows[route.operationId];
      if (!row) throw new Error(`no matrix row for ${route.operationId}`);
      const keyWith = route.scopes.length > 0 ? await t.apiKey(unique('with'), [route.scopes[0]!]) : undefined;
      const without = scopeWithout(route);
      const keyWithout = without ? await t.apiKey(unique('without'), [without]) : undefined;
      const actual: Partial<Record<Who, number>> = {};
      const want: Partial<Record<Who, number>> = {};
      for (const who of WHO) {
        const auth = who === 'keyWith' ? keyWith : who === 'keyWithout' ? keyWithout : auths[who];
        if (!auth) continue; // a route no key may call has no "key with the scope"; one every key may call has no "without"
        const fx = row.state ? await world.fixture(row.state) : world.shared.fixture;
        const ctx: Ctx = { world, fx, t, unique };
        const params = row.params ? await row.params(ctx) : world.paramsFor(route, fx);
        const query = row.query?.(ctx);
        const path = pathFor(route.path, params) + (query ? `?${new URLSearchParams(query).toString()}` : '');
        const body = route.body ? (row.body?.(ctx) ?? {}) : undefined;
        const answer = await t.request(route.method, path, { auth, ...(body !== undefined ? { body } : {}) });
        actual[who] = answer.status;
        want[who] = route.scopes.length === 0 && who === 'keyWith' ? 403 : expected(row, who);
        if (answer.status >= 500) throw new Error(`${route.operationId} as ${who}: ${answer.status} ${answer.text}`);
      }
      expect(actual, `actual ${JSON.stringify(actual)}`).toEqual(want);
    });
  }
});
