import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { problemFromError, PROBLEM_CONTENT_TYPE, type ApiRoute, type DecisionOutput, type FieldIssue, type GovernanceService, type SignoffError } from '@signoff/core';
import type { ApiKeyCache } from '../auth/api-key-cache.js';
import { bearerToken, malformedAuthorization, unknownApiKey } from '../auth/authenticate.js';
import type { Metrics } from '../ops/metrics.js';
import { requestIdFor } from '../ops/request-context.js';
import { parsePart, scopeProblem, scopesAllow, validationProblem } from './api-router.js';
import { BODY_LIMIT_BYTES, bodyNotJson, bodyNotJsonMediaType, bodyTooLarge, internalError } from './problem.js';

/**
 * `POST /api/v1/decisions` from API-key callers (the webhook's remote source, the GitHub Action,
 * pipelines), answered without express. It is the one route enforcement points call for every
 * deployment, and express's request and response decoration, router and body parser cost several
 * times what the decision does (measured: the route through express ≈ 600 µs of CPU per request,
 * express with one fixed-answer route ≈ 300, this path ≈ 150; see the package README).
 *
 * Same contract as the express route, byte for byte where it matters: the same authentication
 * (Bearer API key through the same cache), scope check, 415 / 413 / 400 answers and messages,
 * zod validation of the body, service call, problem documents, `x-request-id`, access log line
 * and metrics. It takes only requests it can answer exactly like express would: POST to the
 * exact path (any other spelling, e.g. a trailing slash or upper case, goes to express), with an
 * `Authorization` header (browser sessions and SSO callers need CSRF checks and go to express),
 * and a body that is identity-encoded JSON in UTF-8 or absent (anything else goes to express,
 * whose body parser knows the rest).
 */
export interface DecisionsFastPathDeps {
  service: GovernanceService;
  route: ApiRoute;
  apiKeys: ApiKeyCache;
  logger: Logger;
  metrics: Metrics;
  validateResponses: boolean;
}

const PATH = '/api/v1/decisions';
/** As express's `res.type()` spells it. */
const PROBLEM_TYPE = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;
const JSON_TYPE = /^application\/(?:json|[^\s/;]+\+json)$/;

