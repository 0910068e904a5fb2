import type { Request, RequestHandler } from 'express';
import { sendProblem } from '../http/problem.js';
import { tokensEqual } from './sessions.js';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The CSRF token of the caller's browser session (cookie or SSO proxy), for forms and
 * scripts to send back in `x-csrf-token` (API) or a `_csrf` form field (UI).
 * Undefined for API keys and anonymous requests, which need none.
 */
export function getCsrfToken(req: Request): string | undefined {
  return req.csrfToken;
}

/** True when the request carries the caller's CSRF token (header, or `given` from a form). */
export function csrfTokenValid(req: Request, given?: string): boolean {
  const expected = req.csrfToken;
  if (expected === undefined) return false;
  const header = req.headers[CSRF_HEADER];
  const sent = given ?? (typeof header === 'string' ? header : undefined);
  return sent !== undefined && tokensEqual(sent, expected);
}

/**
 * Browser-authenticated (cookie or SSO) state-changing API requests must carry the session's
 * CSRF token in `x-csrf-token`. API keys are not sent by browsers on their own, so they are exempt.
 */
export function requireCsrf(): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (req.authMethod !== 'session' && req.authMethod !== 'sso') return next();
    if (csrfTokenValid(req)) return next();
    sendProblem(req, res, {
      code: 'FORBIDDEN',
      message: `Missing or wrong ${CSRF_HEADER} header: send the csrfToken returned by POST /api/v1/session.`,
    });
  };
}
