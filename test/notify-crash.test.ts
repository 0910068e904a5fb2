import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, tempDir } from './support/server-harness.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { deadPort, startMailSink, type MailSink } from './support/notify-sinks.js';

/*
 * The crash test of issue 7. The real `signoff-server serve` on a lowdb file, SMTP down
 * (connections refused): changes are made over HTTP and the process is killed with SIGKILL
 * in the middle of them. Restarted with the SMTP server up, every event caused by an
 * acknowledged change is delivered, once per recipient as judged by its idempotency key.
 * No message can be in flight at the kill (the relay refused every connection), so the
 * at-least-once duplicate of an in-flight send cannot occur here: any duplicate fails.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the assertions
type Json = any;

interface Session {
  cookie: string;
  csrf: string;
  id: string;
}

async function call(base: string, method: string, path: string, session?: Session, body?: unknown): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = {};
  if (session) {
    headers.cookie = session.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = session.csrf;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

async function login(base: string, username: string, password: string): Promise<Session> {
  const r = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const json = (await r.json()) as { csrfToken: string; id: string };
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
  return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: json.csrfToken, id: json.id };
}

const ok = (r: { status: number; json: Json }, what: string): Json => {
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
};

describe('crash while SMTP is down', () => {
  const tmp = tempDir('signoff-notify-crash-');
  const data = join(tmp.dir, 'signoff.json');
  const procs: ServerProcess[] = [];
  let sink: MailSink | undefined;
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await sink?.close();
    tmp.remove();
  });

  const env = (smtpUrl: string) => ({
    SIGNOFF_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SIGNOFF_SMTP_URL: smtpUrl,
    SIGNOFF_MAIL_FROM: 'signoff@example.com',
    SIGNOFF_PUBLIC_URL: 'http://signoff.test',
    SIGNOFF_NOTIFY_POLL_MS: '50',
    SIGNOFF_NOTIFY_RETRY_BASE_MS: '100',
    SIGNOFF_NOTIFY_RETRY_MAX_MS: '400',
    SIGNOFF_LOG_LEVEL: 'warn',
  });

  it('every acknowledged change is mailed once per recipient after the restart', async () => {
    const p1 = await spawnServer(['serve', '--port', '0', '--data', data], { env: env(`smtp://127.0.0.1:${await deadPort()}`) });
    procs.push(p1);
    const base = p1.url;
    const admin = await login(base, 'admin', ADMIN_PASSWORD);
    ok(await call(base, 'POST', '/api/v1/groups', admin, { id: 'it-operations', name: 'IT & Operations' }), 'group');
    for (const [username, groups] of [['olivia', []], ['ivan', ['it-operations']]] as const) {
      ok(await call(base, 'POST', '/api/v1/users', admin, { username, displayName: username, email: `${username}@example.com`, password: `${username}-password-1`, groups }), username);
    }
    const olivia = await login(base, 'olivia', 'olivia-password-1');
    const ivan = await login(base, 'ivan', 'ivan-password-1');
    const project = ok(await call(base, 'POST', '/api/v1/projects', olivia, { key: 'crash', name: 'Crash' }), 'project');
    ok(await call(base, 'PUT', `/api/v1/projects/${project.id}/reviewers`, olivia, { feedbackGroups: [{ groupId: 'it-operations', assignees: [{ kind: 'group', id: 'it-operations' }] }], finalApprovers: [] }), 'reviewers');

    // Two writers until the kill: olivia registers items asking ivan's group for feedback
    // (→ a mail to ivan), ivan reviews them (→ a mail to olivia, subscribed as the creator).
    const requested: string[] = [];
    const reviewed: string[] = [];
    const toReview: { id: string; ref: string }[] = [];
    let alive = true;
    let n = 0;
    const registering = (async () => {
      while (alive) {
        const name = `item-${++n}`;
        try {
          const r = await call(base, 'POST', '/api/v1/items', olivia, { kind: 'bundle', projectId: project.id, name, version: '1', artifacts: { images: [`registry.example.com/crash/${name}@sha256:${n.toString(16).padStart(64, '0')}`] }, importance: 'High', requestFeedback: { notify: [{ kind: 'group', id: 'it-operations' }] } });
          if (r.status !== 201) throw new Error(`register: ${r.status}`);
          requested.push(`crash/${name}@1`);
          toReview.push({ id: r.json.id, ref: `crash/${name}@1` });
        } catch {
          return;
        }
      }
    })();
    const reviewing = (async () => {
      while (alive) {
        const next = toReview.shift();
        if (!next) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        try {
          const r = await call(base, 'POST', `/api/v1/items/${next.id}/signoff/feedback`, ivan, { groupId: 'it-operations', status: 'Approved', comment: '' });
          if (r.status !== 200) throw new Error(`review: ${r.status}`);
          reviewed.push(next.ref);
        } catch {
          return;
        }
      }
    })();
    // Kill mid-stream, after the worker has been failing against the dead relay for a while.
    await new Promise((r) => setTimeout(r, 600 + Math.floor(Math.random() * 600)));
    p1.child.kill('SIGKILL');
    await p1.exited;
    alive = false;
    await Promise.all([registering, reviewing]);
    expect(requested.length).toBeGreaterThan(2);
    expect(reviewed.length).toBeGreaterThan(0);

    // Restart on the same file with the relay up.
    sink = await startMailSink();
    const p2 = await spawnServer(['serve', '--port', '0', '--data', data], { env: env(sink.url) });
    procs.push(p2);
    const admin2 = await login(p2.url, 'admin', ADMIN_PASSWORD);
    const mails = sink;
    const has = (to: string, event: string, ref: string) => mails.mails.filter((m) => m.to.includes(to) && m.event === event && m.item === ref).length;
    await sink.waitFor((m) => m.length > 0 && requested.every((ref) => has('ivan@example.com', 'feedback.requested', ref) > 0) && reviewed.every((ref) => has('olivia@example.com', 'feedback.submitted', ref) > 0), 30_000, 'every acknowledged change mailed');
    // Drained: nothing pending, then a moment for any duplicate to show up.
    const until = Date.now() + 20_000;
    for (;;) {
      const pending = ok(await call(p2.url, 'GET', '/api/v1/notifications/deliveries?status=pending', admin2), 'deliveries');
      if (pending.length === 0) break;
      if (Date.now() > until) throw new Error(`deliveries still pending: ${JSON.stringify(pending).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));

    for (const ref of requested) expect(has('ivan@example.com', 'feedback.requested', ref), ref).toBe(1);
    for (const ref of reviewed) expect(has('olivia@example.com', 'feedback.submitted', ref), ref).toBe(1);
    const keys = sink.mails.map((m) => m.key);
    expect(keys.every((k) => /^ntf_[a-z0-9]+:user:usr_[a-z0-9]+$/.test(k))).toBe(true);
    expect(new Set(keys).size, 'no idempotency key twice').toBe(keys.length);
    // The relay was down before the kill: some deliveries had failed attempts then.
    const all = ok(await call(p2.url, 'GET', '/api/v1/notifications/deliveries?limit=1000', admin2), 'deliveries') as { status: string; attempts: number }[];
    expect(all.every((d) => d.status === 'sent')).toBe(true);
    expect(all.some((d) => d.attempts >= 2)).toBe(true);
    // Changes committed but not acknowledged before the kill may add their own mails; nothing else.
    expect(sink.mails.length).toBeLessThanOrEqual(requested.length + reviewed.length + 2);
    await p2.stop();
  });
});
