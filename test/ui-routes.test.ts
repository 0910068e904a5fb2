/**
 * The reviewer UI's routes over real HTTP without a browser: security headers, CSRF, escaping,
 * sign-in, errors from the service shown as messages, and actions offered only when allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormSession, startUiServer, type UiServer } from './support/ui-server.js';

describe('reviewer UI routes', () => {
  let server: UiServer;
  beforeAll(async () => {
    server = await startUiServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends a Content-Security-Policy without inline script, and framing/referrer protection', async () => {
    const s = new FormSession(server.url);
    const login = await s.get('/login');
    expect(login.status).toBe(200);
    const csp = login.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    expect(login.text).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/);
    expect(login.text).not.toMatch(/\son[a-z]+=/i);
    const css = login.text.match(/href="(\/ui\/app\.[^"]+\.css)"/)?.[1];
    const js = login.text.match(/src="(\/ui\/app\.[^"]+\.js)"/)?.[1];
    expect((await s.get(css!)).headers.get('content-type')).toMatch(/text\/css/);
    expect((await s.get(js!)).headers.get('content-type')).toMatch(/javascript/);
  });

  it('sends anonymous visitors to the sign-in page and back where they were going', async () => {
    const s = new FormSession(server.url);
    const r = await s.get('/projects?q=shop');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/login?next=%2Fprojects%3Fq%3Dshop');
    const login = await s.get('/login?next=%2Fprojects%3Fq%3Dshop');
    const ok = await s.post('/login', { _csrf: FormSession.csrf(login.text), username: 'olivia', password: 'demo-password-for-ui-tests', next: '/projects?q=shop' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/projects?q=shop');
    const cookie = ok.headers.getSetCookie().find((c) => !c.startsWith('signoff_login_csrf'))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=(Lax|Strict)/i);
    // An open redirect is not possible through `next`.
    const evil = await new FormSession(server.url).get('/login?next=//evil.example/x');
    expect(evil.text).toContain('name="next" value="/"');
  });

  it('refuses a sign-in form that does not carry its token, and a wrong password, with a message', async () => {
    const s = new FormSession(server.url);
    const noToken = await s.post('/login', { username: 'olivia', password: 'demo-password-for-ui-tests' });
    expect(noToken.status).toBe(403);
    expect(s.cookies.size).toBe(1); // only the new login token: no session
    const login = await s.get('/login');
    const wrong = await s.post('/login', { _csrf: FormSession.csrf(login.text), username: 'olivia', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong username or password.');
  });

  it('rejects state-changing forms without the session CSRF token and changes nothing', async () => {
    const s = new FormSession(server.url);
    const csrf = await s.signIn('olivia');
    const missing = await s.post('/projects', { key: 'csrf-a', name: 'No token' });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('security token');
    const wrong = await s.post('/projects', { _csrf: `${csrf.slice(0, -2)}xx`, key: 'csrf-b', name: 'Wrong token' });
    expect(wrong.status).toBe(403);
    expect((await s.get('/projects/csrf-a')).status).toBe(404);
    expect((await s.get('/projects/csrf-b')).status).toBe(404);
    const good = await s.post('/projects', { _csrf: csrf, key: 'csrf-c', name: 'With token' });
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toBe('/projects/csrf-c?done=created');
    expect((await s.get('/projects/csrf-c')).text).toContain('<h1>With token</h1>');
  });

  it('escapes hostile names and comments everywhere they are shown', async () => {
    const s = new FormSession(server.url);
    const csrf = await s.signIn('olivia');
    const payload = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;
    const created = await s.post('/projects', { _csrf: csrf, key: 'hostile', name: payload, description: payload });
    expect(created.status).toBe(303);
    for (const path of ['/projects/hostile', '/projects', '/projects/matrix', '/audit?subject=x']) {
      const page = await s.get(path);
      expect(page.text, path).not.toContain('<script>alert');
      expect(page.text, path).not.toContain('<img src=x');
    }
    const page = await s.get('/projects/hostile');
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    // A failed form echoes the input escaped too.
    const bad = await s.post('/projects', { _csrf: csrf, key: '<b>Bad Key</b>', name: payload });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('value="&lt;b&gt;Bad Key&lt;/b&gt;"');
    expect(bad.text).not.toContain('<b>Bad Key</b>');
  });

  it('shows the service error as a message on the page, never a stack trace', async () => {
    const bob = new FormSession(server.url);
    const csrf = await bob.signIn('bob');
    const r = await bob.post('/projects/shop/qualification', { _csrf: csrf, decision: 'No go', comments: 'hijack' });
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/class="msg error" role="alert"><strong>Error:<\/strong> Only the owner of project shop/);
    expect(r.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const shop = await bob.get('/projects/shop');
    expect(shop.text).not.toContain('hijack');
    // Bob is no owner: no edit forms are offered to him.
    expect(shop.text).not.toContain('Save qualification');
    expect(shop.text).not.toContain('+ Add to');
  });

  it('answers unknown pages and items with a 404 page', async () => {
    const s = new FormSession(server.url);
    await s.signIn('olivia');
    const page = await s.get('/no/such/page');
    expect(page.status).toBe(404);
    expect(page.text).toContain('Page not found');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const item = await s.get('/items/itm_does_not_exist');
    expect(item.status).toBe(404);
    expect(item.text).toContain('class="msg error"');
  });

  it('offers the final approval only to a final approver who did not create the item', async () => {
    const fiona = new FormSession(server.url);
    await fiona.signIn('fiona');
    const home = await fiona.get('/');
    const link = /href="(\/items\/[^"#]+)#signoff">fraud\/fraud-model@3</.exec(home.text);
    expect(link, 'fiona is asked for the final approval of fraud/fraud-model@3').not.toBeNull();
    expect(home.text).toMatch(/<span class="count">[1-9]\d*<\/span>/);
    const item = await fiona.get(link![1]!);
    expect(item.text).toContain('Submit final review');
    const olivia = new FormSession(server.url);
    await olivia.signIn('olivia');
    const asOwner = await olivia.get(link![1]!);
    expect(asOwner.text).toContain('Waiting for final approval');
    expect(asOwner.text).not.toContain('Submit final review');
  });

  it('signs out: the session no longer opens pages', async () => {
    const s = new FormSession(server.url);
    const csrf = await s.signIn('olivia');
    const out = await s.post('/logout', { _csrf: csrf });
    expect(out.status).toBe(303);
    expect((await s.get('/')).status).toBe(303);
  });
});

describe('reviewer UI behind a trusted SSO proxy', () => {
  let server: UiServer;
  beforeAll(async () => {
    server = await startUiServer({ app: { sso: true, trustedProxies: ['127.0.0.1/32'] } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("shows the proxy's user, needs no sign-in form and offers no sign-out", async () => {
    const res = await fetch(`${server.url}/`, { headers: { 'x-forwarded-user': 'olivia' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('Signed in as <strong>Olivia Owner</strong> <span class="badge s-info">SSO</span>');
    expect(text).not.toContain('Sign out');
    // Forms still carry a CSRF token, and a POST without it is refused.
    const form = await (await fetch(`${server.url}/projects/new`, { headers: { 'x-forwarded-user': 'olivia' } })).text();
    expect(form).toMatch(/name="_csrf" value="[^"]+"/);
    const post = await fetch(`${server.url}/projects`, {
      method: 'POST',
      headers: { 'x-forwarded-user': 'olivia', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=sso-x&name=SSO',
    });
    expect(post.status).toBe(403);
    const token = FormSession.csrf(form);
    const ok = await fetch(`${server.url}/projects`, {
      method: 'POST',
      headers: { 'x-forwarded-user': 'olivia', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, key: 'sso-y', name: 'Made through SSO' }).toString(),
      redirect: 'manual',
    });
    expect(ok.status).toBe(303);
  });
});
