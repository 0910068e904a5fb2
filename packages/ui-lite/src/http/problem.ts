import type { Request, Response } from 'express';
import { problemFromError, PROBLEM_CONTENT_TYPE, type SignoffError } from '@signoff/core';

/**
 * The one place where an error value becomes an HTTP answer: status from core's
 * `httpStatusFor` (inside `problemFromError`), body an RFC 9457 problem document.
 * `status` overrides the mapped status only for transport errors that have no domain
 * code of their own (413 body too large, 415 wrong media type, 405).
 */
export function sendProblem(req: Request, res: Response, error: SignoffError, status?: number): void {
  const doc = problemFromError(error, req.originalUrl);
  if (status !== undefined) doc.status = status;
  if (doc.status === 401 && !res.hasHeader('www-authenticate')) {
    res.setHeader('www-authenticate', 'Bearer realm="signoff"');
  }
  res.status(doc.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(doc));
}

/**
 * Answers `value` as JSON, as express's `res.json` would (same Content-Type and
 * Content-Length, no body for HEAD), without its per-call settings lookups, and as one
 * string so the headers and the body leave in one write.
 */
export function sendJson(res: Response, status: number, value: unknown): void {
  const body = JSON.stringify(value) as string | undefined;
  res.statusCode = status;
  if (body === undefined || status === 204 || status === 304) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (res.req.method === 'HEAD') res.end();
  else res.end(body);
}

/** Largest request body the API reads (express.json's limit, and the decision fast path's). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** 413: the body is over {@link BODY_LIMIT_BYTES}. */
export const bodyTooLarge: SignoffError = { code: 'VALIDATION', message: 'The request body is larger than 1 MiB.' };
/** 400: the body is not JSON, or (express.json's strict mode) not an object or array. */
export const bodyNotJson: SignoffError = { code: 'VALIDATION', message: 'The request body is not valid JSON (or is not an object or array).' };
/** 415: a body of another media type. */
export const bodyNotJsonMediaType: SignoffError = { code: 'VALIDATION', message: 'The request body must be JSON (Content-Type: application/json).' };
/** 500: a bug; details only in the log line carrying the request id. */
export const internalError: SignoffError = { code: 'UNAVAILABLE', message: 'Internal error; the request id is in the x-request-id header.' };

export const unauthenticated: SignoffError = {
  code: 'UNAUTHENTICATED',
  message: 'Sign in, or send an API key as "Authorization: Bearer sk_…".',
};
