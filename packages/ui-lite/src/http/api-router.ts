import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import {
  apiRouteList,
  issuesFromZod,
  type ApiRoute,
  type FieldIssue,
  type GovernanceService,
  type Scope,
  type SignoffError,
} from '@signoff/core';
import { asyncHandler } from './async-handler.js';
import { bodyNotJsonMediaType, sendJson, sendProblem, unauthenticated } from './problem.js';

/** Routes the server answers itself rather than through the generic handler. */
export const SPECIAL_ROUTES = new Set(['login']);

/** What the generic handler tells the rest of the server after a successful call. */
export interface RouteHooks {
  onSuccess?(route: ApiRoute, req: Request, value: unknown): void;
}

export interface ApiRouterDeps {
  service: GovernanceService;
  routes?: readonly ApiRoute[];
  hooks?: RouteHooks;
  /** Check every answer against the route's response schema (tests): a mismatch is a logged 500. */
  validateResponses?: boolean;
}

/** May an API key with `scopes` call `route`? `admin` may call everything; no scopes means no keys. */
export function scopesAllow(route: Pick<ApiRoute, 'scopes'>, scopes: readonly Scope[]): boolean {
  if (scopes.includes('admin')) return true;
  return route.scopes.some((s) => scopes.includes(s));
}

/** Whether a request came with a body, whatever its content type. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

const isJson = (req: Request): boolean => req.is(['application/json', 'application/*+json']) !== false;

/** The 403 for an API key without any of the route's scopes. */
export function scopeProblem(route: Pick<ApiRoute, 'scopes' | 'operationId'>): SignoffError {
  return {
    code: 'FORBIDDEN',
    message:
      route.scopes.length === 0
        ? `${route.operationId} cannot be called with an API key.`
        : `This API key needs one of the scopes ${route.scopes.join(', ')} (or admin) for ${route.operationId}.`,
  };
}

