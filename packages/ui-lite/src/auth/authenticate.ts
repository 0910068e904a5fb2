import { createHmac } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Id, type GovernanceService, type Principal, type SignoffError, type Store } from '@signoff/core';
import { sendProblem } from '../http/problem.js';
import type { ApiKeyCache } from './api-key-cache.js';
import type { SessionStore } from './sessions.js';
import type { AddressMatcher } from './trusted-proxies.js';

export const SESSION_COOKIE = 'signoff_session';

export interface SsoOptions {
  userHeader: string;
  emailHeader: string;
  groupsHeader: string;
}

export const DEFAULT_SSO_HEADERS: SsoOptions = {
  userHeader: 'x-forwarded-user',
  emailHeader: 'x-forwarded-email',
  groupsHeader: 'x-forwarded-groups',
};

export interface AuthenticateDeps {
  service: GovernanceService;
  store: Pick<Store, 'userByUsername'>;
  sessions: SessionStore;
  apiKeys: ApiKeyCache;
  /** Only set when SSO proxy headers are enabled. */
  sso?: SsoOptions & { trusted: AddressMatcher };
  /** Per-process secret for the CSRF tokens of SSO callers (they have no server session). */
  csrfSecret: Buffer;
}

const SYSTEM: Principal = { kind: 'system', id: 'system' };

/** The token of an `Authorization: Bearer <token>` header, or undefined when it has another form. */
export function bearerToken(authorization: string): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
}
export const malformedAuthorization: SignoffError = { code: 'UNAUTHENTICATED', message: 'The Authorization header must be "Bearer <api key>".' };
export const unknownApiKey: SignoffError = { code: 'UNAUTHENTICATED', message: 'The API key is unknown, malformed or revoked.' };

/** Reads one cookie from the Cookie header without a parser dependency. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * Establishes `req.principal` from, in this order: a Bearer API key (a bad key is a 401,
 * never a silent fall-back to anonymous), trusted SSO proxy headers, the session cookie.
 * A request with none of them continues anonymous; routes decide whether that is enough.
 */
export function authenticate(deps: AuthenticateDeps): RequestHandler {
  return async (req, res, next) => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const token = bearerToken(authorization);
      if (token === undefined) {
        sendProblem(req, res, malformedAuthorization);
        return;
      }
      const result = await deps.apiKeys.authenticate(token);
      if (!result.ok) {
        sendProblem(req, res, unknownApiKey);
        return;
      }
      req.principal = result.value;
      req.authMethod = 'apiKey';
      next();
      return;
    }

    if (deps.sso && deps.sso.trusted(req.socket.remoteAddress)) {
      const username = headerValue(req, deps.sso.userHeader);
      if (username) {
        const principal = await ssoPrincipal(deps, req, username);
        if (!principal) {
          sendProblem(req, res, { code: 'FORBIDDEN', message: `The SSO user "${username}" is not allowed to use signoff.` });
          return;
        }
        req.principal = principal;
        req.authMethod = 'sso';
        req.csrfToken = createHmac('sha256', deps.csrfSecret).update(`sso:${principal.id}`).digest('base64url');
        next();
        return;
      }
    }

    const sessionId = readCookie(req, SESSION_COOKIE);
    if (sessionId) {
      const session = deps.sessions.get(sessionId);
      const principal = session ? await deps.service.principalForUser(session.userId) : undefined;
      if (session && principal?.ok) {
        req.principal = principal.value;
        req.authMethod = 'session';
        req.csrfToken = session.csrfToken;
      } else {
        if (session) deps.sessions.destroy(sessionId);
        clearSessionCookie(req, res);
      }
    }
    next();
  };
}

function headerValue(req: Request, name: string): string | undefined {
  const raw = req.headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The principal of an SSO user: the stored user (created on first sight, without a password),
 * with the groups the proxy asserts added to the stored ones. A disabled user is refused.
 */
async function ssoPrincipal(deps: AuthenticateDeps, req: Request, username: string): Promise<Principal | undefined> {
  const sso = deps.sso!;
  let user = await deps.store.userByUsername(username);
  if (!user) {
    const email = headerValue(req, sso.emailHeader);
    const created = await deps.service.createUser(SYSTEM, {
      username,
      displayName: username,
      ...(email && /^[^\s@]+@[^\s@]+$/.test(email) ? { email } : {}),
    });
    if (!created.ok) {
      // A concurrent request may have created the user first.
      user = await deps.store.userByUsername(username);
      if (!user) {
        req.log.warn({ code: created.error.code, detail: created.error.message }, 'sso user not created');
        return undefined;
      }
    } else {
      user = created.value;
    }
  }
  if (user.disabled) return undefined;
  const principal = await deps.service.principalForUser(user.id);
  if (!principal.ok || principal.value.kind !== 'user') return undefined;
  const asserted = (headerValue(req, sso.groupsHeader) ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => Id.safeParse(g).success);
  return { ...principal.value, groups: [...new Set([...principal.value.groups, ...asserted])] };
}

export function isSecureRequest(req: Request, publicUrl: string | undefined): boolean {
  return req.secure || (publicUrl?.startsWith('https:') ?? false);
}

export function setSessionCookie(req: Request, res: Response, id: string, maxAgeMs: number, publicUrl?: string): void {
  res.cookie(SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecureRequest(req, publicUrl),
    path: '/',
    maxAge: maxAgeMs,
  });
}

export function clearSessionCookie(req: Request, res: Response, publicUrl?: string): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: isSecureRequest(req, publicUrl), path: '/' });
}
