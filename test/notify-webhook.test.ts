import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, verifySignature, type WebhookReceiver } from './support/notify-sinks.js';
import { notifyWorld, type NotifyWorld } from './support/notify-world.js';

/*
 * Outbound webhooks: admin CRUD with the secret shown once, per-target event filter, HMAC
 * signature a receiver can check, retries with exponential backoff after 500s (the manual
 * clock moves; nothing waits), 4xx as permanent, and the delivery log.
 */
describe('outbound webhooks', () => {
  let w: NotifyWorld;
  let flaky: WebhookReceiver;
  let gone: WebhookReceiver;

  beforeAll(async () => {
    flaky = await startWebhookReceiver((n) => (n < 2 ? 500 : 200));
    gone = await startWebhookReceiver(() => 410);
    // No SMTP: webhooks alone are a transport; mail deliveries are logged as skipped.
    w = await notifyWorld({ config: { notifyRetryBaseMs: 60_000, notifyRetryMaxMs: 600_000, notifyMaxAttempts: 5 } });
  });
  afterAll(async () => {
    await w.close();
    await flaky.close();
    await gone.close();
  });

  it('signs each call, retries after 500s with backoff, keeps the idempotency key, and logs every attempt', async () => {
    const created = await w.t.request('POST', '/api/v1/notifications/webhooks', { auth: w.t.admin, body: { name: 'chat', url: flaky.url, events: ['feedback.submitted', 'signoff.abandoned'] } });
    expect(created.status).toBe(201);
    const secret = created.json.secret as string;
    const targetId = created.json.target.id as string;
    expect(secret).toMatch(/^whsec_/);
    // The secret is shown once: never listed, never stored.
    const listed = await w.t.request('GET', '/api/v1/notifications/webhooks', { auth: w.t.admin });
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(secret);
    expect((await w.t.request('GET', '/api/v1/notifications/webhooks', { auth: w.s.olivia })).status).toBe(403);
    expect((await w.t.request('POST', '/api/v1/notifications/webhooks', { auth: w.t.admin, body: { name: 'bad', url: 'ftp://x' } })).status).toBe(400);

    const item = await w.item('hooked', 'High', [{ kind: 'group', id: 'it-operations' }]);
    await w.act(w.s.ivan, item.id, 'feedback', { groupId: 'it-operations', status: 'Approved', comment: 'looks good' });
    await w.tick();
    // feedback.requested is filtered out; feedback.submitted is sent and answered 500.
    expect(flaky.calls).toHaveLength(1);
    const log = async () => ((await w.t.request('GET', `/api/v1/notifications/deliveries?channel=webhook&itemId=${item.id}`, { auth: w.t.admin })).json as { status: string; attempts: number; lastStatus?: number; nextAttemptAt?: string; id: string }[])[0]!;
    expect(await log()).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });

    // Not due yet: nothing is sent before the backoff has passed.
    w.clock.advance(59_000);
    await w.tick();
    expect(flaky.calls).toHaveLength(1);
    w.clock.advance(1_000);
    await w.tick();
    expect(flaky.calls).toHaveLength(2);
    expect(await log()).toMatchObject({ status: 'pending', attempts: 2, lastStatus: 500 });
    // The second delay is doubled.
    w.clock.advance(60_000);
    await w.tick();
    expect(flaky.calls).toHaveLength(2);
    w.clock.advance(60_000);
    await w.tick();
    expect(flaky.calls).toHaveLength(3);
    expect(await log()).toMatchObject({ status: 'sent', attempts: 3, lastStatus: 200 });

    const keys = flaky.calls.map((c) => c.headers['x-signoff-idempotency-key']);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(`${(await log()).id}`);
    expect(keys[0]).toMatch(new RegExp(`^ntf_[a-z0-9]+:webhook:${targetId}$`));
    for (const call of flaky.calls) {
      expect(verifySignature(secret, call)).toBe(true);
      expect(verifySignature(`${secret}x`, call)).toBe(false);
      expect(verifySignature(secret, { ...call, body: call.body.replace('looks good', 'looks bad') })).toBe(false);
      expect(call.headers['x-signoff-event']).toBe('feedback.submitted');
    }
    const metrics = await w.t.running.metrics.registry.metrics();
    expect(metrics).toMatch(/signoff_notification_attempts_total\{channel="webhook",outcome="retry"\} 2/);
    expect(metrics).toMatch(/signoff_notification_attempts_total\{channel="webhook",outcome="sent"\} 1/);
    expect(metrics).toMatch(/signoff_notification_deliveries_pending 0/);
    const payload = JSON.parse(flaky.calls[2]!.body);
    expect(payload).toMatchObject({ event: 'feedback.submitted', item: { id: item.id, ref: 'shop/hooked@1', url: `http://signoff.test/items/${item.id}` }, actor: { id: w.ids.ivan, name: 'Ivan' }, details: { Comment: 'looks good' } });
  });

  it('a 4xx answer fails the delivery at once; a deleted or disabled target gets nothing more', async () => {
    const created = await w.t.request('POST', '/api/v1/notifications/webhooks', { auth: w.t.admin, body: { id: 'itsm', name: 'itsm', url: gone.url } });
    expect(created.status).toBe(201);
    const item = await w.item('gone');
    await w.act(w.s.olivia, item.id, 'abandon', { comment: 'x' });
    await w.tick();
    expect(gone.calls).toHaveLength(1);
    expect(gone.calls[0]!.headers['x-signoff-event']).toBe('signoff.abandoned');
    const rows = (await w.t.request('GET', `/api/v1/notifications/deliveries?channel=webhook&itemId=${item.id}`, { auth: w.t.admin })).json as { recipient: string; status: string; attempts: number; lastStatus?: number }[];
    expect(rows.find((r) => r.recipient === 'itsm')).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410 });
    w.clock.advance(3_600_000);
    await w.tick();
    expect(gone.calls).toHaveLength(1);

    // Disabled and deleted targets get nothing more.
    expect((await w.t.request('PATCH', '/api/v1/notifications/webhooks/itsm', { auth: w.t.admin, body: { enabled: false } })).json).toMatchObject({ enabled: false });
    const flakyCalls = flaky.calls.length;
    const chat = ((await w.t.request('GET', '/api/v1/notifications/webhooks', { auth: w.t.admin })).json as { id: string; name: string }[]).find((t) => t.name === 'chat')!;
    expect((await w.t.request('DELETE', `/api/v1/notifications/webhooks/${chat.id}`, { auth: w.t.admin })).status).toBe(200);
    await w.act(w.s.olivia, item.id, 'cancel-abandon');
    await w.act(w.s.olivia, item.id, 'abandon', { comment: 'again' });
    await w.tick();
    expect(gone.calls).toHaveLength(1);
    expect(flaky.calls).toHaveLength(flakyCalls);
  });

  it('a deployment refused under prevent and an unapproved one confirmed under warn reach a target that wants them', async () => {
    const deploys = await startWebhookReceiver(() => 204);
    try {
      const created = await w.t.request('POST', '/api/v1/notifications/webhooks', { auth: w.t.admin, body: { name: 'deploys', url: deploys.url, events: ['deployment.refused', 'deployment.confirmed'] } });
      expect(created.status).toBe(201);
      for (const body of [
        { id: 'prod', name: 'Production', policy: 'prevent', production: true },
        { id: 'stage', name: 'Staging', policy: 'warn', requireConfirmation: true },
      ]) expect((await w.t.request('POST', '/api/v1/infrastructures', { auth: w.t.admin, body })).status).toBe(201);
      const item = await w.item('deployed');
      const image = item.artifacts.images[0]!;
      const decide = async (body: object) => (await w.t.request('POST', '/api/v1/decisions', { auth: w.t.admin, body: { item: item.id, artifacts: [image], ...body } })).json.decision.outcome as string;
      expect(await decide({ infrastructure: 'prod' })).toBe('deny');
      expect(await decide({ infrastructure: 'prod', dryRun: true })).toBe('deny');
      expect(await decide({ infrastructure: 'stage', confirmation: { reason: 'hotfix for incident 42' } })).toBe('warn');
      await w.tick();
      const events = deploys.calls.map((c) => String(c.headers['x-signoff-event']));
      expect(events.sort()).toEqual(['deployment.confirmed', 'deployment.refused']);
      expect(deploys.calls.every((c) => verifySignature(created.json.secret as string, c))).toBe(true);
      expect(JSON.parse(deploys.calls.find((c) => c.headers['x-signoff-event'] === 'deployment.confirmed')!.body).details).toMatchObject({ Infrastructure: 'stage', Policy: 'warn', 'Reason given': 'hotfix for incident 42' });
    } finally {
      await deploys.close();
    }
  });
});
