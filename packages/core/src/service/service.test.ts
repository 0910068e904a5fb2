import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import type { Principal, User } from '../schemas/principal.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { Result } from '../result.js';
import { createGovernanceService, type GovernanceServiceInternals } from './service.js';
import { ManualClock, testPasswordParams } from './test-helpers.js';
import { STANDARD_ITEM_TEMPLATE } from '../workflow/templates.js';
import { principalFromUser, systemPrincipal } from '../auth/principal.js';
import { collectionNames } from '../store/collections.js';

const sha = (c: string) => `registry.example.com/app@sha256:${c.repeat(64)}`;

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}
function code(r: Result<unknown>): string {
  return r.ok ? 'OK' : r.error.code;
}

/** Everything the store holds, to show that a rejected call changed nothing. */
async function snapshot(store: Store): Promise<string> {
  const parts: unknown[] = [];
  for (const c of collectionNames) parts.push(c, await store.list(c));
  parts.push(await store.audit());
  return JSON.stringify(parts);
}

interface World {
  store: Store;
  clock: ManualClock;
  svc: GovernanceServiceInternals;
  admin: Principal;
  olivia: Principal;
  ivan: Principal;
  rita: Principal;
  bob: Principal;
  fiona: Principal;
  mallory: Principal;
  users: Record<string, User>;
}

async function world(): Promise<World> {
  const store = createMemoryStore();
  const clock = new ManualClock();
  const svc = createGovernanceService({ store, clock, publicUrl: 'https://signoff.example.com/', passwordParams: testPasswordParams });
  for (const [id, name] of [['it-operations', 'IT & Operations'], ['risk-compliance', 'Risk & Compliance'], ['business', 'Business']] as const) {
    value(await svc.createGroup(systemPrincipal, { id, name }));
  }
  const users: Record<string, User> = {};
  for (const [username, roles, groups] of [
    ['admin', ['admin'], []],
    ['olivia', [], []],
    ['ivan', [], ['it-operations']],
    ['rita', [], ['risk-compliance']],
    ['bob', [], ['business']],
    ['fiona', [], []],
    ['mallory', [], []],
  ] as const) {
    users[username] = value(await svc.createUser(systemPrincipal, { username, displayName: username[0]?.toUpperCase() + username.slice(1), password: `${username}-password`, roles: [...roles], groups: [...groups] }));
  }
  const p = (n: string) => principalFromUser(users[n] as User);
  return { store, clock, svc, admin: p('admin'), olivia: p('olivia'), ivan: p('ivan'), rita: p('rita'), bob: p('bob'), fiona: p('fiona'), mallory: p('mallory'), users };
}

async function project(w: World, key = 'shop'): Promise<Project> {
  const pr = value(await w.svc.createProject(w.olivia, { key, name: key }));
  return value(
    await w.svc.setReviewers(w.olivia, pr.id, {
      feedbackGroups: [
        { groupId: 'it-operations', assignees: [{ kind: 'group', id: 'it-operations' }] },
        { groupId: 'risk-compliance', assignees: [{ kind: 'group', id: 'risk-compliance' }] },
        { groupId: 'business', assignees: [{ kind: 'user', id: (w.users.bob as User).id }] },
      ],
      finalApprovers: [{ kind: 'user', id: (w.users.fiona as User).id }, { kind: 'user', id: (w.users.olivia as User).id }],
    }),
  );
}

async function bundle(w: World, p: Project, version: string, images = [sha('a')]): Promise<Item> {
  return value(await w.svc.registerItem(w.olivia, { kind: 'bundle', projectId: p.id, name: 'web-bundle', version, artifacts: { images }, importance: 'High' }));
}

async function approved(w: World, p: Project, version: string, images = [sha('a')]): Promise<Item> {
  const item = await bundle(w, p, version, images);
  value(await w.svc.signoffAction(w.olivia, item.id, { type: 'requestFeedback', notify: [] }));
  value(await w.svc.signoffAction(w.bob, item.id, { type: 'submitFeedback', reviewId: `rev_${version}`, groupId: 'business', status: 'Approved', comment: 'LGTM' }));
  value(await w.svc.signoffAction(w.olivia, item.id, { type: 'requestFinalApproval', notify: [] }));
  return value(await w.svc.signoffAction(w.fiona, item.id, { type: 'finalApproval', status: 'Approved', comment: '' }));
}

