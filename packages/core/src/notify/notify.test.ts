import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import type { Principal, User } from '../schemas/principal.js';
import type { Result } from '../result.js';
import { createGovernanceService, type GovernanceServiceInternals } from '../service/service.js';
import { ManualClock, testPasswordParams } from '../service/test-helpers.js';
import { principalFromUser, systemPrincipal } from '../auth/principal.js';
import { withNotifications } from './notifying-store.js';
import { dispatchPending, pruneNotifications, resolveUsers } from './dispatch.js';
import { signUnsubscribeToken, verifyUnsubscribeToken, webhookTargetSecret } from './token.js';
import type { OutboxEntry } from './schema.js';

const IMG = (c: string) => `registry.example.com/app@sha256:${c.repeat(64)}`;
const SECRET = 'test-notify-secret';

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

interface W {
  raw: Store;
  clock: ManualClock;
  svc: GovernanceServiceInternals;
  p: Record<'admin' | 'olivia' | 'ivan' | 'rita' | 'bob' | 'fiona' | 'nomail', Principal>;
  u: Record<string, User>;
}

async function world(): Promise<W> {
  const raw = createMemoryStore();
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');
  const svc = createGovernanceService({ store: withNotifications(raw), clock, publicUrl: 'https://signoff.example.com', passwordParams: testPasswordParams, notifySecret: SECRET });
  for (const [id, name] of [['it-operations', 'IT & Operations'], ['risk-compliance', 'Risk & Compliance'], ['business', 'Business']] as const) value(await svc.createGroup(systemPrincipal, { id, name }));
  const u: Record<string, User> = {};
  for (const [username, roles, groups] of [
    ['admin', ['admin'], []],
    ['olivia', [], []],
    ['ivan', [], ['it-operations']],
    ['rita', ['mlops-admin'], ['risk-compliance']],
    ['bob', [], ['business']],
    ['fiona', [], []],
    ['nomail', [], ['it-operations']],
  ] as const) {
    u[username] = value(await svc.createUser(systemPrincipal, { username, displayName: username.toUpperCase(), ...(username !== 'nomail' ? { email: `${username}@example.com` } : {}), roles: [...roles], groups: [...groups] }));
  }
  const pr = (n: string) => principalFromUser(u[n] as User);
  return { raw, clock, svc, u, p: { admin: pr('admin'), olivia: pr('olivia'), ivan: pr('ivan'), rita: pr('rita'), bob: pr('bob'), fiona: pr('fiona'), nomail: pr('nomail') } };
}

async function item(w: W, name = 'web', importance: 'Critical' | 'Low' = 'Low') {
  const existing = (await w.raw.list('projects')).find((p) => p.key === 'shop');
  const project =
    existing ??
    value(
      await w.svc.setReviewers(w.p.olivia, value(await w.svc.createProject(w.p.olivia, { key: 'shop', name: 'Shop' })).id, {
        feedbackGroups: [
          { groupId: 'it-operations', assignees: [{ kind: 'group', id: 'it-operations' }] },
          { groupId: 'risk-compliance', assignees: [{ kind: 'role', id: 'mlops-admin' }] },
          { groupId: 'business', assignees: [{ kind: 'user', id: w.u.bob?.id ?? '' }] },
        ],
        finalApprovers: [{ kind: 'user', id: w.u.fiona?.id ?? '' }],
      }),
    );
  return value(await w.svc.registerItem(w.p.olivia, { kind: 'bundle', projectId: project.id, name, version: '1', artifacts: { images: [IMG('a')] }, importance }));
}

const outbox = async (w: W, type?: string): Promise<OutboxEntry[]> => (await w.raw.list('outbox')).filter((e) => type === undefined || e.type === type);

