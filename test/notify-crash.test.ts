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
 * With the relay down nothing can be in flight at the kill, so any repeated key fails; with
 * the relay up, the one message in flight may repeat (at-least-once), and nothing else.
 */

 
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

/** What a crash run leaves: the acknowledged changes and the mail received after the restart. */
interface CrashRun {
  requested: string[];
  reviewed: string[];
  sink: MailSink;
  base: string;
  admin: Session;
}

describe('crash with pending notifications', () => {
  const tmp = tempDir('signoff-notify-crash-');
  const procs: ServerProcess[] = [];
  const sinks: MailSink[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const s of sinks) await s.close();
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

  /**
   * Writes over HTTP until a SIGKILL (SMTP down, or up when `sinkDuringCrash` is given), then
   * restarts the server on the same file with a live relay and waits until every acknowledged
   * change was mailed and nothing is pending.
   */
  async function crashAndRestart(name: string, sinkDuringCrash?: MailSink): Promise<CrashRun> {
    const data = join(tmp.dir, `${name}.json`);
    const p1 = await spawnServer(['serve', '--port', '0', '--data', data], { env: env(sinkDuringCrash?.url ?? `smtp://127.0.0.1:${await deadPort()}`) });
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
    // Paced so a run makes a few dozen changes: the test SMTP server greets each connection after a fixed 100 ms.
    const pace = () => new Promise((r) => setTimeout(r, 40));
    const registering = (async () => {
      while (alive) {
        const item = `item-${++n}`;
        try {
          const r = await call(base, 'POST', '/api/v1/items', olivia, { kind: 'bundle', projectId: project.id, name: item, version: '1', artifacts: { images: [`registry.example.com/crash/${item}@sha256:${n.toString(16).padStart(64, '0')}`] }, importance: 'High', requestFeedback: { notify: [{ kind: 'group', id: 'it-operations' }] } });
          if (r.status !== 201) throw new Error(`register: ${r.status}`);
          requested.push(`crash/${item}@1`);
          toReview.push({ id: r.json.id, ref: `crash/${item}@1` });
          await pace();
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
          await pace();
        } catch {
          return;
        }
      }
    })();
    // Kill mid-stream, after the worker has been at work (failing against a dead relay, or sending) for a while.
    await new Promise((r) => setTimeout(r, 600 + Math.floor(Math.random() * 600)));
    p1.child.kill('SIGKILL');
    await p1.exited;
    alive = false;
    await Promise.all([registering, reviewing]);
    expect(requested.length).toBeGreaterThan(2);
    expect(reviewed.length).toBeGreaterThan(0);

    // Restart on the same file with the relay up.
    const sink = sinkDuringCrash ?? (await startMailSink());
    if (!sinkDuringCrash) sinks.push(sink);
    const p2 = await spawnServer(['serve', '--port', '0', '--data', data], { env: env(sink.url) });
    procs.push(p2);
    const admin2 = await login(p2.url, 'admin', ADMIN_PASSWORD);
    const has = (to: string, event: string, ref: string) => sink.mails.filter((m) => m.to.includes(to) && m.event === event && m.item === ref).length;
    await sink.waitFor((m) => m.length > 0 && requested.every((ref) => has('ivan@example.com', 'feedback.requested', ref) > 0) && reviewed.every((ref) => has('olivia@example.com', 'feedback.submitted', ref) > 0), 30_000, 'every acknowledged change mailed');
    // Drained: nothing pending, then a moment for any duplicate to show up.
    const until = Date.now() + 20_000;
    for (;;) {
      const pending = ok(await call(p2.url, 'GET', '/api/v1/notifications/deliveries?status=pending', admin2), 'deliveries') as unknown[];
      if (pending.length === 0) break;
      if (Date.now() > until) throw new Error(`deliveries still pending: ${JSON.stringify(pending).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    return { requested, reviewed, sink, base: p2.url, admin: admin2 };
  }

  const mailsFor = (run: CrashRun, to: string, event: string, ref: string) => run.sink.mails.filter((m) => m.to.includes(to) && m.event === event && m.item === ref).length;
  const duplicates = (run: CrashRun) => {
    const seen = new Map<string, number>();
    for (const m of run.sink.mails) seen.set(m.key, (seen.get(m.key) ?? 0) + 1);
    return [...seen.values()].filter((c) => c > 1).length;
  };

  it('SMTP down at the kill: every acknowledged change is mailed after the restart, once per recipient, no key twice', async () => {
    const run = await crashAndRestart('down');
    for (const ref of run.requested) expect(mailsFor(run, 'ivan@example.com', 'feedback.requested', ref), ref).toBe(1);
    for (const ref of run.reviewed) expect(mailsFor(run, 'olivia@example.com', 'feedback.submitted', ref), ref).toBe(1);
    const keys = run.sink.mails.map((m) => m.key);
    expect(keys.every((k) => /^ntf_[a-z0-9]+:user:usr_[a-z0-9]+$/.test(k))).toBe(true);
    // The relay refused every connection before the kill: nothing was in flight, so no key may repeat.
    expect(duplicates(run), 'no idempotency key twice').toBe(0);
    const all = ok(await call(run.base, 'GET', '/api/v1/notifications/deliveries?limit=1000', run.admin), 'deliveries') as { status: string; attempts: number }[];
    expect(all.every((d) => d.status === 'sent')).toBe(true);
    // The outage shows in the log: deliveries that failed before the kill were sent on a later attempt.
    expect(all.some((d) => d.attempts >= 2)).toBe(true);
    // Changes committed but not acknowledged before the kill may add their own mails; nothing else.
    expect(run.sink.mails.length).toBeLessThanOrEqual(run.requested.length + run.reviewed.length + 2);
  });

  it('SMTP up at the kill: every acknowledged change is mailed; at most the one message in flight repeats, with the same key', async () => {
    const sink = await startMailSink();
    sinks.push(sink);
    const run = await crashAndRestart('up', sink);
    for (const ref of run.requested) expect(mailsFor(run, 'ivan@example.com', 'feedback.requested', ref), ref).toBeGreaterThanOrEqual(1);
    for (const ref of run.reviewed) expect(mailsFor(run, 'olivia@example.com', 'feedback.submitted', ref), ref).toBeGreaterThanOrEqual(1);
    // The worker sends one message at a time: a message accepted by the relay whose "sent" mark
    // the kill prevented is sent again (at-least-once). That is the only repeat there can be.
    expect(duplicates(run)).toBeLessThanOrEqual(1);
  });
});