const signoffOf = (item: Item) => Object.values(item.signoffs)[0];

describe('principals and authentication', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });

  it('lets only admins create users; a refused call changes nothing', async () => {
    const before = await snapshot(w.store);
    expect(code(await w.svc.createUser(w.olivia, { username: 'eve', displayName: 'Eve' }))).toBe('FORBIDDEN');
    expect(code(await w.svc.createUser({ kind: 'apiKey', id: 'key_x', name: 'x', scopes: ['items:write'] }, { username: 'eve', displayName: 'Eve' }))).toBe('FORBIDDEN');
    const bad = await w.svc.createUser(w.admin, { username: 'has space', displayName: '' });
    expect(code(bad)).toBe('VALIDATION');
    expect(!bad.ok && bad.error.issues?.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['username', 'displayName']));
    expect(code(await w.svc.createUser(w.admin, { username: 'bob', displayName: 'Bob 2' }))).toBe('CONFLICT');
    expect(code(await w.svc.createUser(w.admin, { username: 'eve', displayName: 'Eve', groups: ['nope'] }))).toBe('VALIDATION');
    expect(await snapshot(w.store)).toBe(before);
    const eve = value(await w.svc.createUser(w.admin, { username: 'eve', displayName: 'Eve', password: 'eve-password' }));
    expect(eve).not.toHaveProperty('passwordHash');
    const events = await w.store.audit({ subject: `users/${eve.id}` });
    expect(events.map((e) => e.action)).toEqual(['user.create']);
    expect(JSON.stringify(events)).not.toContain('scrypt$');
    expect(JSON.stringify(events)).not.toContain('eve-password');
  });

  it('verifies passwords, refuses disabled users, and lets users edit only their own profile', async () => {
    const p = value(await w.svc.authenticatePassword('olivia', 'olivia-password'));
    expect(p).toMatchObject({ kind: 'user', username: 'olivia' });
    expect(code(await w.svc.authenticatePassword('olivia', 'wrong'))).toBe('UNAUTHENTICATED');
    expect(code(await w.svc.authenticatePassword('nobody', 'x'))).toBe('UNAUTHENTICATED');
    value(await w.svc.updateUser(w.olivia, w.olivia.id, { displayName: 'Olivia O.', password: 'new-password' }));
    expect(code(await w.svc.authenticatePassword('olivia', 'new-password'))).toBe('OK');
    expect(code(await w.svc.updateUser(w.olivia, w.olivia.id, { roles: ['admin'] }))).toBe('FORBIDDEN');
    expect(code(await w.svc.updateUser(w.olivia, w.bob.id, { displayName: 'x' }))).toBe('FORBIDDEN');
    value(await w.svc.updateUser(w.admin, w.bob.id, { disabled: true }));
    expect(code(await w.svc.authenticatePassword('bob', 'bob-password'))).toBe('UNAUTHENTICATED');
    expect(code(await w.svc.principalForUser(w.bob.id))).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(await w.store.audit())).not.toContain('new-password');
  });

  it('creates API keys whose secret is shown once, authenticates and revokes them', async () => {
    expect(code(await w.svc.createApiKey(w.olivia, { name: 'ci', scopes: ['decisions:read'] }))).toBe('FORBIDDEN');
    const { key, secret } = value(await w.svc.createApiKey(w.admin, { name: 'ci', scopes: ['decisions:read', 'deployments:write'] }));
    expect(secret).toMatch(/^sk_[a-z0-9]+_/);
    expect(key.secretHash).not.toContain(secret.split('_').slice(2).join('_'));
    expect(JSON.stringify(await w.store.list('apiKeys'))).not.toContain(secret);
    expect(JSON.stringify(await w.store.audit())).not.toContain(secret);
    expect(value(await w.svc.authenticateApiKey(secret))).toEqual({ kind: 'apiKey', id: key.id, name: 'ci', scopes: ['decisions:read', 'deployments:write'] });
    expect(code(await w.svc.authenticateApiKey(`${secret}x`))).toBe('UNAUTHENTICATED');
    expect(code(await w.svc.authenticateApiKey('garbage'))).toBe('UNAUTHENTICATED');
    value(await w.svc.revokeApiKey(w.admin, key.id));
    expect(code(await w.svc.authenticateApiKey(secret))).toBe('UNAUTHENTICATED');
    expect(code(await w.svc.revokeApiKey(w.admin, key.id))).toBe('CONFLICT');
  });
});