describe('outbox in the same transaction', () => {
  it('a request with chosen reviewers writes one entry naming them; the acting owner is subscribed', async () => {
    const w = await world();
    const it1 = await item(w);
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'requestFeedback', notify: [{ kind: 'group', id: 'it-operations' }] }));
    const [e] = await outbox(w, 'feedback.requested');
    expect(e).toMatchObject({ ref: 'shop/web@1', actor: w.p.olivia.id, actorName: 'OLIVIA', direct: [{ kind: 'group', id: 'it-operations' }], status: 'pending', projectName: 'Shop' });
    const subs = await w.raw.list('subscriptions');
    expect(subs.map((s) => `${s.userId}:${s.subjectKind}`).sort()).toEqual([`${w.p.olivia.id}:item`, `${w.p.olivia.id}:project`].sort());
    // Resolved at send time: group members (the actor excluded, users without mail included for the log).
    const users = await resolveUsers(w.raw, e as OutboxEntry);
    expect(users.map((x) => x.username).sort()).toEqual(['ivan', 'nomail']);
  });

  it('a refused action writes neither an entry nor a subscription', async () => {
    const w = await world();
    const it1 = await item(w);
    const before = (await outbox(w)).length;
    const subs = (await w.raw.list('subscriptions')).length;
    const r = await w.svc.signoffAction(w.p.bob, it1.id, { type: 'finalApproval', status: 'Approved', comment: '' });
    expect(r.ok).toBe(false);
    expect((await outbox(w)).length).toBe(before);
    expect((await w.raw.list('subscriptions')).length).toBe(subs);
  });

  it('reviews, status edits (not comment-only), delegation, abandon, cancel, reset and schedule each make their event', async () => {
    const w = await world();
    const it1 = await item(w);
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'requestFeedback', notify: [] }));
    value(await w.svc.signoffAction(w.p.ivan, it1.id, { type: 'submitFeedback', reviewId: 'rev-1', groupId: 'it-operations', status: 'Minor issues', comment: 'ok-ish' }));
    value(await w.svc.signoffAction(w.p.ivan, it1.id, { type: 'editFeedback', reviewId: 'rev-1', comment: 'only the comment' }));
    expect(await outbox(w, 'review.statusEdited')).toHaveLength(0);
    value(await w.svc.signoffAction(w.p.ivan, it1.id, { type: 'editFeedback', reviewId: 'rev-1', status: 'Approved' }));
    const [edited] = await outbox(w, 'review.statusEdited');
    expect(edited?.summary).toContain('from "Minor issues" to "Approved"');
    value(await w.svc.signoffAction(w.p.bob, it1.id, { type: 'delegate', delegationId: 'dlg-1', scope: 'business', to: w.p.fiona.id, comment: '' }));
    const [delegated] = await outbox(w, 'review.delegated');
    expect(delegated?.direct).toEqual([{ kind: 'user', id: w.p.fiona.id }]);
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'abandon', comment: 'pause' }));
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'cancelAbandon' }));
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'reset', comment: '' }));
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'scheduleReset', every: 'P30D' }));
    const types = (await outbox(w)).map((e) => e.type);
    expect(types).toEqual(['feedback.requested', 'feedback.submitted', 'review.statusEdited', 'review.delegated', 'signoff.abandoned', 'signoff.abandonCancelled', 'signoff.reset', 'signoff.resetScheduled']);
    // ivan reviewed, so he is subscribed and hears of the abandon; olivia (the actor) does not.
    const abandoned = (await outbox(w, 'signoff.abandoned'))[0] as OutboxEntry;
    expect((await resolveUsers(w.raw, abandoned)).map((x) => x.username).sort()).toEqual(['bob', 'ivan']);
  });

  it('an explicit unsubscription is respected by later actions and by the project subscription', async () => {
    const w = await world();
    const it1 = await item(w);
    value(await w.svc.setSubscription(w.p.olivia, it1.id, false));
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'requestFeedback', notify: [] }));
    expect(value(await w.svc.getSubscription(w.p.olivia, it1.id))).toMatchObject({ subscribed: false, via: 'item', explicit: true });
    value(await w.svc.signoffAction(w.p.ivan, it1.id, { type: 'submitFeedback', reviewId: 'rev-1', groupId: 'it-operations', status: 'Approved', comment: '' }));
    const submitted = (await outbox(w, 'feedback.submitted'))[0] as OutboxEntry;
    expect((await resolveUsers(w.raw, submitted)).map((x) => x.username)).toEqual([]);
    // Another item of the same project still reaches olivia through her project subscription.
    const it2 = await item(w, 'api');
    expect(value(await w.svc.getSubscription(w.p.olivia, it2.id))).toMatchObject({ subscribed: true });
    const sub = await w.svc.getSubscription({ kind: 'apiKey', id: 'key_1', name: 'ci', scopes: ['items:read'] }, it2.id);
    expect(sub.ok ? 'ok' : sub.error.code).toBe('FORBIDDEN');
  });

  it('deployments refused under prevent and confirmed under warn tell the owner', async () => {
    const w = await world();
    const it1 = await item(w);
    value(await w.svc.createInfrastructure(w.p.admin, { id: 'prod', name: 'Prod', policy: 'prevent', namespaces: ['prod'] } as never));
    value(await w.svc.createInfrastructure(w.p.admin, { id: 'stage', name: 'Stage', policy: 'warn', requireConfirmation: true, namespaces: ['stage'] } as never));
    value(await w.svc.decide(w.p.admin, { infrastructure: 'prod', item: it1.id, artifacts: [IMG('a')] }));
    value(await w.svc.decide(w.p.admin, { infrastructure: 'prod', item: it1.id, artifacts: [IMG('a')], dryRun: true }));
    value(await w.svc.decide(w.p.admin, { infrastructure: 'stage', item: it1.id, artifacts: [IMG('a')], confirmation: { reason: 'hotfix' } }));
    const refused = await outbox(w, 'deployment.refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.direct).toEqual([{ kind: 'user', id: w.p.olivia.id }]);
    const confirmed = await outbox(w, 'deployment.confirmed');
    expect(confirmed[0]?.details).toContainEqual(['Reason given', 'hotfix']);
  });
});

