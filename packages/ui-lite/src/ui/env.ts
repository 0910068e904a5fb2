import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock, ErrorCode, GovernanceService, Principal, Result, SignoffError } from '@signoff/core';
import { html, type Part } from './html.js';
import { layout, type PageContext } from './layout.js';

export interface UiEnv {
  service: GovernanceService;
  clock: Clock;
  getCsrfToken: (req: Request) => string | undefined;
  publicUrl: string;
}

/** A service failure carried to the page renderer. */
export class UiFailure extends Error {
  constructor(readonly error: SignoffError) {
    super(error.message);
  }
}

export function must<T>(r: Result<T>): T {
  if (!r.ok) throw new UiFailure(r.error);
  return r.value;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_ASSIGNED: 403,
  SEPARATION_OF_DUTIES: 403,
  INVALID_TRANSITION: 409,
  SIGNOFF_REQUIRED: 409,
  WORKFLOW_LOCKED: 409,
  QUORUM_NOT_MET: 409,
  RATE_LIMITED: 429,
};

export function httpStatus(e: SignoffError): number {
  return STATUS[e.code] ?? 503;
}

/** The message shown for a service error: its sentence, then the offending fields. */
export function errorText(e: SignoffError): string {
  const issues = (e.issues ?? []).filter((i) => i.message && !e.message.includes(i.message));
  return issues.length === 0 ? e.message : `${e.message} (${issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')})`;
}

export function actor(req: Request): Principal {
  if (!req.principal) throw new UiFailure({ code: 'UNAUTHENTICATED', message: 'Sign in first.' });
  return req.principal;
}

export async function pageContext(env: UiEnv, req: Request, withCount = true): Promise<PageContext> {
  const p = req.principal;
  let reviewCount: number | undefined;
  if (p && withCount) {
    const r = await env.service.myReviews(p);
    if (r.ok) reviewCount = r.value.length;
  }
  return {
    ...(p ? { principal: p } : {}),
    ...(req.authMethod ? { authMethod: req.authMethod } : {}),
    ...(env.getCsrfToken(req) !== undefined ? { csrf: env.getCsrfToken(req) } : {}),
    path: req.path,
    ...(reviewCount !== undefined ? { reviewCount } : {}),
    now: env.clock.now(),
  };
}

export function sendPage(res: Response, status: number, page: string): void {
  res.status(status).type('html').setHeader('cache-control', 'no-store');
  // How long the UI took to build this page (service calls included), for browsers' devtools and the bench.
  const start = (res.locals as { uiStart?: number }).uiStart;
  if (start !== undefined) res.setHeader('server-timing', `render;dur=${(performance.now() - start).toFixed(2)}`);
  res.send(page);
}

/** Messages for `?done=` after a successful POST (fixed texts, never echoed input). */
export const DONE: Record<string, string> = {
  created: 'Created.',
  saved: 'Saved.',
  reviewers: 'Reviewers saved.',
  qualification: 'Qualification saved.',
  step: 'Workflow step updated.',
  requestFeedback: 'Feedback requested.',
  submitFeedback: 'Review submitted.',
  editFeedback: 'Review updated.',
  deleteFeedback: 'Review deleted.',
  delegate: 'Review delegated.',
  requestFinalApproval: 'Final approval requested.',
  backToFeedback: 'Back to the feedback stage.',
  finalApproval: 'Final approval recorded.',
  editFinalApproval: 'Final approval updated.',
  abandon: 'Sign-off abandoned.',
  cancelAbandon: 'Abandon cancelled: the reviews are restored.',
  reset: 'Sign-off reset.',
  scheduleReset: 'Reset scheduled.',
  cancelScheduledReset: 'Scheduled reset cancelled.',
  registered: 'Item registered.',
  model: 'Model created.',
  infrastructure: 'Infrastructure saved.',
  deleted: 'Deleted.',
};

export function doneNotice(req: Request): string | undefined {
  const d = req.query.done;
  return typeof d === 'string' ? DONE[d] : undefined;
}

/** Wraps an async page handler: failures become a page with the service's message, never a stack. */
export function page(env: UiEnv, handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(async (e: unknown) => {
      if (e instanceof UiFailure) {
        if (e.error.code === 'UNAUTHENTICATED' && !req.principal) {
          res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
          return;
        }
        try {
          const ctx = await pageContext(env, req);
          const status = httpStatus(e.error);
          sendPage(res, status, layout(ctx, { title: status === 404 ? 'Not found' : 'Error', error: errorText(e.error), body: errorBody(status) }).value);
        } catch (e2) {
          next(e2);
        }
        return;
      }
      next(e);
    });
  };
}

function errorBody(status: number): Part {
  return html`<h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Could not do that'}</h1><p><a href="/">Back to my reviews</a></p>`;
}

/** Form fields as strings (urlencoded bodies; repeated fields become arrays). */
export function field(req: Request, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body?.[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return '';
}

export function fields(req: Request, name: string): string[] {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body?.[name];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

export function queryString(req: Request, name: string): string {
  const v = req.query[name];
  return typeof v === 'string' ? v : '';
}
