import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is sane, otherwise a new UUID. */
export function requestIdFor(given: string | string[] | undefined): string {
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}

/**
 * Gives each request an id (the caller's `x-request-id` when it is sane), a child logger
 * that stamps it on every line, and on completion one access log line plus the HTTP metrics
 * labelled by route template (never by raw path, which would explode cardinality).
 */
export function requestContext(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    req.id = requestIdFor(req.headers['x-request-id']);
    req.log = logger.child({ reqId: req.id });
    res.setHeader('x-request-id', req.id);
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = req.routeTemplate ?? routeLabel(req.path);
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      if (req.log.isLevelEnabled('info')) {
        req.log.info(
          {
            method: req.method,
            route,
            url: req.originalUrl,
            status: res.statusCode,
            ms: Math.round(seconds * 1e6) / 1e3,
            principal: req.principal ? `${req.principal.kind}:${req.principal.id}` : undefined,
          },
          'request',
        );
      }
    });
    next();
  };
}

/** Label for requests no API route matched: a fixed set, so unknown paths share one series. */
function routeLabel(path: string): string {
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  if (path.startsWith('/api/')) return '/api/unmatched';
  if (path.startsWith('/github/')) return '/github';
  return '/ui';
}