describe('projects and items', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });

  it('makes the creator the owner; only owner or admin edit; every user reads', async () => {
    const p = await project(w);
    expect(p.owner).toBe(w.olivia.id);
    const before = await snapshot(w.store);
    expect(code(await w.svc.updateProject(w.mallory, p.id, { name: 'x' }))).toBe('FORBIDDEN');
    expect(code(await w.svc.setReviewers(w.bob, p.id, { feedbackGroups: [], finalApprovers: [] }))).toBe('FORBIDDEN');
    expect(code(await w.svc.setQualification(w.mallory, p.id, { decision: 'Go' }))).toBe('FORBIDDEN');
    expect(code(await w.svc.deleteProject(w.mallory, p.id))).toBe('FORBIDDEN');
    expect(code(await w.svc.setReviewers(w.olivia, p.id, { feedbackGroups: [], finalApprovers: [{ kind: 'user', id: 'usr_nobody' }] }))).toBe('VALIDATION');
    expect(code(await w.svc.createProject(w.mallory, { key: 'shop', name: 'dup' }))).toBe('CONFLICT');
    expect(code(await w.svc.createProject({ kind: 'apiKey', id: 'key_r', name: 'r', scopes: ['items:read'] }, { key: 'k2', name: 'x', owner: w.olivia.id }))).toBe('FORBIDDEN');
    expect(await snapshot(w.store)).toBe(before);
    expect(value(await w.svc.getProject(w.mallory, 'shop')).id).toBe(p.id);
    expect(value(await w.svc.setQualification(w.admin, p.id, { value: 5, decision: 'Go' })).qualification).toMatchObject({ value: 5, decision: 'Go' });
    expect(code(await w.svc.getProject({ kind: 'apiKey', id: 'key_d', name: 'd', scopes: ['deployments:write'] }, p.id))).toBe('FORBIDDEN');
  });

  it('registers items by owner, admin or items:write key; refs are unique; digests are derived', async () => {
    const p = await project(w);
    expect(code(await w.svc.registerItem(w.mallory, { kind: 'bundle', projectId: p.id, name: 'b', version: '1', artifacts: {}, importance: 'Low' }))).toBe('FORBIDDEN');
    const ci: Principal = { kind: 'apiKey', id: 'key_ci', name: 'ci', scopes: ['items:write'] };
    const item = value(await w.svc.registerItem(ci, { kind: 'bundle', projectId: 'shop', name: 'b', version: '1', artifacts: { images: [sha('b')] }, importance: 'Low' }));
    expect(item.digests).toEqual([`sha256:${'b'.repeat(64)}`]);
    expect(code(await w.svc.registerItem(w.olivia, { kind: 'bundle', projectId: p.id, name: 'b', version: '1', artifacts: {}, importance: 'Low' }))).toBe('CONFLICT');
    const bad = await w.svc.registerItem(w.olivia, { kind: 'bundle', projectId: p.id, name: 'b', version: '2', artifacts: { images: ['nginx:1.25'] }, importance: 'Low' });
    expect(!bad.ok && bad.error.issues?.[0]?.path).toEqual(['artifacts', 'images', 0]);
    expect(value(await w.svc.getItem(w.mallory, 'shop/b@1')).id).toBe(item.id);
    expect(code(await w.svc.getItem(w.mallory, 'shop/b@9'))).toBe('NOT_FOUND');
    expect(code(await w.svc.registerItem(w.olivia, { kind: 'modelVersion', projectId: p.id, name: 'm', version: '1', artifacts: {}, importance: 'Low' }))).toBe('VALIDATION');
    const m = value(await w.svc.createModel(w.olivia, { projectId: p.id, name: 'm' }));
    const mv = value(await w.svc.registerItem(w.olivia, { kind: 'modelVersion', projectId: p.id, modelId: m.id, name: 'm', version: '1', artifacts: { storage: [{ uri: 's3://models/m/1' }] }, importance: 'Low' }));
    expect(mv.digests).toEqual(['uri:s3://models/m/1']);
    expect(value(await w.svc.listItems(w.bob, { kind: 'modelVersion' })).map((i) => i.id)).toEqual([mv.id]);
  });
});

