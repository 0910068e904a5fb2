import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import {
  apiRouteList,
  type ApiRoute,
  type Clock,
  type DecisionOutput,
  type GovernanceService,
  type Store,
} from '@signoff/core';
import { ApiKeyCache } from './auth/api-key-cache.js';
import { authenticate, DEFAULT_SSO_HEADERS, type SsoOptions } from './auth/authenticate.js';
import { csrfTokenValid, getCsrfToken, requireCsrf } from './auth/csrf.js';
import { createSessionManager, createSessionRouter, type SessionManager } from './auth/session-routes.js';
import { SessionStore } from './auth/sessions.js';
import { parseTrustedProxies } from './auth/trusted-proxies.js';
import { createApiRouter, createMethodNotAllowedRouter, methodsByPath, type RouteHooks } from './http/api-router.js';
import { createDecisionsFastPath } from './http/decisions-fast-path.js';
import { buildOpenApi, sessionRoutesForSpec } from './http/openapi.js';
import { BODY_LIMIT_BYTES, bodyNotJson, bodyTooLarge, internalError, sendProblem } from './http/problem.js';
import { createGithubAppRouter, type GithubAppConfig } from './github-app/index.js';
import { createUiRouter } from './ui/index.js';
import { createOpsRouter } from './ops/health.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { requestContext } from './ops/request-context.js';
import { createLogger } from './ops/logger.js';
import './types.js';

export interface AppDeps {
  service: GovernanceService;
  /** Used for readiness, SSO user lookups and the GitHub App's pending rules; changes go through the service. */
  store: Store;
  clock: Clock;
  logger?: Logger;
  metrics?: Metrics;
  /** Base URL people reach the server at; `https:` makes the session cookie Secure. */
  publicUrl: string;
  /** Addresses (CIDR) of reverse proxies: their X-Forwarded-* headers are believed. */
  trustedProxies?: readonly string[];
  /** Accept SSO identity headers from the trusted proxies (off by default). */
  sso?: boolean | Partial<SsoOptions>;
  /** Mount the GitHub App protection rule at `/github/` when given. */
  githubApp?: GithubAppConfig;
  /** Failed sign-ins allowed per address and username per window. */
  loginRateLimit?: { limit?: number; windowMs?: number };
  /** Check every API answer against its response schema (tests). */
  validateResponses?: boolean;
  /** Readiness beyond "the store answers" (false while starting or draining). */
  isReady?: () => boolean;
  /** Route table (tests may add routes); defaults to core's. */
  routes?: readonly ApiRoute[];
}

/** Stops what the app runs in the background (the GitHub App's re-check timer). */
export function closeApp(app: Express): void {
  for (const cleanup of (app.locals.cleanups ?? []) as (() => void)[]) cleanup();
}

/** What the reviewer UI gets besides the documented four dependencies. */
export interface UiExtras {
  sessions: SessionManager;
  csrfTokenValid: typeof csrfTokenValid;
  logger: Logger;
}

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/healthz/', '/readyz/', '/metrics/']);
const SESSION_PATH = '/api/v1/session';

/**
 * Builds the governance server's express app without listening: the JSON API over the
 * service, authentication, the reviewer UI, the GitHub App endpoint and the operations
 * endpoints. `startServer` (main.ts) does the listening, signals and store lifecycle.
 */