/** The 400 naming the first five offending fields (all of them in `issues`). */
export function validationProblem(issues: FieldIssue[]): SignoffError {
  return {
    code: 'VALIDATION',
    message: `Invalid request: ${issues
      .slice(0, 5)
      .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`)
      .join('; ')}`,
    issues,
  };
}

export function parsePart<T>(
  schema: z.ZodType<T> | undefined,
  value: unknown,
  location: 'params' | 'query' | 'body',
  issues: FieldIssue[],
): T | undefined {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // Body paths are the body's own (as the service reports them); params and query say where.
  for (const issue of issuesFromZod(parsed.error.issues)) {
    issues.push(location === 'body' ? issue : { ...issue, path: [location, ...issue.path] });
  }
  return undefined;
}

/**
 * One handler for every route of core's route table: authenticate (401), check API-key
 * scopes (403), validate params, query and body with the route's schemas (400 naming the
 * fields, 415 for a body that is not JSON), call the service with `req.principal`, and answer
 * the value or the error's problem document. Nothing here knows about a particular route.
 */
export function routeHandler(route: ApiRoute, deps: ApiRouterDeps): RequestHandler {
  const bodyMethod = route.body !== undefined;
  return asyncHandler(async (req: Request, res: Response) => {
    req.routeTemplate = route.path;
    const actor = req.principal;
    if (!actor) {
      sendProblem(req, res, unauthenticated);
      return;
    }
    if (actor.kind === 'apiKey' && !scopesAllow(route, actor.scopes)) {
      sendProblem(req, res, scopeProblem(route));
      return;
    }
    if (bodyMethod && hasBody(req) && !isJson(req)) {
      sendProblem(
        req,
        res,
        bodyNotJsonMediaType,
        415,
      );
      return;
    }

    const issues: FieldIssue[] = [];
    const params = parsePart(route.params, req.params, 'params', issues);
    const query = route.query ? parsePart(route.query, { ...req.query }, 'query', issues) : undefined;
    const body = parsePart(route.body, (req.body as unknown) ?? {}, 'body', issues);
    if (issues.length > 0) {
      sendProblem(req, res, validationProblem(issues));
      return;
    }

    const result = await route.invoke(deps.service, actor, { params, query, body });
    if (!result.ok) {
      sendProblem(req, res, result.error);
      return;
    }
    if (deps.validateResponses) {
      const checked = route.response.safeParse(result.value);
      if (!checked.success) {
        req.log.error({ operationId: route.operationId, issues: checked.error.issues }, 'response does not match its schema');
        sendProblem(req, res, { code: 'UNAVAILABLE', message: `The answer of ${route.operationId} did not match its schema.` }, 500);
        return;
      }
    }
    deps.hooks?.onSuccess?.(route, req, result.value);
    sendJson(res, route.successStatus, result.value);
  });
}

type Segment = string | { param: string };

interface Compiled {
  segments: Segment[];
  handler: RequestHandler;
}

/** `/api/v1/items/:id` → `['api', 'v1', 'items', {param: 'id'}]` (static segments lower-cased). */
function compilePath(path: string): Segment[] {
  return path
    .split('/')
    .slice(1)
    .map((seg) => (seg.startsWith(':') ? { param: seg.slice(1) } : seg.toLowerCase()));
}

/**
 * Every route of the table (login is the session router's) behind one middleware that finds
 * the route by method and number of path segments, then in table order, with express's
 * routing rules: paths case-insensitive, one trailing slash allowed, `:param` one non-empty
 * segment, URI-decoded (a malformed escape is a 400), HEAD served by the GET route. Walking
 * one express route layer per table entry (a regular expression each) was most of the
 * routing cost of `POST /api/v1/decisions`, the hot path.
 */
export function createApiRouter(deps: ApiRouterDeps): RequestHandler {
  const buckets = new Map<string, Compiled[]>();
  const routes = (deps.routes ?? apiRouteList).filter((r) => !SPECIAL_ROUTES.has(r.operationId));
  for (const route of routes) {
    const segments = compilePath(route.path);
    const key = `${route.method} ${segments.length}`;
    const list = buckets.get(key) ?? [];
    list.push({ segments, handler: routeHandler(route, deps) });
    buckets.set(key, list);
  }
  return (req, res, next) => {
    let path = req.path;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const parts = path.split('/').slice(1);
    const candidates = buckets.get(`${req.method === 'HEAD' ? 'GET' : req.method} ${parts.length}`);
    if (!candidates) {
      next();
      return;
    }
    for (const { segments, handler } of candidates) {
      let params: Record<string, string> | undefined = {};
      for (let i = 0; i < segments.length && params; i++) {
        const seg = segments[i]!;
        const part = parts[i]!;
        if (typeof seg === 'string') {
          if (part.toLowerCase() !== seg) params = undefined;
        } else if (part === '') {
          params = undefined;
        } else {
          try {
            params[seg.param] = decodeURIComponent(part);
          } catch {
            sendProblem(req, res, { code: 'VALIDATION', message: `The path segment "${part}" is not valid URI encoding.`, issues: [{ path: ['params', seg.param], message: 'malformed URI encoding' }] }, 400);
            return;
          }
        }
      }
      if (params) {
        req.params = params;
        handler(req, res, next);
        return;
      }
    }
    next();
  };
}

/** The 405 answers for known paths: register after the routes (and the session routes). */
export function createMethodNotAllowedRouter(paths: Map<string, Set<string>>): Router {
  const router = express.Router();
  for (const [path, methods] of paths) {
    const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].join(', ');
    router.all(path, (req, res) => {
      req.routeTemplate = path;
      res.setHeader('allow', allow);
      sendProblem(req, res, { code: 'NOT_FOUND', message: `${req.method} is not supported here; use ${allow}.` }, 405);
    });
  }
  return router;
}

/** Path → methods of every API route (route table plus the session routes). */
export function methodsByPath(routes: readonly Pick<ApiRoute, 'path' | 'method'>[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const r of routes) {
    const set = map.get(r.path) ?? new Set<string>();
    set.add(r.method);
    map.set(r.path, set);
  }
  return map;
}
