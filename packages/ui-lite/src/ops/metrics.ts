import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  decisions: Counter<'outcome' | 'policy'>;
  signoffTransitions: Counter<'action'>;
}

/**
 * One registry per app (never prom-client's global one), so several apps in one process
 * (tests) do not share counters.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'signoff_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'signoff_http_requests_total',
      help: 'HTTP requests by method, route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'signoff_http_request_duration_seconds',
      help: 'HTTP request latency by method, route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'signoff_decisions_total',
      help: 'Deployment decisions by outcome and policy',
      labelNames: ['outcome', 'policy'] as const,
      registers: [registry],
    }),
    signoffTransitions: new Counter({
      name: 'signoff_signoff_transitions_total',
      help: 'Sign-off actions applied, by action',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
  };
}
