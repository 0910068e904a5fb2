import { ManualClock, systemPrincipal, type Item, type Project } from '@signoff/core';
import type { StartServerOptions } from '@signoff/ui-lite';
import { ADMIN_PASSWORD, must, startTestServer, USER_PASSWORD, type Auth, type TestServer } from './server-harness.js';

export const IMG = (n: number) => `registry.example.com/notify/app@sha256:${n.toString(16).padStart(64, '0')}`;

export interface NotifyWorld {
  t: TestServer;
  clock: ManualClock;
  ids: Record<'olivia' | 'ivan' | 'rita' | 'bob' | 'nomail', string>;
  s: Record<'olivia' | 'ivan' | 'rita' | 'bob' | 'nomail', Auth & { kind: 'session' }>;
  project: Project;
  /** Registers an item as olivia (HTTP API), optionally requesting feedback from chosen reviewers. */
  item(name: string, importance?: string, notify?: { kind: string; id: string }[]): Promise<Item>;
  /** A sign-off action over the HTTP API; throws unless 200. */
  act(who: Auth, itemId: string, slug: string, body?: unknown, method?: string): Promise<Item>;
  admin: Auth & { kind: 'session' };
  /** Sign everyone in again (sessions expire on the injected clock when a test moves it by days). */
  relogin(): Promise<void>;
  /** One scheduler tick and a worker pass. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real server (in-process, manual clock) with notifications on, mail to `smtpUrl`:
 * olivia owns project `shop`; ivan and nomail (no address) are IT & Operations, rita Risk &
 * Compliance, bob Business and the final approver. Everyone but nomail has an address.
 */
export async function notifyWorld(options: { smtpUrl?: string; config?: StartServerOptions['config']; clock?: ManualClock; store?: StartServerOptions['store']; existing?: boolean } = {}): Promise<NotifyWorld> {
  const clock = options.clock ?? new ManualClock('2026-03-02T09:00:00.000Z');
  const t = await startTestServer({
    clock,
    mailerOptions: { timeoutMs: 2000 },
    ...(options.store !== undefined || options.config?.data !== undefined ? { store: options.store } : {}),
    config: {
      ...(options.smtpUrl ? { smtpUrl: options.smtpUrl, mailFrom: 'Signoff <signoff@example.com>' } : {}),
      publicUrl: 'http://signoff.test',
      // The test drives the worker and the scheduler; the timers only idle.
      notifyPollMs: 3_600_000,
      schedulerIntervalMs: 86_400_000,
      notifyRetryBaseMs: 60_000,
      notifyRetryMaxMs: 600_000,
      ...options.config,
    },
  });
  const svc = t.service;
  const names = ['olivia', 'ivan', 'rita', 'bob', 'nomail'] as const;
  const groups: Record<string, string[]> = { ivan: ['it-operations'], nomail: ['it-operations'], rita: ['risk-compliance'], bob: ['business'] };
  if (!options.existing) {
    for (const [id, name] of [['it-operations', 'IT & Operations'], ['risk-compliance', 'Risk & Compliance'], ['business', 'Business']] as const) must(await svc.createGroup(systemPrincipal, { id, name }));
    for (const n of names) {
      must(await svc.createUser(systemPrincipal, { username: n, displayName: n[0]!.toUpperCase() + n.slice(1), password: USER_PASSWORD, groups: groups[n] ?? [], ...(n !== 'nomail' ? { email: `${n}@example.com` } : {}) }));
    }
  }
  const s = {} as NotifyWorld['s'];
  const ids = {} as NotifyWorld['ids'];
  for (const n of names) {
    s[n] = await t.login(n);
    ids[n] = s[n].userId;
  }
  let project: Project;
  if (options.existing) {
    project = (await t.request('GET', '/api/v1/projects/shop', { auth: s.olivia })).json as Project;
  } else {
    const created = await t.request('POST', '/api/v1/projects', { auth: s.olivia, body: { key: 'shop', name: 'Shop' } });
    if (created.status !== 201) throw new Error(created.text);
    const reviewers = await t.request('PUT', `/api/v1/projects/${created.json.id}/reviewers`, {
      auth: s.olivia,
      body: {
        feedbackGroups: [
          { groupId: 'it-operations', assignees: [{ kind: 'group', id: 'it-operations' }] },
          { groupId: 'risk-compliance', assignees: [{ kind: 'group', id: 'risk-compliance' }] },
          { groupId: 'business', assignees: [{ kind: 'user', id: ids.bob }] },
        ],
        finalApprovers: [{ kind: 'user', id: ids.bob }],
      },
    });
    if (reviewers.status !== 200) throw new Error(reviewers.text);
    project = reviewers.json as Project;
  }
  let n = 0;
  const running = t.running;
  const world: NotifyWorld = {
    t,
    admin: t.admin,
    async relogin() {
      for (const name of names) s[name] = await t.login(name);
      world.admin = await t.login('admin', ADMIN_PASSWORD);
    },
    clock,
    ids,
    s,
    project,
    async item(name, importance = 'Low', notify) {
      const r = await t.request('POST', '/api/v1/items', {
        auth: s.olivia,
        body: { kind: 'bundle', projectId: project.id, name, version: '1', artifacts: { images: [IMG(++n + Math.floor(Math.random() * 1e6))] }, importance, ...(notify ? { requestFeedback: { notify } } : {}) },
      });
      if (r.status !== 201) throw new Error(`register ${name}: ${r.status} ${r.text}`);
      return r.json as Item;
    },
    async act(who, itemId, slug, body = {}, method = 'POST') {
      const r = await t.request(method, `/api/v1/items/${itemId}/signoff/${slug}`, { auth: who, body });
      if (r.status !== 200) throw new Error(`${slug}: ${r.status} ${r.text}`);
      return r.json as Item;
    },
    async tick() {
      if (!running.notifications) throw new Error('notifications are off');
      await running.notifications.tick();
    },
    close: () => t.close(),
  };
  return world;
}