/** `true` when the request is taken (answered here), `false` when express should have it. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createDecisionsFastPath(deps: DecisionsFastPathDeps): FastPath {
  const { route } = deps;
  // The access line's fields are fixed here (the exact path, no query string, the caller's key
  // id, never a secret), so it skips the redaction every other line goes through (≈ 5 µs each).
  const accessLog = deps.logger.child({}, { redact: { paths: [], censor: '' } });
  const labels = (status: number) => ({ method: 'POST', route: route.path, status: String(status) });

  function finish(ctx: Ctx, status: number, contentType: string, body: string, principal?: string): void {
    const { res } = ctx;
    res.statusCode = status;
    res.setHeader('content-type', contentType);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
    const seconds = Number(process.hrtime.bigint() - ctx.start) / 1e9;
    const l = labels(status);
    deps.metrics.httpRequests.inc(l);
    deps.metrics.httpDuration.observe(l, seconds);
    if (accessLog.isLevelEnabled('info')) {
      accessLog.info(
        { reqId: ctx.id, method: 'POST', route: route.path, url: ctx.req.url, status, ms: Math.round(seconds * 1e6) / 1e3, principal },
        'request',
      );
    }
  }

  function problem(ctx: Ctx, error: SignoffError, status?: number, principal?: string): void {
    const doc = problemFromError(error, ctx.req.url);
    if (status !== undefined) doc.status = status;
    if (doc.status === 401) ctx.res.setHeader('www-authenticate', 'Bearer realm="signoff"');
    finish(ctx, doc.status, PROBLEM_TYPE, JSON.stringify(doc), principal);
  }

  /** In express's order: authentication (401), body parser (413, 400), scopes (403), media type (415), fields (400). */
  async function answer(ctx: Ctx, authorization: string, body: Promise<Body>): Promise<void> {
    const token = bearerToken(authorization);
    const auth = token === undefined ? undefined : await deps.apiKeys.authenticate(token);
    if (!auth?.ok) {
      ctx.req.resume();
      problem(ctx, auth === undefined ? malformedAuthorization : unknownApiKey);
      return;
    }
    const actor = auth.value;
    const who = `${actor.kind}:${actor.id}`;
    const got = await body;
    if (got.kind === 'aborted') return;
    if (got.kind === 'tooLarge') {
      problem(ctx, bodyTooLarge, 413, who);
      return;
    }
    let input: unknown = {};
    const text = got.kind === 'text' ? got.text.trim() : '';
    if (text !== '') {
      // express.json's strict mode: only an object or an array is a JSON body.
      try {
        if (text[0] !== '{' && text[0] !== '[') throw new SyntaxError('not an object or array');
        input = JSON.parse(text) as unknown;
      } catch {
        problem(ctx, bodyNotJson, 400, who);
        return;
      }
    }
    if (actor.kind === 'apiKey' && !scopesAllow(route, actor.scopes)) {
      problem(ctx, scopeProblem(route), undefined, who);
      return;
    }
    if (got.kind === 'notJson') {
      problem(ctx, bodyNotJsonMediaType, 415, who);
      return;
    }
    const issues: FieldIssue[] = [];
    const parsed = parsePart(route.body, input, 'body', issues);
    if (issues.length > 0) {
      problem(ctx, validationProblem(issues), undefined, who);
      return;
    }
    const result = await route.invoke(deps.service, actor, { params: undefined, query: undefined, body: parsed });
    if (!result.ok) {
      problem(ctx, result.error, undefined, who);
      return;
    }
    if (deps.validateResponses && !route.response.safeParse(result.value).success) {
      deps.logger.error({ reqId: ctx.id, operationId: route.operationId }, 'response does not match its schema');
      problem(ctx, { code: 'UNAVAILABLE', message: `The answer of ${route.operationId} did not match its schema.` }, 500, who);
      return;
    }
    const { decision } = result.value as DecisionOutput;
    deps.metrics.decisions.inc({ outcome: decision.outcome, policy: decision.policy });
    finish(ctx, route.successStatus, 'application/json; charset=utf-8', JSON.stringify(result.value), who);
  }

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== PATH) return false;
    const authorization = req.headers.authorization;
    if (authorization === undefined) return false;
    const kind = bodyKind(req);
    if (kind === 'other') return false;

    const ctx: Ctx = { req, res, id: requestIdFor(req.headers['x-request-id']), start: process.hrtime.bigint() };
    res.setHeader('x-request-id', ctx.id);
    res.setHeader('x-content-type-options', 'nosniff');
    const body: Promise<Body> = kind === 'none' ? Promise.resolve(NO_BODY) : kind === 'notJson' ? Promise.resolve(NOT_JSON) : readBody(req);
    answer(ctx, authorization, body).catch((error: unknown) => {
      deps.logger.error({ reqId: ctx.id, err: error }, 'unhandled error');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      problem(ctx, internalError, 500);
    });
    return true;
  };
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  id: string;
  start: bigint;
}

/**
 * `none`: no body; `json`: a JSON body this path reads; `notJson`: a body of another media type
 * (a 415, as express answers); `other`: something only express's body parser handles (another
 * charset, a content encoding).
 */
function bodyKind(req: IncomingMessage): 'none' | 'json' | 'notJson' | 'other' {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) return 'none';
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return 'other';
  const type = req.headers['content-type'];
  if (type === undefined) return 'notJson';
  const semi = type.indexOf(';');
  const media = (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
  if (!JSON_TYPE.test(media)) return 'notJson';
  if (semi >= 0) {
    const params = type.slice(semi + 1).trim().toLowerCase();
    if (params !== '' && params !== 'charset=utf-8' && params !== 'charset="utf-8"') return 'other';
  }
  return 'json';
}

type Body = { kind: 'text'; text: string } | { kind: 'tooLarge' } | { kind: 'notJson' } | { kind: 'aborted' };
const NO_BODY: Body = { kind: 'text', text: '' };
const NOT_JSON: Body = { kind: 'notJson' };
const TOO_LARGE: Body = { kind: 'tooLarge' };
const ABORTED: Body = { kind: 'aborted' };

/** The body as UTF-8 text; past the limit, `tooLarge` (the rest is discarded); `aborted` when the caller went away. */
function readBody(req: IncomingMessage): Promise<Body> {
  if (Number(req.headers['content-length']) > BODY_LIMIT_BYTES) {
    req.resume();
    return Promise.resolve(TOO_LARGE);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        req.off('data', onData);
        req.resume();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ kind: 'text', text: chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8') }));
    // After 'end' this resolves nothing (the promise is settled); before it, the caller is gone.
    req.once('close', () => resolve(ABORTED));
  });
}
