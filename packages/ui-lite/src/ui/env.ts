import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { systemPrincipal } from '@signoff/core';
import type { Clock, ErrorCode, GovernanceService, Principal, Result, ReviewTask, SignoffError } from '@signoff/core';
import { html, type Part } from './html.js';
import { layout, type PageContext } from './layout.js';

export interface UiEnv {
  service: GovernanceService;
  clock: Clock;
  getCsrfToken: (req: Request) => string | undefined;
  publicUrl: string;
  /** Derived views (see `untilNextWrite`), each valid while the audit log has no event after `seq`. */
  derived: Map<string, { seq: number; value: unknown }>;
}

/**
 * Sequence number of the newest audit event (0 when none), found by galloping then bisecting on
 * "is there an event after n" from `from`, a seq known to exist (the log's seqs are 1..head
 * without gaps; each probe is one indexed lookup).
 */
export async function lastSeq(env: UiEnv, viewer: Principal, from = 0): Promise<Result<number>> {
  const firstAfter = async (n: number): Promise<Result<number | undefined>> => {
    const r = await env.service.listAudit(viewer, { afterSeq: n, limit: 1 });
    return r.ok ? { ok: true, value: r.value[0]?.seq } : r;
  };
  let lo = from;
  let step = 64;
  let hi = from + step;
  for (;;) {
    const s = await firstAfter(hi);
    if (!s.ok) return s;
    if (s.value === undefined) break;
    lo = s.value;
    step *= 2;
    hi = lo + step;
  }
  // Invariant: event `lo` exists (or lo = 0) and no event is newer than `hi`.
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const s = await firstAfter(mid);
    if (!s.ok) return s;
    if (s.value === undefined) hi = mid;
    else lo = s.value;
  }
  return { ok: true, value: lo };
}

const MAX_DERIVED = 10_000;

/**
 * A view derived from the store by scanning it (the reviews awaiting a viewer, the sign-off
 * states per project), computed once and reused until the next write: every write appends to the
 * audit log, so the view stays valid while the log has nothing newer than when it was computed.
 * The probe reads only sequence numbers, as the system principal; nothing of the log is shown.
 * The value is shared between requests and must not be changed.
 */
export async function untilNextWrite<T>(env: UiEnv, key: string, compute: () => Promise<Result<T>>): Promise<Result<T>> {
  const cached = env.derived.get(key);
  if (cached) {
    const newer = await env.service.listAudit(systemPrincipal, { afterSeq: cached.seq, limit: 1 });
    if (newer.ok && newer.value.length === 0) return { ok: true, value: cached.value as T };
  }
  // The head is read before computing: a write in between makes the next request compute again.
  const head = await lastSeq(env, systemPrincipal, cached?.seq ?? 0);
  const r = await compute();
  if (r.ok && head.ok) {
    if (env.derived.size >= MAX_DERIVED) env.derived.clear();
    env.derived.set(key, { seq: head.value, value: r.value });
  }
  return r;
}

/**
 * The reviews awaiting the viewer (My reviews, and the count in every page's header). The key
 * holds everything of the principal that assignments depend on: an SSO proxy's groups header
 * may change a user's groups without any write.
 */
export function reviewsOf(env: UiEnv, p: Principal): Promise<Result<ReviewTask[]>> {
  const who = p.kind === 'user' ? `${p.id}|${p.roles.join(',')}|${p.groups.join(',')}` : p.kind === 'apiKey' ? `${p.id}|${p.scopes.join(',')}` : p.id;
  return untilNextWrite(env, `reviews:${p.kind}:${who}`, () => env.service.myReviews(p));
}

async function reviewCount(env: UiEnv, p: Principal): Promise<number | undefined> {
  const r = await reviewsOf(env, p);
  return r.ok ? r.value.length : undefined;
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
  const count = p && withCount ? await reviewCount(env, p) : undefined;
  return {
    ...(p ? { principal: p } : {}),
    ...(req.authMethod ? { authMethod: req.authMethod } : {}),
    ...(env.getCsrfToken(req) !== undefined ? { csrf: env.getCsrfToken(req) } : {}),
    path: req.path,
    ...(count !== undefined ? { reviewCount: count } : {}),
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
