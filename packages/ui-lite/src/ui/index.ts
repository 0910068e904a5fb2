import express, { type Request, type Response, type Router } from 'express';
import type { Clock, GovernanceService, Principal, Result } from '@signoff/core';

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
  /** Session helpers of the server (form login/logout). */
  sessions?: UiSessions;
}

/** Placeholder until the reviewer UI lands: serves nothing. */
export function createUiRouter(_deps: UiDeps): Router {
  return express.Router();
}
