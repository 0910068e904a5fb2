import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailSink, type MailSink, type ReceivedMail } from './support/notify-sinks.js';
import { notifyWorld, type NotifyWorld } from './support/notify-world.js';

/*
 * Notifications by mail to a real SMTP server process (smtp-server on port 0, parsed with
 * mailparser): recipients resolved from users, groups and roles, subject, text and HTML parts,
 * item link, idempotency key, and the one-click unsubscribe link end to end.
 */
describe('notification mail to a real SMTP server', () => {
  let sink: MailSink;
  let w: NotifyWorld;

  beforeAll(async () => {
    sink = await startMailSink();
    w = await notifyWorld({ smtpUrl: sink.url });
  });
  afterAll(async () => {
    await w.close();
    await sink.close();
  });

  const to = (addr: string, mails: ReceivedMail[] = sink.mails) => mails.filter((m) => m.to.includes(addr));

  it('feedback requested from a group reaches its members with an address, once each, with both parts and the item link', async () => {
    const item = await w.item('web', 'High', [{ kind: 'group', id: 'it-operations' }]);
    await w.tick();
    await sink.waitFor((m) => m.length >= 1);
    expect(sink.mails.map((m) => m.to)).toEqual([['ivan@example.com']]);
    const [mail] = sink.mails as [ReceivedMail];
    expect(mail.from).toBe('signoff@example.com');
    expect(mail.parsed.subject).toContain('shop/web@1');
    expect(mail.parsed.subject?.toLowerCase()).toContain('feedback requested');
    expect(mail.parsed.text).toContain(`http://signoff.test/items/${item.id}`);
    expect(mail.parsed.text).toContain('Olivia');
    expect(mail.parsed.html).toContain(`href="http://signoff.test/items/${item.id}"`);
    expect(mail.event).toBe('feedback.requested');
    expect(mail.item).toBe('shop/web@1');
    expect(mail.key).toMatch(new RegExp(`^ntf_[a-z0-9]+:user:${w.ids.ivan}$`));
    expect(mail.parsed.messageId).toBe(`<${mail.key.replaceAll(':', '.')}@example.com>`);
    expect(mail.header('list-unsubscribe')).toMatch(/^<http:\/\/signoff\.test\/unsubscribe\?token=[^>]+>$/);
    expect(mail.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    // The delivery log (admin) shows the mail sent and the member without an address skipped.
    const log = await w.t.request('GET', `/api/v1/notifications/deliveries?itemId=${item.id}`, { auth: w.t.admin });
    expect(log.status).toBe(200);
    const rows = (log.json as { recipient: string; status: string; lastError?: string; id: string }[]).map((d) => [d.recipient, d.status]);
    expect(rows.sort()).toEqual([[w.ids.ivan, 'sent'], [w.ids.nomail, 'skipped']].sort());
    expect((await w.t.request('GET', '/api/v1/notifications/deliveries', { auth: w.s.olivia })).status).toBe(403);
  });

  it('owners hear of reviews on their items, reviewers after reviewing; the one-click link unsubscribes', async () => {
    const item = await w.item('api', 'Low', [{ kind: 'group', id: 'it-operations' }]);
    await w.tick();
    const before = sink.mails.length;
    await w.act(w.s.ivan, item.id, 'feedback', { groupId: 'it-operations', status: 'Minor issues', comment: 'Needs <b>logs</b>' });
    await w.tick();
    await sink.waitFor((m) => m.length > before);
    const toOlivia = to('olivia@example.com', sink.mails.slice(before));
    expect(toOlivia).toHaveLength(1);
    const mail = toOlivia[0]!;
    expect(mail.event).toBe('feedback.submitted');
    expect(mail.parsed.text).toContain('Needs <b>logs</b>');
    expect(mail.parsed.html).not.toContain('<b>logs</b>');
    // ivan acted: he is not told about his own review.
    expect(to('ivan@example.com', sink.mails.slice(before))).toHaveLength(0);

    // The link in the mail: GET shows a confirmation (and changes nothing), POST unsubscribes.
    const link = /<([^>]+)>/.exec(mail.header('list-unsubscribe') ?? '')?.[1] ?? '';
    const path = link.replace('http://signoff.test', '');
    expect(mail.parsed.text).toContain(link);
    const page = await fetch(w.t.url + path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect((await w.t.request('GET', `/api/v1/items/${item.id}/subscription`, { auth: w.s.olivia })).json).toMatchObject({ subscribed: true, via: 'item', explicit: false });
    expect((await fetch(`${w.t.url}${path.slice(0, -3)}AAA`)).status).toBe(400);
    const forged = await fetch(`${w.t.url}${path.slice(0, -3)}AAA`, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forged.status).toBe(400);
    const done = await fetch(w.t.url + path, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('shop/api@1');
    expect((await w.t.request('GET', `/api/v1/items/${item.id}/subscription`, { auth: w.s.olivia })).json).toMatchObject({ subscribed: false, via: 'item', explicit: true });

    // Next review: rita's. Olivia (unsubscribed) gets nothing; ivan (subscribed by reviewing) does.
    const mark = sink.mails.length;
    await w.act(w.s.rita, item.id, 'feedback', { groupId: 'risk-compliance', status: 'Approved', comment: '' });
    await w.act(w.s.olivia, item.id, 'abandon', { comment: 'on hold' });
    await w.tick();
    await sink.waitFor((m) => to('ivan@example.com', m.slice(mark)).length >= 2);
    expect(to('olivia@example.com', sink.mails.slice(mark))).toHaveLength(0);
    expect(to('ivan@example.com', sink.mails.slice(mark)).map((m) => m.event)).toEqual(['feedback.submitted', 'signoff.abandoned']);
    expect(to('rita@example.com', sink.mails.slice(mark)).map((m) => m.event)).toEqual(['signoff.abandoned']);

    // Subscribing again in the API brings the mail back; another item of the project was never affected.
    expect((await w.t.request('PUT', `/api/v1/items/${item.id}/subscription`, { auth: w.s.olivia })).json).toMatchObject({ subscribed: true, via: 'item' });
    const mark2 = sink.mails.length;
    await w.act(w.s.olivia, item.id, 'cancel-abandon');
    await w.act(w.s.ivan, item.id, 'feedback', { groupId: 'it-operations', status: 'Approved', comment: 'fixed' });
    await w.tick();
    await sink.waitFor((m) => to('olivia@example.com', m.slice(mark2)).length >= 1);
    expect(to('olivia@example.com', sink.mails.slice(mark2)).map((m) => m.event)).toEqual(['feedback.submitted']);
  });

  it('a project subscription covers the items others register (CI with an API key)', async () => {
    const ci = await w.t.apiKey('ci-writer', ['items:write', 'reviews:write']);
    const r = await w.t.request('POST', '/api/v1/items', { auth: ci, body: { kind: 'bundle', projectId: w.project.id, name: 'from-ci', version: '7', artifacts: { images: ['registry.example.com/ci/app@sha256:' + 'c'.repeat(64)] }, importance: 'Low', requestFeedback: { notify: [{ kind: 'user', id: w.ids.bob }] } } });
    expect(r.status).toBe(201);
    await w.tick();
    expect((await w.t.request('GET', `/api/v1/items/${r.json.id}/subscription`, { auth: w.s.olivia })).json).toMatchObject({ subscribed: true, via: 'project' });
    const mark = sink.mails.length;
    await w.act(w.s.bob, r.json.id, 'feedback', { groupId: 'business', status: 'Approved', comment: '' });
    await w.tick();
    await sink.waitFor((m) => to('olivia@example.com', m.slice(mark)).length >= 1);
    expect(to('olivia@example.com', sink.mails.slice(mark)).map((m) => [m.event, m.item])).toEqual([['feedback.submitted', 'shop/from-ci@7']]);
  });

  it('the item page offers Unsubscribe and Subscribe (a form with the session CSRF token)', async () => {
    const item = await w.item('ui-sub');
    const pageHtml = async () => (await w.t.request('GET', `/items/${item.id}`, { auth: w.s.olivia })).text;
    const first = await pageHtml();
    expect(first).toContain('<h2 id="h-sub">Notifications</h2>');
    const form = /<form method="post" action="\/items\/[^"]+\/subscription"><input type="hidden" name="_csrf" value="([^"]+)"><input type="hidden" name="subscribed" value="false"><button type="submit" class="secondary">Unsubscribe<\/button>/.exec(first);
    expect(form).not.toBeNull();
    const post = (value: string, csrf: string) => fetch(`${w.t.url}/items/${item.id}/subscription`, { method: 'POST', redirect: 'manual', headers: { cookie: w.s.olivia.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}&subscribed=${value}` });
    expect((await post('false', 'wrong')).status).toBe(403);
    expect((await w.t.request('GET', `/api/v1/items/${item.id}/subscription`, { auth: w.s.olivia })).json).toMatchObject({ subscribed: true });
    expect((await post('false', form![1]!)).status).toBe(303);
    expect((await w.t.request('GET', `/api/v1/items/${item.id}/subscription`, { auth: w.s.olivia })).json).toMatchObject({ subscribed: false, via: 'item' });
    expect(await pageHtml()).toContain('>Subscribe</button>');
  });

  it('every idempotency key arrived once', () => {
    const keys = sink.mails.map((m) => m.key);
    expect(keys.every((k) => k.length > 0)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('subscription endpoints need a user session; API keys and anonymous callers are refused', async () => {
    const item = await w.item('sub-authz');
    const key = await w.t.apiKey('ci', ['items:read']);
    expect((await w.t.request('GET', `/api/v1/items/${item.id}/subscription`, { auth: key })).status).toBe(403);
    expect((await w.t.request('PUT', `/api/v1/items/${item.id}/subscription`)).status).toBe(401);
    expect((await w.t.request('DELETE', `/api/v1/items/nope/subscription`, { auth: w.s.bob })).status).toBe(404);
  });
});
