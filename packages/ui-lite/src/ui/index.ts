import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Clock, GovernanceService, Principal, Result } from '@signoff/core';
import { CSS, CSS_PATH, JS, JS_PATH } from './assets.js';
import { errorText, field, page, pageContext, sendPage, type UiEnv } from './env.js';
import { html, safeLocalPath } from './html.js';
import { layout } from './layout.js';
import { registerAdmin } from './pages/admin.js';
import { registerHome } from './pages/home.js';
import { registerItems } from './pages/item.js';
import { registerProjects } from './pages/projects.js';

/** Sign-in and sign-out as the server's session layer offers them (SessionManager). */
export interface UiSessions {
  signIn(req: Request, res: Response, username: string, password: string): Promise<Result<{ principal: Principal; csrfToken: string }>>;
  signOut(req: Request, res: Response): void;
}

export interface UiDeps {
  service: GovernanceService;
  clock: Clock;
  /** The session's CSRF token; undefined for anonymous requests. */
  getCsrfToken: (req: Request) => string | undefined;
  publicUrl: string;
  /** Session helpers of the server (form login/logout). Without them the UI has no form sign-in. */
  sessions?: UiSessions;
  /** Failed form sign-ins allowed per address and username per window (default 10 per 15 min). */
  loginRateLimit?: { limit?: number; windowMs?: number };
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const LOGIN_COOKIE = 'signoff_login_csrf';

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/**
 * The reviewer UI: server-rendered pages over the governance service, mounted at `/`.
 * Every form carries the session's CSRF token; every page is sent with a CSP that allows no
 * inline script; all data is escaped by the `html` template tag.
 */
export function createUiRouter(deps: UiDeps): Router {
  const env: UiEnv = { service: deps.service, clock: deps.clock, getCsrfToken: deps.getCsrfToken, publicUrl: deps.publicUrl, derived: new Map() };
  const secure = deps.publicUrl.startsWith('https:');
  const router = express.Router();

  router.use((_req, res, next) => {
    (res.locals as { uiStart?: number }).uiStart = performance.now();
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'same-origin');
    next();
  });

  const asset = (body: string, type: string) => (_req: Request, res: Response) => {
    res.type(type).setHeader('cache-control', 'public, max-age=31536000, immutable');
    res.send(body);
  };
  router.get(CSS_PATH, asset(CSS, 'text/css'));
  router.get(JS_PATH, asset(JS, 'text/javascript'));

  router.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 500 }));

  // Login form: anonymous, so its CSRF token is a double-submit cookie bound to the form.
  const loginPage = async (req: Request, res: Response, status: number, error?: string) => {
    const token = randomBytes(24).toString('base64url');
    res.append('set-cookie', `${LOGIN_COOKIE}=${token}; Path=/login; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
    const next = safeLocalPath(req.query.next ?? field(req, 'next'));
    const ctx = await pageContext(env, req, false);
    const body = html`<h1>Sign in to signoff</h1>${
      deps.sessions
        ? html`<form method="post" action="/login" class="panel"><input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="next" value="${next}">
<div class="field"><label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required autofocus></div>
<div class="field"><label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required></div>
<button type="submit">Sign in</button></form>`
        : html`<p>Password sign-in is not available on this server.</p>`
    }`;
    sendPage(res, status, layout(ctx, { title: 'Sign in', body, ...(error ? { error } : {}) }).value);
  };

  router.get(
    '/login',
    page(env, async (req, res) => {
      if (req.principal) {
        res.redirect(303, safeLocalPath(req.query.next));
        return;
      }
      await loginPage(req, res, 200);
    }),
  );

  const limiter = rateLimit({
    windowMs: deps.loginRateLimit?.windowMs ?? 15 * 60_000,
    limit: deps.loginRateLimit?.limit ?? 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? 'unknown')}|${field(req, 'username').toLowerCase().slice(0, 64)}`,
    handler: (req, res) => {
      void loginPage(req, res, 429, 'Too many failed sign-in attempts for this user from this address; try again later.');
    },
  });

  router.post(
    '/login',
    limiter,
    page(env, async (req, res) => {
      const cookie = readCookie(req, LOGIN_COOKIE);
      const sent = field(req, '_csrf');
      if (!cookie || !sent || !tokensEqual(cookie, sent)) {
        await loginPage(req, res, 403, 'The sign-in form expired or did not come from this site; please try again.');
        return;
      }
      if (!deps.sessions) {
        await loginPage(req, res, 404, 'Password sign-in is not available on this server.');
        return;
      }
      const r = await deps.sessions.signIn(req, res, field(req, 'username'), field(req, 'password'));
      if (!r.ok) {
        res.statusCode = 401;
        await loginPage(req, res, 401, errorText(r.error));
        return;
      }
      res.append('set-cookie', `${LOGIN_COOKIE}=; Path=/login; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
      res.redirect(303, safeLocalPath(field(req, 'next')));
    }),
  );

  // Every other state-changing form needs the signed-in session's CSRF token.
  router.use((req, res, next) => {
    if (req.method !== 'POST') return next();
    const expected = deps.getCsrfToken(req);
    const sent = field(req, '_csrf');
    if (!req.principal) {
      res.redirect(303, '/login');
      return;
    }
    if (expected !== undefined && sent && tokensEqual(sent, expected)) return next();
    void pageContext(env, req, false).then(
      (ctx) => sendPage(res, 403, layout(ctx, { title: 'Not allowed', error: 'The form is missing its security token or it is stale; reload the page and try again.', body: html`<h1>Not allowed</h1><p><a href="/">Back to my reviews</a></p>` }).value),
      next,
    );
  });

  router.post('/logout', (req, res) => {
    deps.sessions?.signOut(req, res);
    res.redirect(303, '/login');
  });

  // Pages need a signed-in viewer.
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') return next();
    if (req.principal) return next();
    const known = req.path === '/' || /^\/(projects|items|deployments|infrastructures|audit)(\/|$)/.test(req.path);
    if (!known) return next();
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
  });

  registerHome(router, env);
  registerProjects(router, env);
  registerItems(router, env);
  registerAdmin(router, env);

  router.use(
    page(env, async (req, res) => {
      const ctx = await pageContext(env, req);
      sendPage(res, 404, layout(ctx, { title: 'Not found', body: html`<h1>Page not found</h1><p>There is no page at <span class="mono">${req.path}</span>.</p><p><a href="/">Back to my reviews</a></p>` }).value);
    }),
  );
  return router;
}
