import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemDocument } from '@signoff/core';
import { createLogger } from '@signoff/ui-lite';
import { ADMIN_PASSWORD, logCapture, startTestServer, type TestServer } from './support/server-harness.js';

const expectProblem = (answer: { status: number; headers: Headers; json: unknown }, status: number, code?: string) => {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const doc = ProblemDocument.parse(answer.json);
  expect(doc.status).toBe(status);
  if (code) expect(doc.code).toBe(code);
  return doc;
};

describe('server HTTP protocol: authentication, CSRF, bodies, errors', () => {
  let t: TestServer;
  const logs = logCapture();

  beforeAll(async () => {
    t = await startTestServer({
      logger: createLogger({ level: 'info', destination: logs }),
      loginRateLimit: { limit: 3, windowMs: 60_000 },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers anonymous API calls with 401 problem documents and a WWW-Authenticate header', async () => {
    const answer = await t.request('GET', '/api/v1/projects');
    const doc = expectProblem(answer, 401, 'UNAUTHENTICATED');
    expect(doc.instance).toBe('/api/v1/projects');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('rejects a malformed or unknown bearer token with 401 rather than treating it as anonymous', async () => {
    expectProblem(await t.request('GET', '/api/v1/me', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401, 'UNAUTHENTICATED');
    expectProblem(await t.request('GET', '/api/v1/me', { headers: { authorization: 'Bearer sk_abcdef_notarealsecretnotarealsecret' } }), 401);
  });

  it('signs in with a session cookie that is HttpOnly and SameSite=Lax, and not Secure over plain HTTP', async () => {
    const answer = await t.request('POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(answer.status).toBe(200);
    expect(answer.json.username).toBe('admin');
    expect(answer.json.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const cookie = answer.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^signoff_session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const me = await t.request('GET', '/api/v1/session', { headers: { cookie: cookie.split(';')[0]! } });
    expect(me.status).toBe(200);
    expect(me.json.csrfToken).toBe(answer.json.csrfToken);
  });

  it('marks the cookie Secure when the request came over TLS through a trusted proxy', async () => {
    const proxied = await startTestServer({ config: { trustedProxies: ['127.0.0.1/32'] } });
    try {
      const answer = await proxied.request('POST', '/api/v1/session', {
        body: { username: 'admin', password: ADMIN_PASSWORD },
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(answer.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    } finally {
      await proxied.close();
    }
  });

  it('marks the cookie Secure when --public-url is https', async () => {
    const tls = await startTestServer({ config: { publicUrl: 'https://signoff.example.com' } });
    try {
      const answer = await tls.request('POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD } });
      expect(answer.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    } finally {
      await tls.close();
    }
  });

  it('refuses wrong passwords with 401 and rate-limits repeated failures per address and username with 429', async () => {
    const wrong = () => t.request('POST', '/api/v1/session', { body: { username: 'ratelimited', password: 'wrong-password' } });
    for (let i = 0; i < 3; i++) expectProblem(await wrong(), 401, 'UNAUTHENTICATED');
    const limited = expectProblem(await wrong(), 429, 'RATE_LIMITED');
    expect(limited.detail).toMatch(/Too many/);
    // Another username from the same address is not blocked by that.
    expect((await t.request('POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(200);
  });

  it('requires the CSRF header on cookie-authenticated writes, and not on reads', async () => {
    const admin = t.admin;
    const body = { name: 'CSRF check', id: 'csrf-check' };
    const without = await t.request('POST', '/api/v1/groups', { headers: { cookie: admin.cookie }, body });
    expectProblem(without, 403, 'FORBIDDEN');
    expect(without.json.detail).toMatch(/x-csrf-token/);
    const wrong = await t.request('POST', '/api/v1/groups', { headers: { cookie: admin.cookie, 'x-csrf-token': 'x'.repeat(43) }, body });
    expectProblem(wrong, 403, 'FORBIDDEN');
    expect((await t.request('GET', '/api/v1/groups', { headers: { cookie: admin.cookie } })).status).toBe(200);
    const ok = await t.request('POST', '/api/v1/groups', { auth: admin, body });
    expect(ok.status).toBe(201);
  });

  it('signs out: the session cookie stops working', async () => {
    const session = await t.login('admin', ADMIN_PASSWORD);
    expect((await t.request('GET', '/api/v1/me', { auth: session })).status).toBe(200);
    const out = await t.request('DELETE', '/api/v1/session', { auth: session });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/signoff_session=;/);
    expectProblem(await t.request('GET', '/api/v1/me', { auth: session }), 401);
  });

  it('answers 400 for malformed JSON, 415 for a non-JSON body and 413 above 1 MiB, as problem documents', async () => {
    const admin = t.admin;
    const bad = await t.request('POST', '/api/v1/projects', { auth: admin, rawBody: '{"key": "x",', headers: { 'content-type': 'application/json' } });
    expect(expectProblem(bad, 400, 'VALIDATION').detail).toMatch(/not valid JSON/);
    const form = await t.request('POST', '/api/v1/projects', { auth: admin, rawBody: 'key=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(form, 415);
    const big = await t.request('POST', '/api/v1/projects', {
      auth: admin,
      rawBody: JSON.stringify({ key: 'big', name: 'x'.repeat(1024 * 1024 + 10) }),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(big, 413);
    const primitive = await t.request('POST', '/api/v1/projects', { auth: admin, rawBody: '42', headers: { 'content-type': 'application/json' } });
    expectProblem(primitive, 400);
  });

  it('names the offending fields of an invalid body, query or path parameter', async () => {
    const admin = t.admin;
    const body = expectProblem(await t.request('POST', '/api/v1/projects', { auth: admin, body: { key: 'Not A Slug', name: '' } }), 400, 'VALIDATION');
    expect(body.issues?.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['key', 'name']));
    const unknown = expectProblem(await t.request('POST', '/api/v1/projects', { auth: admin, body: { key: 'ok', name: 'ok', sneaky: true } }), 400);
    expect(JSON.stringify(unknown.issues)).toMatch(/sneaky/);
    const query = expectProblem(await t.request('GET', '/api/v1/deployments?limit=-3', { auth: admin }), 400);
    expect(query.issues?.[0]?.path).toEqual(['query', 'limit']);
    const params = expectProblem(await t.request('PATCH', '/api/v1/users/NOT_AN_ID', { auth: admin, body: {} }), 400);
    expect(params.issues?.[0]?.path).toEqual(['params', 'id']);
  });

  it('answers unknown API paths with 404 and known paths with a wrong method with 405 and Allow', async () => {
    expectProblem(await t.request('GET', '/api/v1/nothing-here', { auth: t.admin }), 404, 'NOT_FOUND');
    const wrongMethod = await t.request('PUT', '/api/v1/projects', { auth: t.admin, body: {} });
    expectProblem(wrongMethod, 405);
    expect(wrongMethod.headers.get('allow')).toBe('POST, GET, HEAD');
  });

  it('gives every request an id, honours a sane x-request-id, and logs it on every line without secrets', async () => {
    const answer = await t.request('GET', '/api/v1/me', { auth: t.admin, headers: { 'x-request-id': 'trace-abc.123' } });
    expect(answer.headers.get('x-request-id')).toBe('trace-abc.123');
    const generated = await t.request('GET', '/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await t.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(hostile.headers.get('x-request-id')).not.toContain(' ');
    await t.request('POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD } });

    const lines = logs.lines();
    const line = lines.find((l) => l.reqId === 'trace-abc.123');
    expect(line).toMatchObject({ msg: 'request', method: 'GET', route: '/api/v1/me', status: 200, level: 'info' });
    for (const l of lines.filter((l) => l.msg === 'request')) expect(typeof l.reqId).toBe('string');
    const raw = logs.raw();
    expect(raw).not.toContain(ADMIN_PASSWORD);
    expect(raw).not.toContain(t.admin.cookie.split('=')[1]);
    expect(raw).not.toContain(t.admin.csrfToken);
  });
});

describe('SSO proxy headers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ config: { trustedProxies: ['127.0.0.1'], ssoHeaders: true } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts X-Forwarded-User / -Email / -Groups from a trusted proxy, creating the user on first sight', async () => {
    const answer = await t.request('GET', '/api/v1/me', {
      headers: { 'x-forwarded-user': 'sam', 'x-forwarded-email': 'sam@example.com', 'x-forwarded-groups': 'risk-compliance, business,Not Valid' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ kind: 'user', username: 'sam', groups: ['risk-compliance', 'business'] });
    const users = await t.request('GET', '/api/v1/users', { auth: t.admin });
    expect(users.json.find((u: { username: string }) => u.username === 'sam')).toMatchObject({ email: 'sam@example.com' });
    expect(users.json.find((u: { username: string }) => u.username === 'sam').passwordHash).toBeUndefined();
  });

  it('gives SSO callers a CSRF token and requires it on writes', async () => {
    const headers = { 'x-forwarded-user': 'sam' };
    const session = await t.request('GET', '/api/v1/session', { headers });
    expect(session.status).toBe(200);
    expect(session.json.method).toBe('sso');
    const body = { key: 'sso-project', name: 'SSO project' };
    expect((await t.request('POST', '/api/v1/projects', { headers, body })).status).toBe(403);
    const created = await t.request('POST', '/api/v1/projects', { headers: { ...headers, 'x-csrf-token': session.json.csrfToken }, body });
    expect(created.status).toBe(201);
  });

  it('ignores the headers from an address that is not a trusted proxy', async () => {
    const untrusted = await startTestServer({ config: { trustedProxies: ['10.0.0.0/8'], ssoHeaders: true } });
    try {
      const answer = await untrusted.request('GET', '/api/v1/me', { headers: { 'x-forwarded-user': 'admin' } });
      expectProblem(answer, 401);
    } finally {
      await untrusted.close();
    }
  });

  it('is off by default: the headers are ignored even from a trusted proxy', async () => {
    const off = await startTestServer({ config: { trustedProxies: ['127.0.0.1'] } });
    try {
      expectProblem(await off.request('GET', '/api/v1/me', { headers: { 'x-forwarded-user': 'admin' } }), 401);
    } finally {
      await off.close();
    }
  });

  it('refuses to start with SSO headers but no trusted proxy', async () => {
    await expect(startTestServer({ config: { ssoHeaders: true } })).rejects.toThrow(/trusted-proxy/);
  });
});
