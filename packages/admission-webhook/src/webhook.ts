import { pino, type Logger } from 'pino';
import type { DecisionSource } from './decision-source/types.js';
import { createGate } from './gate/gate.js';
import type { NamespaceResolver } from './namespaces/types.js';
import type { FailurePolicy } from './review/response.js';
import { listenHttps } from './server/https-server.js';
import { createMetrics, type WebhookMetrics } from './server/metrics.js';

export interface StartWebhookOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  tls: { certFile: string; keyFile: string };
  source: DecisionSource;
  namespaces: NamespaceResolver;
  /** Groups allowed to change a namespace's `signoff.dev/infrastructure` label. */
  adminGroups?: readonly string[];
  failurePolicy?: FailurePolicy;
  logger?: Logger;
  metrics?: WebhookMetrics;
  /** Called by `close()` after the server stopped (the stores and caches the caller opened). */
  onClose?: () => Promise<void>;
}

export interface RunningWebhook {
  url: string;
  port: number;
  metrics: WebhookMetrics;
  /** Stops accepting connections, finishes the requests in flight, closes the source and caches. */
  close(): Promise<void>;
}

/** Start the webhook's HTTPS server with the given source of decisions and namespace map. */
export async function startWebhook(options: StartWebhookOptions): Promise<RunningWebhook> {
  const logger = options.logger ?? pino({ name: 'signoff-webhook' });
  const metrics = options.metrics ?? createMetrics();
  const gate = createGate({
    namespaces: options.namespaces,
    source: options.source,
    adminGroups: options.adminGroups ?? [],
    failurePolicy: options.failurePolicy ?? 'by-policy',
  });
  const server = await listenHttps({
    certFile: options.tls.certFile,
    keyFile: options.tls.keyFile,
    port: options.port,
    ...(options.host !== undefined ? { host: options.host } : {}),
    logger,
    metrics,
    review: (request) => gate.review(request),
    async ready() {
      const synced = options.namespaces.synced();
      const source = await Promise.race([
        options.source.ready().catch(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(false), 2500).unref()),
      ]);
      return { ready: synced && source, detail: { namespacesSynced: synced, decisionSource: source } };
    },
  });
  logger.info({ url: server.url, port: server.port, source: options.source.where }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    metrics,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        await options.namespaces.close();
        await options.source.close();
        await options.onClose?.();
      })()),
  };
}
