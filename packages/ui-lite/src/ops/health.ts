import express, { type Router } from 'express';
import type { Store } from '@signoff/core';
import { asyncHandler } from '../http/async-handler.js';
import type { Metrics } from './metrics.js';

export interface HealthDeps {
  store: Pick<Store, 'count'>;
  metrics: Metrics;
  /** False while starting and once shutdown began, so load balancers stop sending traffic. */
  isReady: () => boolean;
}

/** `/healthz` (the process answers), `/readyz` (the store answers), `/metrics` (Prometheus). */
export function createOpsRouter(deps: HealthDeps): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get(
    '/readyz',
    asyncHandler(async (req, res) => {
      if (!deps.isReady()) {
        res.status(503).json({ status: 'unavailable', reason: 'starting or shutting down' });
        return;
      }
      try {
        await deps.store.count('users');
        res.json({ status: 'ready' });
      } catch (error) {
        req.log.warn({ err: error }, 'readiness: store unavailable');
        res.status(503).json({ status: 'unavailable', reason: 'store not available' });
      }
    }),
  );
  router.get(
    '/metrics',
    asyncHandler(async (_req, res) => {
      const body = await deps.metrics.registry.metrics();
      res.type(deps.metrics.registry.contentType).send(body);
    }),
  );
  return router;
}