describe('the sign-off lifecycle of the seed tutorial, through the service', () => {
  it('requests feedback, rejects v1, approves v2, finishes the Review step, and decides', async () => {
    const w = await world();
    const p = await project(w);
    // The project: Exploration and Qualification (Go) finished.
    const steps = p.workflow.steps.map((s) => s.id);
    for (const s of steps.slice(0, 2)) {
      value(await w.svc.updateStep(w.olivia, { kind: 'project', id: p.id }, s, { status: 'Ongoing' }));
      value(await w.svc.updateStep(w.olivia, { kind: 'project', id: p.id }, s, { status: 'Finished' }));
    }
    expect(code(await w.svc.updateStep(w.bob, { kind: 'project', id: p.id }, steps[2] ?? '', { status: 'Ongoing' }))).toBe('FORBIDDEN');
    value(await w.svc.setQualification(w.olivia, p.id, { decision: 'Go' }));

    const v1 = await bundle(w, p, 'v1', [sha('1')]);
    expect(signoffOf(v1)?.status).toBe('Not started');
    expect(code(await w.svc.signoffAction(w.bob, v1.id, { type: 'requestFeedback', notify: [] }))).not.toBe('OK');
    value(await w.svc.signoffAction(w.olivia, v1.id, { type: 'requestFeedback', notify: [{ kind: 'user', id: w.bob.id }] }));
    expect(value(await w.svc.myReviews(w.bob)).map((t) => [t.kind, t.groupId])).toEqual([['feedback', 'business']]);
    // Only assignees give feedback for their group.
    const before = await snapshot(w.store);
    expect(code(await w.svc.signoffAction(w.ivan, v1.id, { type: 'submitFeedback', reviewId: 'rev_x', groupId: 'business', status: 'Approved', comment: '' }))).toBe('NOT_ASSIGNED');
    expect(code(await w.svc.signoffAction(w.mallory, v1.id, { type: 'submitFeedback', reviewId: 'rev_x', groupId: 'it-operations', status: 'Approved', comment: '' }))).toBe('NOT_ASSIGNED');
    expect(await snapshot(w.store)).toBe(before);
    value(await w.svc.signoffAction(w.bob, v1.id, { type: 'submitFeedback', reviewId: 'rev_b1', groupId: 'business', status: 'Approved', comment: 'LGTM' }));
    expect(value(await w.svc.myReviews(w.bob))).toEqual([]);
    value(await w.svc.signoffAction(w.olivia, v1.id, { type: 'requestFinalApproval', notify: [{ kind: 'user', id: w.fiona.id }] }));
    expect(value(await w.svc.myReviews(w.fiona)).map((t) => t.kind)).toEqual(['finalApproval']);
    // Olivia is a final approver but created the item: separation of duties.
    expect(value(await w.svc.myReviews(w.olivia))).toEqual([]);
    expect(code(await w.svc.signoffAction(w.olivia, v1.id, { type: 'finalApproval', status: 'Approved', comment: '' }))).toBe('SEPARATION_OF_DUTIES');
    expect(code(await w.svc.signoffAction(w.bob, v1.id, { type: 'finalApproval', status: 'Approved', comment: '' }))).toBe('NOT_ASSIGNED');
    const rejected = value(await w.svc.signoffAction(w.fiona, v1.id, { type: 'finalApproval', status: 'Rejected', comment: 'Fails to meet requirements' }));
    expect(signoffOf(rejected)?.status).toBe('Rejected');
    const reviewStep = Object.keys(rejected.signoffs)[0] ?? '';
    value(await w.svc.updateStep(w.olivia, { kind: 'item', id: v1.id }, reviewStep, { status: 'Ongoing' }));
    const locked = await w.svc.updateStep(w.olivia, { kind: 'item', id: v1.id }, reviewStep, { status: 'Finished' });
    expect(['SIGNOFF_REQUIRED', 'WORKFLOW_LOCKED']).toContain(code(locked));

    const v2 = await approved(w, p, 'v2', [sha('2')]);
    expect(signoffOf(v2)?.status).toBe('Approved');
    expect(signoffOf(v2)?.approvedDigests).toEqual([`sha256:${'2'.repeat(64)}`]);
    value(await w.svc.updateStep(w.olivia, { kind: 'item', id: v2.id }, reviewStep, { status: 'Ongoing' }));
    value(await w.svc.updateStep(w.olivia, { kind: 'item', id: v2.id }, reviewStep, { status: 'Finished' }));

    const status = value(await w.svc.governanceStatus(w.mallory, 'shop/web-bundle@v2'));
    expect(status).toMatchObject({ ref: 'shop/web-bundle@v2', signoffStatus: 'Approved', approved: true, finalApproval: { author: 'Fiona', status: 'Approved' } });
    expect(status.reviews).toEqual([expect.objectContaining({ groupId: 'business', author: 'Bob', status: 'Approved' })]);

    for (const [id, policy] of [['development', 'always'], ['staging', 'warn'], ['production', 'prevent']] as const) {
      value(await w.svc.createInfrastructure(w.admin, { id, name: id, policy, production: id === 'production' } as never));
    }
    const outcome = async (infrastructure: string, ref: string, digest: string) =>
      value(await w.svc.decide(w.admin, { infrastructure, item: ref, artifacts: [digest], dryRun: true })).decision.outcome;
    expect(await outcome('development', 'shop/web-bundle@v1', sha('1'))).toBe('allow');
    expect(await outcome('staging', 'shop/web-bundle@v1', sha('1'))).toBe('warn');
    expect(await outcome('production', 'shop/web-bundle@v1', sha('1'))).toBe('deny');
    for (const infra of ['development', 'staging', 'production']) expect(await outcome(infra, 'shop/web-bundle@v2', sha('2'))).toBe('allow');

    const actions = (await w.store.audit({ subject: `items/${v1.id}` })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['item.create', 'signoff.requestFeedback', 'signoff.submitFeedback', 'signoff.requestFinalApproval', 'signoff.finalApproval']));
    expect((await w.store.verifyAudit()).ok).toBe(true);
  });

  it('keeps the cleared reviews of a reset in the audit log, and resets on new artifacts after approval', async () => {
    const w = await world();
    const p = await project(w);
    const item = await approved(w, p, '1');
    expect(code(await w.svc.signoffAction(w.mallory, item.id, { type: 'reset', comment: 'x' }))).toBe('FORBIDDEN');
    const reset = value(await w.svc.signoffAction(w.olivia, item.id, { type: 'reset', comment: 'new round' }));
    expect(signoffOf(reset)?.round).toBe(2);
    expect(signoffOf(reset)?.feedback).toEqual([]);
    const ev = (await w.store.audit({ subject: `items/${item.id}` })).at(-1);
    expect(ev?.action).toBe('signoff.reset');
    expect(JSON.stringify(ev?.change)).toContain('LGTM');

    const again = await approved(w, p, '2');
    const changed = value(await w.svc.updateItem(w.olivia, again.id, { artifacts: { images: [sha('c')] } }));
    expect(signoffOf(changed)?.status).not.toBe('Approved');
    expect(changed.digests).toEqual([`sha256:${'c'.repeat(64)}`]);
    const events = (await w.store.audit({ subject: `items/${again.id}` })).map((e) => e.action);
    expect(events.slice(-2)).toEqual(['item.update', 'signoff.reset']);
    // Only the description: no new round.
    const a3 = await approved(w, p, '3');
    expect(signoffOf(value(await w.svc.updateItem(w.olivia, a3.id, { description: 'notes' })))?.status).toBe('Approved');
  });

  it('honours delegation: the delegate reviews and sees it in their reviews', async () => {
    const w = await world();
    const p = await project(w);
    const item = await bundle(w, p, '1');
    value(await w.svc.signoffAction(w.olivia, item.id, { type: 'requestFeedback', notify: [] }));
    value(await w.svc.signoffAction(w.olivia, item.id, { type: 'requestFinalApproval', notify: [] }));
    value(await w.svc.signoffAction(w.fiona, item.id, { type: 'delegate', delegationId: 'dlg_1', scope: 'final', to: w.rita.id, comment: 'on holiday' }));
    expect(value(await w.svc.myReviews(w.rita)).map((t) => t.kind)).toContain('delegated');
    const done = value(await w.svc.signoffAction(w.rita, item.id, { type: 'finalApproval', status: 'Approved', comment: '' }));
    expect(signoffOf(done)?.status).toBe('Approved');
  });

  it('applies scheduled resets when they are due', async () => {
    const w = await world();
    const p = await project(w);
    const item = await approved(w, p, '1');
    value(await w.svc.signoffAction(w.olivia, item.id, { type: 'scheduleReset', at: '2026-03-10T00:00:00.000Z' }));
    expect(value(await w.svc.runScheduled())).toEqual([]);
    w.clock.set('2026-03-10T00:00:01.000Z');
    expect(value(await w.svc.runScheduled())).toEqual([item.id]);
    const after = value(await w.svc.getItem(w.olivia, item.id));
    expect(signoffOf(after)?.status).not.toBe('Approved');
    expect((await w.store.audit({ subject: `items/${item.id}` })).at(-1)?.action).toBe('signoff.expire');
    expect(code(await w.svc.signoffAction(w.admin, item.id, { type: 'expire' }))).toBe('FORBIDDEN');
  });

  it('expires approvals of templates whose step says expiresAfter, and only those', async () => {
    const w = await world();
    value(
      await w.svc.createTemplate(w.admin, {
        id: 'expiring-item',
        name: 'Approvals last a day',
        appliesTo: ['bundle', 'modelVersion'],
        steps: STANDARD_ITEM_TEMPLATE.steps.map((st) => (st.signoff ? { ...st, signoff: { ...st.signoff, expiresAfter: 'P1D' } } : st)),
      } as never),
    );
    const standard = await project(w, 'shop');
    const created = value(await w.svc.createProject(w.olivia, { key: 'risky', name: 'Risky', itemTemplates: { bundle: 'expiring-item' } }));
    const expiring = value(
      await w.svc.setReviewers(w.olivia, created.id, {
        feedbackGroups: [{ groupId: 'business', assignees: [{ kind: 'user', id: (w.users.bob as User).id }] }],
        finalApprovers: [{ kind: 'user', id: (w.users.fiona as User).id }],
      }),
    );
    const kept = await approved(w, standard, '1');
    const lapses = await approved(w, expiring, '1');
    expect(lapses.workflow.templateId).toBe('expiring-item');
    expect(value(await w.svc.runScheduled())).toEqual([]);
    w.clock.advance(2 * 24 * 3600_000);
    expect(value(await w.svc.runScheduled())).toEqual([lapses.id]);
    expect(signoffOf(value(await w.svc.getItem(w.olivia, lapses.id)))?.status).not.toBe('Approved');
    expect(signoffOf(value(await w.svc.getItem(w.olivia, kept.id)))?.status).toBe('Approved');
    expect(value(await w.svc.runScheduled())).toEqual([]);
  });
});

