import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type Item } from '@signoff/core';
import { tempDir } from './support/server-harness.js';
import { startMailSink, type MailSink } from './support/notify-sinks.js';
import { notifyWorld, type NotifyWorld } from './support/notify-world.js';

/*
 * The one scheduler, driven by a manual clock (no waiting): reminders every period while a
 * review is pending, timeouts per importance with each action (escalate, remind the owner,
 * cancel), a scheduled reset of an approval (expiry), and a restart across the due time that
 * fires what was missed, once.
 */
const DAY = 24 * 3600_000;

describe('scheduler: reminders, timeouts, expiry, restart across the due time', () => {
  const tmp = tempDir('signoff-notify-sched-');
  const data = join(tmp.dir, 'signoff.json');
  const clock = new ManualClock('2026-03-02T09:00:00.000Z');
  const t0 = clock.now().getTime();
  const config = { data, reviewReminderEvery: 'P1D', reviewTimeouts: 'Critical=P2D:escalate:risk-compliance,High=P3D:remind,*=P5D:cancel' };
  let sink: MailSink;
  let w: NotifyWorld;
  const items: Record<'crit' | 'high' | 'low' | 'exp', Item> = {} as never;

  const count = (to: string, event: string, item?: string) => sink.mails.filter((m) => m.to.includes(`${to}@example.com`) && m.event === event && (item === undefined || m.item === item)).length;

  beforeAll(async () => {
    sink = await startMailSink();
    w = await notifyWorld({ smtpUrl: sink.url, clock, store: undefined, config });
  });
  afterAll(async () => {
    await w.close();
    await sink.close();
    tmp.remove();
  });

  it('sets up pending reviews of three importances and an approval with a scheduled reset', async () => {
    items.crit = await w.item('crit', 'Critical', []);
    items.high = await w.item('high', 'High', []);
    items.low = await w.item('low', 'Low', []);
    items.exp = await w.item('exp', 'Low', []);
    await w.act(w.s.olivia, items.exp.id, 'request-final-approval', { notify: [] });
    await w.act(w.s.bob, items.exp.id, 'final-approval', { status: 'Approved', comment: '' });
    await w.act(w.s.olivia, items.exp.id, 'schedule-reset', { at: new Date(t0 + 2.5 * DAY).toISOString() }, 'PUT');
    await w.tick();
    expect(sink.mails.filter((m) => m.event.startsWith('review.'))).toHaveLength(0);
  });

  it('reminds the pending reviewers once a day, and not before', async () => {
    clock.set(new Date(t0 + DAY - 1000).toISOString());
    await w.tick();
    expect(count('ivan', 'review.reminder')).toBe(0);
    clock.set(new Date(t0 + DAY).toISOString());
    await w.tick();
    for (const who of ['ivan', 'rita', 'bob']) expect(count(who, 'review.reminder'), who).toBe(3);
    expect(count('olivia', 'review.reminder')).toBe(0);
    await w.tick();
    expect(count('ivan', 'review.reminder')).toBe(3);
  });

  it('Critical after P2D: the owner hears it is overdue and Risk & Compliance is asked (escalate)', async () => {
    await w.relogin();
    await w.act(w.s.ivan, items.crit.id, 'feedback', { groupId: 'it-operations', status: 'Approved', comment: '' });
    clock.set(new Date(t0 + 2 * DAY).toISOString());
    await w.relogin();
    await w.tick();
    expect(count('olivia', 'review.overdue', 'shop/crit@1')).toBe(1);
    expect(count('rita', 'review.escalated', 'shop/crit@1')).toBe(1);
    expect(count('ivan', 'review.escalated')).toBe(0);
    // ivan answered for his group on crit: his second-day reminders are for high and low only.
    expect(count('ivan', 'review.reminder', 'shop/crit@1')).toBe(1);
    expect(count('ivan', 'review.reminder')).toBe(5);
    expect(count('olivia', 'review.overdue', 'shop/high@1')).toBe(0);
  });

  it('after a restart across the due times, what came due fires once: High overdue (remind the owner), the reset of the approval (expiry), one reminder', async () => {
    await w.close();
    clock.set(new Date(t0 + 3 * DAY + 3600_000).toISOString());
    const before = sink.mails.length;
    w = await notifyWorld({ smtpUrl: sink.url, clock, store: undefined, config, existing: true });
    await w.tick();
    await w.tick();
    const fresh = sink.mails.slice(before);
    const of = (to: string, event: string, item?: string) => fresh.filter((m) => m.to.includes(`${to}@example.com`) && m.event === event && (item === undefined || m.item === item)).length;
    expect(of('olivia', 'review.overdue', 'shop/high@1')).toBe(1);
    expect(of('olivia', 'approval.expired', 'shop/exp@1')).toBe(1);
    expect(of('bob', 'approval.expired', 'shop/exp@1')).toBe(1);
    for (const ref of ['shop/crit@1', 'shop/high@1', 'shop/low@1']) expect(of('bob', 'review.reminder', ref), ref).toBe(1);
    const exp = (await w.t.request('GET', `/api/v1/items/${items.exp.id}`, { auth: w.s.olivia })).json as Item;
    expect(Object.values(exp.signoffs)[0]).toMatchObject({ status: 'Not started', round: 2 });
    const keys = sink.mails.map((m) => m.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('any other importance after P5D: the request is cancelled (abandoned) and the owner told', async () => {
    clock.set(new Date(t0 + 5 * DAY).toISOString());
    await w.relogin();
    await w.tick();
    expect(count('olivia', 'review.overdue', 'shop/low@1')).toBe(1);
    expect(count('olivia', 'signoff.abandoned', 'shop/low@1')).toBe(1);
    const low = (await w.t.request('GET', `/api/v1/items/${items.low.id}`, { auth: w.s.olivia })).json as Item;
    expect(Object.values(low.signoffs)[0]?.status).toBe('Abandoned');
    const high = (await w.t.request('GET', `/api/v1/items/${items.high.id}`, { auth: w.s.olivia })).json as Item;
    expect(Object.values(high.signoffs)[0]?.status).toBe('Waiting for feedback');
    // Nothing fires twice: another tick at the same time sends nothing.
    const n = sink.mails.length;
    await w.tick();
    expect(sink.mails.length).toBe(n);
  });

  it('a template can set its own reminder period and timeout (overriding the server)', async () => {
    const tpl = await w.t.request('POST', '/api/v1/templates', {
      auth: w.admin,
      body: {
        id: 'fast-review',
        name: 'Fast review',
        appliesTo: ['bundle'],
        steps: [
          { id: 'development', name: 'Development' },
          { id: 'review', name: 'Review', signoff: { mandatory: true, reminderEvery: 'PT6H', reviewTimeouts: [{ after: 'PT12H', action: 'cancel' }] } },
          { id: 'production', name: 'Production', production: true },
        ],
      },
    });
    expect(tpl.status, tpl.text).toBe(201);
    const p = await w.t.request('POST', '/api/v1/projects', { auth: w.s.olivia, body: { key: 'fast', name: 'Fast', itemTemplates: { bundle: 'fast-review' } } });
    expect(p.status, p.text).toBe(201);
    await w.t.request('PUT', `/api/v1/projects/${p.json.id}/reviewers`, { auth: w.s.olivia, body: { feedbackGroups: [{ groupId: 'it-operations', assignees: [{ kind: 'user', id: w.ids.ivan }] }], finalApprovers: [] } });
    const r = await w.t.request('POST', '/api/v1/items', { auth: w.s.olivia, body: { kind: 'bundle', projectId: p.json.id, name: 'quick', version: '1', artifacts: { images: ['registry.example.com/fast/q@sha256:' + 'f'.repeat(64)] }, importance: 'Critical', requestFeedback: { notify: [] } } });
    expect(r.status, r.text).toBe(201);
    const start = clock.now().getTime();
    clock.set(new Date(start + 6 * 3600_000).toISOString());
    await w.tick();
    expect(count('ivan', 'review.reminder', 'fast/quick@1')).toBe(1);
    clock.set(new Date(start + 12 * 3600_000).toISOString());
    await w.relogin();
    await w.tick();
    const item = (await w.t.request('GET', `/api/v1/items/${r.json.id}`, { auth: w.s.olivia })).json as Item;
    expect(item.signoffs.review?.status).toBe('Abandoned');
    expect(count('olivia', 'signoff.abandoned', 'fast/quick@1')).toBe(1);
    expect(count('rita', 'review.escalated', 'fast/quick@1')).toBe(0);
  });
});
