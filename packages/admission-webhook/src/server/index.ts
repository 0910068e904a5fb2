export { createHandler, BODY_LIMIT, type HandlerDeps } from './handler.js';
export { listenHttps, type HttpsServerOptions, type RunningHttpsServer } from './https-server.js';
export { createMetrics, type WebhookMetrics } from './metrics.js';
export { readTls, watchTls, type TlsMaterial, type TlsWatcher } from './tls.js';