describe('dispatch', () => {
  it('makes one delivery per recipient and matching webhook target, once; users without email are skipped', async () => {
    const w = await world();
    const created = value(await w.svc.createWebhookTarget(w.p.admin, { name: 'chat', url: 'https://chat.example.com/hook', events: ['feedback.requested'] }));
    expect(created.secret).toBe(webhookTargetSecret(SECRET, created.target.id));
    expect(JSON.stringify(await w.raw.list('webhookTargets'))).not.toContain(created.secret);
    value(await w.svc.createWebhookTarget(w.p.admin, { name: 'itsm', url: 'https://itsm.example.com/hook', events: ['signoff.abandoned'] }));
    const it1 = await item(w);
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'requestFeedback', notify: [{ kind: 'group', id: 'it-operations' }] }));
    const now = w.clock.now().toISOString();
    expect(await dispatchPending(w.raw, { now, mail: true })).toBe(1);
    expect(await dispatchPending(w.raw, { now, mail: true })).toBe(0);
    const ds = await w.raw.list('notificationDeliveries');
    const entryId = (await outbox(w, 'feedback.requested'))[0]?.id;
    expect(ds.map((d) => [d.id, d.status]).sort()).toEqual(
      [
        [`${entryId}:user:${w.p.ivan.id}`, 'pending'],
        [`${entryId}:user:${w.p.nomail.id}`, 'skipped'],
        [`${entryId}:webhook:${created.target.id}`, 'pending'],
      ].sort(),
    );
  });
});

describe('retention', () => {
  it('prunes finished deliveries and dispatched entries older than the cut-off, keeping pending ones', async () => {
    const w = await world();
    const it1 = await item(w);
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'requestFeedback', notify: [{ kind: 'group', id: 'it-operations' }] }));
    await dispatchPending(w.raw, { now: w.clock.now().toISOString(), mail: true });
    const [pending] = (await w.raw.list('notificationDeliveries')).filter((d) => d.status === 'pending');
    const later = new Date(w.clock.now().getTime() + 1000).toISOString();
    // One delivery still pending (ivan), one skipped (no address): only the skipped one goes; the entry stays.
    expect(await pruneNotifications(w.raw, later)).toBe(1);
    expect((await w.raw.list('notificationDeliveries')).map((d) => d.id)).toEqual([pending?.id]);
    expect(await w.raw.list('outbox')).toHaveLength(1);
    value(await w.raw.transaction((tx) => {
      tx.put('notificationDeliveries', { ...(pending as NonNullable<typeof pending>), status: 'sent', updatedAt: w.clock.now().toISOString() });
      return { ok: true, value: null };
    }));
    expect(await pruneNotifications(w.raw, later)).toBe(2);
    expect(await w.raw.list('outbox')).toHaveLength(0);
    expect(await w.raw.list('notificationDeliveries')).toHaveLength(0);
  });
});