export function createApp(deps: AppDeps): Express {
  const logger = deps.logger ?? createLogger({ level: 'silent' });
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: false });
  const trustedProxies = deps.trustedProxies ?? [];
  const trusted = parseTrustedProxies(trustedProxies);
  const sessions = new SessionStore({ clock: deps.clock });
  const apiKeys = new ApiKeyCache((token) => deps.service.authenticateApiKey(token));
  const sessionManager = createSessionManager({
    service: deps.service,
    sessions,
    publicUrl: deps.publicUrl,
    ...(deps.loginRateLimit?.limit !== undefined ? { loginLimit: deps.loginRateLimit.limit } : {}),
    ...(deps.loginRateLimit?.windowMs !== undefined ? { loginWindowMs: deps.loginRateLimit.windowMs } : {}),
  });
  const ssoOptions =
    deps.sso === undefined || deps.sso === false
      ? undefined
      : { ...DEFAULT_SSO_HEADERS, ...(deps.sso === true ? {} : deps.sso), trusted };
  if (ssoOptions && trustedProxies.length === 0) {
    throw new Error('SSO headers need --trusted-proxy: without it anyone could claim any identity');
  }

  const hooks: RouteHooks = {
    onSuccess(route, req, value) {
      switch (route.operationId) {
        case 'decide': {
          const { decision } = value as DecisionOutput;
          metrics.decisions.inc({ outcome: decision.outcome, policy: decision.policy });
          break;
        }
        case 'revokeApiKey':
          apiKeys.clear();
          break;
        case 'updateUser': {
          const id = (req.params as { id?: string }).id;
          const body = req.body as { password?: unknown; disabled?: unknown; roles?: unknown } | undefined;
          if (id && body && (body.password !== undefined || body.disabled === true)) sessions.destroyUser(id);
          break;
        }
        default:
          if (route.tag === 'sign-off' && route.method !== 'GET') {
            metrics.signoffTransitions.inc({ action: route.operationId });
          }
      }
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', trustedProxies.length > 0 ? [...trustedProxies] : false);

  const routes = deps.routes ?? apiRouteList;
  const decideRoute = routes.find((r) => r.operationId === 'decide' && r.method === 'POST' && r.path === '/api/v1/decisions');
  if (decideRoute) {
    // Before express's own entry: it gives every request and response new prototypes
    // (setPrototypeOf), which alone makes each property access on them slower (measured).
    const fast = createDecisionsFastPath({ service: deps.service, route: decideRoute, apiKeys, logger, metrics, validateResponses: deps.validateResponses ?? false });
    const expressApp = app as unknown as { handle(req: IncomingMessage, res: ServerResponse, next?: unknown): void };
    const handle = expressApp.handle.bind(app);
    expressApp.handle = (req, res, next) => {
      if (!fast(req, res)) handle(req, res, next);
    };
  }
  app.use(requestContext(logger, metrics));
  app.use((_req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  });
  const ops = createOpsRouter({
    store: deps.store,
    metrics,
    isReady: deps.isReady ?? (() => true),
  });
  // Routers are entered only for their own paths: every express layer costs on every request.
  app.use((req, res, next) => (OPS_PATHS.has(req.path.toLowerCase()) ? ops(req, res, next) : next()));

  let openapi: string | undefined;
  app.get('/api/v1/openapi.json', (req, res) => {
    req.routeTemplate = '/api/v1/openapi.json';
    openapi ??= JSON.stringify(buildOpenApi({ serverUrl: deps.publicUrl, routes: deps.routes ?? apiRouteList }));
    res.type('application/json').send(openapi);
  });

  app.use(
    authenticate({
      service: deps.service,
      store: deps.store,
      sessions,
      apiKeys,
      ...(ssoOptions ? { sso: ssoOptions } : {}),
      csrfSecret: randomBytes(32),
    }),
  );

  const api = express.Router();
  api.use('/api', express.json({ limit: BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] }));
  const csrf = requireCsrf();
  api.use('/api', (req, res, next) => {
    // Signing in is the one state-changing call a browser makes before it has a token.
    if (req.method === 'POST' && req.baseUrl + req.path === '/api/v1/session') return next();
    csrf(req, res, next);
  });
  const sessionRouter = createSessionRouter(sessionManager);
  api.use((req, res, next) => (req.path.toLowerCase().startsWith(SESSION_PATH) ? sessionRouter(req, res, next) : next()));
  api.use(createApiRouter({ service: deps.service, routes, hooks, validateResponses: deps.validateResponses ?? false }));
  api.use(createMethodNotAllowedRouter(methodsByPath([...routes, ...sessionRoutesForSpec])));
  api.use('/api', (req, res) => {
    sendProblem(req, res, { code: 'NOT_FOUND', message: `No API endpoint ${req.method} ${req.originalUrl.split('?')[0]}.` });
  });
  app.use(api);

  const cleanups: (() => void)[] = [];
  if (deps.githubApp) {
    const github = createGithubAppRouter({
      service: deps.service,
      clock: deps.clock,
      logger: logger.child({ component: 'github-app' }),
      config: deps.githubApp,
      store: deps.store,
    });
    cleanups.push(() => github.close());
    app.use('/github/', github);
  }
  app.locals.cleanups = cleanups;

  const uiDeps = {
    service: deps.service,
    clock: deps.clock,
    getCsrfToken,
    publicUrl: deps.publicUrl,
    sessions: sessionManager,
    csrfTokenValid,
    logger: logger.child({ component: 'ui' }),
  } satisfies UiExtras & Record<string, unknown>;
  app.use(createUiRouter(uiDeps));

  app.use(errorHandler);
  return app;
}

/**
 * Last resort: body-parser failures become 400/413/415 problems; anything else is a bug,
 * logged with the request id and answered 500 without details.
 */
const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const e = error as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message =
      e.type === 'entity.parse.failed'
        ? bodyNotJson.message
        : e.type === 'entity.too.large'
          ? bodyTooLarge.message
          : typeof e.message === 'string'
            ? e.message
            : 'Bad request.';
    sendProblem(req, res, { code: status === 429 ? 'RATE_LIMITED' : 'VALIDATION', message }, status);
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendProblem(req, res, internalError, 500);
};
