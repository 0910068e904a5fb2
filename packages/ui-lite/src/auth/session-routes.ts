import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import { z } from 'zod';
import { issuesFromZod, type GovernanceService, type Principal, type Result } from '@signoff/core';
import { asyncHandler } from '../http/async-handler.js';
import { sendProblem, unauthenticated } from '../http/problem.js';
import { clearSessionCookie, readCookie, SESSION_COOKIE, setSessionCookie } from './authenticate.js';
import type { SessionStore } from './sessions.js';

export const LoginRequest = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export interface SessionInfo {
  principal: Principal;
  csrfToken: string;
  method: 'session' | 'sso';
}

/** Sign-in and sign-out for the API and the UI (the UI's forms call these too). */
export interface SessionManager {
  /** Checks the password, starts a session and sets its cookie. */
  signIn(req: Request, res: Response, username: string, password: string): Promise<Result<SessionInfo>>;
  /** Ends the caller's session and clears its cookie. */
  signOut(req: Request, res: Response): void;
  /** Rate limit for sign-in attempts, by client address and username (failed attempts only). */
  loginRateLimit: RequestHandler;
}

export interface SessionDeps {
  service: GovernanceService;
  sessions: SessionStore;
  publicUrl?: string;
  /** Failed sign-ins allowed per address and username per window (default 10 per 15 min). */
  loginLimit?: number;
  loginWindowMs?: number;
}

export function createSessionManager(deps: SessionDeps): SessionManager {
  const loginRateLimit = rateLimit({
    windowMs: deps.loginWindowMs ?? 15 * 60_000,
    limit: deps.loginLimit ?? 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const body: unknown = req.body;
      const username =
        body && typeof body === 'object' && 'username' in body && typeof body.username === 'string'
          ? body.username.toLowerCase().slice(0, 64)
          : '';
      return `${ipKeyGenerator(req.ip ?? 'unknown')}|${username}`;
    },
    handler: (req, res) => {
      sendProblem(req, res, {
        code: 'RATE_LIMITED',
        message: 'Too many failed sign-in attempts for this user from this address; try again later.',
      });
    },
  });

  return {
    loginRateLimit,
    async signIn(req, res, username, password) {
      const result = await deps.service.authenticatePassword(username, password);
      if (!result.ok || result.value.kind !== 'user') {
        return { ok: false, error: { code: 'UNAUTHENTICATED', message: 'Wrong username or password.' } };
      }
      const previous = readCookie(req, SESSION_COOKIE);
      if (previous) deps.sessions.destroy(previous); // no session fixation
      const { id, session } = deps.sessions.create(result.value.id);
      setSessionCookie(req, res, id, deps.sessions.maxAgeMs, deps.publicUrl);
      req.principal = result.value;
      req.authMethod = 'session';
      req.csrfToken = session.csrfToken;
      return { ok: true, value: { principal: result.value, csrfToken: session.csrfToken, method: 'session' } };
    },
    signOut(req, res) {
      const id = readCookie(req, SESSION_COOKIE);
      if (id) deps.sessions.destroy(id);
      clearSessionCookie(req, res, deps.publicUrl);
    },
  };
}

/**
 * The answer of sign-in and "who am I": the principal itself (what core's route table and
 * client expect of `login`), plus the CSRF token and how the caller is authenticated.
 */
function sessionBody(info: SessionInfo): Principal & { csrfToken: string; method: SessionInfo['method'] } {
  return { ...info.principal, csrfToken: info.csrfToken, method: info.method };
}

/** `POST /api/v1/session` (sign in), `GET` (who am I + CSRF token), `DELETE` (sign out). */
export function createSessionRouter(manager: SessionManager): Router {
  const router = express.Router();
  router.post(
    '/api/v1/session',
    manager.loginRateLimit,
    asyncHandler(async (req, res) => {
      const parsed = LoginRequest.safeParse(req.body ?? {});
      if (!parsed.success) {
        sendProblem(req, res, { code: 'VALIDATION', message: 'Send a JSON body {"username", "password"}.', issues: issuesFromZod(parsed.error.issues) });
        return;
      }
      const result = await manager.signIn(req, res, parsed.data.username, parsed.data.password);
      if (!result.ok) {
        sendProblem(req, res, result.error);
        return;
      }
      res.status(200).json(sessionBody(result.value));
    }),
  );
  router.get('/api/v1/session', (req, res) => {
    if (!req.principal || (req.authMethod !== 'session' && req.authMethod !== 'sso') || !req.csrfToken) {
      sendProblem(req, res, unauthenticated);
      return;
    }
    res.json(sessionBody({ principal: req.principal, csrfToken: req.csrfToken, method: req.authMethod }));
  });
  router.delete('/api/v1/session', (req, res) => {
    manager.signOut(req, res);
    res.status(204).end();
  });
  return router;
}