describe('unsubscribe tokens', () => {
  it('verify only untampered, unexpired tokens signed with the key', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const t = signUnsubscribeToken('k', { userId: 'usr_1', itemId: 'itm_1', expiresAt: new Date('2026-04-01T00:00:00Z') });
    expect(value(verifyUnsubscribeToken('k', t, now))).toMatchObject({ userId: 'usr_1', itemId: 'itm_1' });
    expect(verifyUnsubscribeToken('other', t, now).ok).toBe(false);
    const [payload, mac] = t.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ u: 'usr_2', i: 'itm_1', e: 2e9 })).toString('base64url');
    expect(verifyUnsubscribeToken('k', `${forged}.${mac}`, now).ok).toBe(false);
    expect(verifyUnsubscribeToken('k', `${payload}.${mac}x`, now).ok).toBe(false);
    expect(verifyUnsubscribeToken('k', 'garbage', now).ok).toBe(false);
    const late = verifyUnsubscribeToken('k', t, new Date('2026-04-02T00:00:00Z'));
    expect(late.ok ? '' : late.error.message).toMatch(/expired/);
  });

  it('the service unsubscribes the user named by a valid token', async () => {
    const w = await world();
    const it1 = await item(w);
    const token = signUnsubscribeToken(SECRET, { userId: w.p.olivia.id, itemId: it1.id, expiresAt: new Date('2027-01-01T00:00:00Z') });
    expect(value(await w.svc.unsubscribeWithToken(token))).toMatchObject({ subscribed: false, ref: 'shop/web@1' });
    expect((await w.svc.unsubscribeWithToken(`${token}x`)).ok).toBe(false);
  });
});

describe('review timers', () => {
  it('remind every period while pending, once per missed stretch', async () => {
    const w = await world();
    const it1 = await item(w);
    value(await w.svc.signoffAction(w.p.olivia, it1.id, { type: 'requestFeedback', notify: [] }));
    const timing = { reminderEvery: 'P1D', timeouts: [] };
    expect(value(await w.svc.runReviewTimers(timing))).toEqual([]);
    w.clock.advance(25 * 3600_000);
    expect(value(await w.svc.runReviewTimers(timing))).toEqual([it1.id]);
    expect(value(await w.svc.runReviewTimers(timing))).toEqual([]);
    w.clock.advance(3 * 24 * 3600_000);
    value(await w.svc.runReviewTimers(timing));
    const reminders = await outbox(w, 'review.reminder');
    expect(reminders).toHaveLength(2);
    expect(reminders[0]?.direct).toEqual([{ kind: 'group', id: 'it-operations' }, { kind: 'role', id: 'mlops-admin' }, { kind: 'user', id: w.p.bob.id }]);
    // Once ivan answered, his group is no longer reminded.
    value(await w.svc.signoffAction(w.p.ivan, it1.id, { type: 'submitFeedback', reviewId: 'r1', groupId: 'it-operations', status: 'Approved', comment: '' }));
    w.clock.advance(24 * 3600_000);
    value(await w.svc.runReviewTimers(timing));
    expect((await outbox(w, 'review.reminder'))[2]?.direct).toEqual([{ kind: 'role', id: 'mlops-admin' }, { kind: 'user', id: w.p.bob.id }]);
  });

  it('time out per importance: remind the owner, escalate to a group, or cancel the request', async () => {
    const w = await world();
    const critical = await item(w, 'crit', 'Critical');
    const low = await item(w, 'low', 'Low');
    for (const i of [critical, low]) value(await w.svc.signoffAction(w.p.olivia, i.id, { type: 'requestFeedback', notify: [] }));
    const timing = {
      timeouts: [
        { importance: ['Critical' as const], after: 'P2D', action: 'escalate' as const, escalateTo: 'risk-compliance' },
        { after: 'P5D', action: 'cancel' as const },
      ],
    };
    w.clock.advance(2 * 24 * 3600_000 - 1000);
    expect(value(await w.svc.runReviewTimers(timing))).toEqual([]);
    w.clock.advance(1000);
    expect(value(await w.svc.runReviewTimers(timing))).toEqual([critical.id]);
    const [overdue] = await outbox(w, 'review.overdue');
    expect(overdue?.direct).toEqual([{ kind: 'user', id: w.p.olivia.id }]);
    expect((await outbox(w, 'review.escalated'))[0]?.direct).toEqual([{ kind: 'group', id: 'risk-compliance' }]);
    w.clock.advance(3 * 24 * 3600_000);
    expect(value(await w.svc.runReviewTimers(timing))).toEqual([low.id]);
    const after = await w.raw.get('items', low.id);
    expect(Object.values(after?.signoffs ?? {})[0]?.status).toBe('Abandoned');
    expect(await outbox(w, 'signoff.abandoned')).toHaveLength(1);
    expect(value(await w.svc.runReviewTimers(timing))).toEqual([]);
  });
});