describe('decisions and deployments', () => {
  async function setup() {
    const w = await world();
    const p = await project(w);
    const item = await approved(w, p, '1', [sha('d')]);
    value(await w.svc.createInfrastructure(w.admin, { id: 'production', name: 'Production', policy: 'prevent', production: true, advanceWorkflowOnDeploy: true, namespaces: ['shop-prod'], githubEnvironments: [{ repository: 'acme/*', environment: 'prod' }] } as never));
    value(await w.svc.createInfrastructure(w.admin, { id: 'special', name: 'Special', policy: 'always', githubEnvironments: [{ repository: 'acme/special', environment: 'prod' }] } as never));
    const reader: Principal = { kind: 'apiKey', id: 'key_r', name: 'reader', scopes: ['decisions:read'] };
    const deployer: Principal = { kind: 'apiKey', id: 'key_d', name: 'deployer', scopes: ['decisions:read', 'deployments:write'] };
    return { w, p, item, reader, deployer };
  }

  it('needs decisions:read to decide and deployments:write to record; dry runs write nothing', async () => {
    const { w, item, reader, deployer } = await setup();
    const before = await snapshot(w.store);
    expect(code(await w.svc.decide({ kind: 'apiKey', id: 'key_x', name: 'x', scopes: ['items:read'] }, { infrastructure: 'production', item: item.id, dryRun: true }))).toBe('FORBIDDEN');
    expect(code(await w.svc.decide(reader, { infrastructure: 'production', item: item.id }))).toBe('FORBIDDEN');
    const dry = value(await w.svc.decide(reader, { namespace: 'shop-prod', artifacts: [sha('d')], dryRun: true }));
    expect(dry.decision.outcome).toBe('allow');
    expect(dry.deploymentId).toBeUndefined();
    expect(code(await w.svc.decide(reader, { infrastructure: 'nowhere', dryRun: true }))).toBe('NOT_FOUND');
    expect(code(await w.svc.decide(reader, { namespace: 'other', dryRun: true }))).toBe('NOT_FOUND');
    expect(code(await w.svc.decide(reader, { item: 'x' }))).toBe('VALIDATION');
    expect(await snapshot(w.store)).toBe(before);

    const rec = value(await w.svc.decide(deployer, { namespace: 'shop-prod', item: 'shop/web-bundle@1', artifacts: [sha('d')], target: { kind: 'kubernetes', namespace: 'shop-prod', name: 'web', resource: 'deployments' } }));
    expect(rec.decision.outcome).toBe('allow');
    expect(rec.deploymentId).toBeDefined();
    // A denial is recorded too: the registry is an audit of attempts.
    const denied = value(await w.svc.decide(deployer, { infrastructure: 'production', artifacts: [sha('e')] }));
    expect(denied.decision.outcome).toBe('deny');
    const records = value(await w.svc.listDeployments(w.mallory, { infrastructureId: 'production' }));
    expect(records.map((r) => r.outcome).sort()).toEqual(['allow', 'deny']);
    expect(value(await w.svc.listDeployments(w.mallory, { itemId: item.id })).map((r) => r.id)).toEqual([rec.deploymentId]);
    expect((await w.store.audit()).filter((e) => e.action === 'deployment.record')).toHaveLength(2);
  });

  it('moves the item to its production step after an admitted production deployment', async () => {
    const { w, item, deployer } = await setup();
    value(await w.svc.decide(deployer, { infrastructure: 'production', item: item.id, artifacts: [sha('d')] }));
    const after = value(await w.svc.getItem(w.olivia, item.id));
    expect(after.workflow).not.toEqual(item.workflow);
    expect((await w.store.audit({ subject: `items/${item.id}` })).at(-1)?.action).toBe('item.workflow.production');
  });

  it('records a batch of decisions taken as dry runs in one call, as decide would have recorded them', async () => {
    const { w, item, reader, deployer } = await setup();
    const target = { kind: 'kubernetes' as const, namespace: 'shop-prod', name: 'web', resource: 'deployments', uid: 'u-1', requester: 'alice' };
    const admitted = { namespace: 'shop-prod', item: 'shop/web-bundle@1', artifacts: [sha('d')], target };
    const refused = { infrastructure: 'production', artifacts: [sha('e')], target: { ...target, uid: 'u-2' } };
    // the reference: decide recording as it goes
    const direct = value(await w.svc.decide(deployer, admitted));
    const reference = value(await w.svc.listDeployments(w.admin)).find((d) => d.id === direct.deploymentId);
    // answer first (dry run), record afterwards in one batch
    const before = await snapshot(w.store);
    const a = value(await w.svc.decide(deployer, { ...admitted, dryRun: true }));
    const b = value(await w.svc.decide(deployer, { ...refused, dryRun: true }));
    expect(await snapshot(w.store)).toBe(before);
    // refused batches write nothing: a key without deployments:write, a dry-run entry, a bad input
    expect(code(await w.svc.recordDeployments(reader, [{ input: admitted, decision: a.decision }]))).toBe('FORBIDDEN');
    expect(code(await w.svc.recordDeployments(deployer, [{ input: admitted, decision: a.decision }, { input: { ...refused, dryRun: true }, decision: b.decision }]))).toBe('VALIDATION');
    expect(code(await w.svc.recordDeployments(deployer, [{ input: { ...admitted, bogus: 1 } as never, decision: a.decision }]))).toBe('VALIDATION');
    expect(await snapshot(w.store)).toBe(before);
    expect(value(await w.svc.recordDeployments(deployer, []))).toEqual({ deploymentIds: [] });

    const { deploymentIds } = value(await w.svc.recordDeployments(deployer, [{ input: admitted, decision: a.decision }, { input: refused, decision: b.decision }]));
    expect(deploymentIds).toHaveLength(2);
    const all = value(await w.svc.listDeployments(w.admin));
    const [ra, rb] = deploymentIds.map((id) => all.find((d) => d.id === id));
    const { id: _r, ...sameAsDirect } = reference!;
    const { id: _a, ...batched } = ra!;
    expect(batched).toEqual(sameAsDirect);
    expect(ra).toMatchObject({ itemId: item.id, itemRef: 'shop/web-bundle@1', outcome: 'allow', actor: 'key_d', target: { requester: 'alice', uid: 'u-1' } });
    expect(rb).toMatchObject({ infrastructureId: 'production', outcome: 'deny', signoffStatus: 'Unmatched', target: { uid: 'u-2' } });
    const events = (await w.store.audit()).filter((e) => e.action === 'deployment.record');
    expect(events.map((e) => e.subject)).toEqual([`deployments/${direct.deploymentId!}`, ...deploymentIds.map((id) => `deployments/${id}`)]);
    // each event's change holds the record as stored (one copy of it in memory, not two) and the reasons
    for (const [i, id] of deploymentIds.entries()) {
      const change = events[i + 1]!.change as { record: unknown; reasons: string[] };
      expect(change.record).toBe(await w.store.get('deployments', id));
      expect(change.reasons).toEqual([a, b][i]!.decision.reasons);
    }
    expect((await w.store.verifyAudit()).ok).toBe(true);
  });

  it('moves the item to its production step when a batch records an admitted production deployment', async () => {
    const { w, item, deployer } = await setup();
    const input = { infrastructure: 'production', item: item.id, artifacts: [sha('d')] };
    const dry = value(await w.svc.decide(deployer, { ...input, dryRun: true }));
    expect(value(await w.svc.getItem(w.olivia, item.id)).workflow).toEqual(item.workflow);
    value(await w.svc.recordDeployments(deployer, [{ input, decision: dry.decision }]));
    expect(value(await w.svc.getItem(w.olivia, item.id)).workflow).not.toEqual(item.workflow);
    expect((await w.store.audit({ subject: `items/${item.id}` })).at(-1)?.action).toBe('item.workflow.production');
  });

  it('finds the infrastructure of a GitHub repository and environment, exact before owner/*', async () => {
    const { w, reader } = await setup();
    const d = async (repository: string) => w.svc.decide(reader, { github: { repository, environment: 'prod' }, artifacts: [sha('e')], dryRun: true });
    expect(value(await d('acme/shop')).decision.infrastructureId).toBe('production');
    expect(value(await d('acme/special')).decision.infrastructureId).toBe('special');
    expect(code(await d('other/shop'))).toBe('NOT_FOUND');
  });

  it('names the final approvers and links the review page in the reasons of a denial', async () => {
    const { w, p, reader } = await setup();
    const pending = await bundle(w, p, '2', [sha('f')]);
    const out = value(await w.svc.decide(reader, { infrastructure: 'production', item: pending.id, artifacts: [sha('f')], dryRun: true }));
    expect(out.decision.outcome).toBe('deny');
    expect(out.decision.reviewUrl).toBe(`https://signoff.example.com/items/${pending.id}`);
    expect(out.decision.reasons.join(' ')).toContain('Fiona');
  });
});

