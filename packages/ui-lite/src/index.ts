export { createApp, type AppDeps, type UiExtras } from './app.js';
export { getCsrfToken, csrfTokenValid, CSRF_HEADER } from './auth/csrf.js';
export { SESSION_COOKIE, type SsoOptions } from './auth/authenticate.js';
export type { SessionManager, SessionInfo } from './auth/session-routes.js';
export { buildOpenApi } from './http/openapi.js';
export { createMetrics, type Metrics } from './ops/metrics.js';
export { createLogger, type Logger } from './ops/logger.js';
export { resolveConfig, type ServerConfig } from './config.js';
export type { AuthMethod } from './types.js';
