import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface WebhookMetrics {
  registry: Registry;
  admissions: Counter<'outcome' | 'kind' | 'infrastructure'>;
  duration: Histogram<'outcome'>;
  rejected: Counter<'status'>;
}

/** A registry of its own, so that several webhooks (tests) never share counters. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'signoff_webhook_' });
  return {
    registry,
    admissions: new Counter({
      name: 'signoff_webhook_admissions_total',
      help: 'AdmissionReviews answered, by outcome (allow, warn, deny, skip, unavailable), kind and infrastructure',
      labelNames: ['outcome', 'kind', 'infrastructure'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'signoff_webhook_admission_duration_seconds',
      help: 'Time from the end of the request body to the answer',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'signoff_webhook_rejected_requests_total',
      help: 'Requests refused before a review (bad JSON, content type, size, method, path), by HTTP status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}