describe('infrastructures and audit', () => {
  it('lets only admins manage infrastructures and read the whole audit log', async () => {
    const w = await world();
    const before = await snapshot(w.store);
    expect(code(await w.svc.createInfrastructure(w.olivia, { id: 'prod', name: 'P' } as never))).toBe('FORBIDDEN');
    expect(code(await w.svc.createInfrastructure(w.admin, { id: 'Not A Label', name: 'P' } as never))).toBe('VALIDATION');
    expect(await snapshot(w.store)).toBe(before);
    value(await w.svc.createInfrastructure(w.admin, { id: 'prod', name: 'P', namespaces: ['a'] } as never));
    expect(code(await w.svc.createInfrastructure(w.admin, { id: 'prod2', name: 'P', namespaces: ['a'] } as never))).toBe('CONFLICT');
    expect(code(await w.svc.updateInfrastructure(w.bob, 'prod', { policy: 'always' }))).toBe('FORBIDDEN');
    expect(value(await w.svc.updateInfrastructure(w.admin, 'prod', { policy: 'warn' })).policy).toBe('warn');
    expect(value(await w.svc.listInfrastructures(w.bob)).map((i) => i.id)).toEqual(['prod']);
    expect(code(await w.svc.listAudit(w.bob))).toBe('FORBIDDEN');
    expect(code(await w.svc.verifyAudit(w.bob))).toBe('FORBIDDEN');
    expect(value(await w.svc.listAudit(w.admin)).length).toBeGreaterThan(5);
    expect(value(await w.svc.verifyAudit(w.admin)).ok).toBe(true);
    value(await w.svc.deleteInfrastructure(w.admin, 'prod'));
    expect(code(await w.svc.getInfrastructure(w.bob, 'prod'))).toBe('NOT_FOUND');
  });
});
