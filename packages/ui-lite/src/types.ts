import type { Principal } from '@signoff/core';
import type { Logger } from 'pino';

/** How the caller of a request proved who they are. */
export type AuthMethod = 'session' | 'apiKey' | 'sso';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the authentication middleware; absent for anonymous requests. */
    principal?: Principal;
    authMethod?: AuthMethod;
    /** The session's CSRF token (session and SSO callers); see `getCsrfToken`. */
    csrfToken?: string;
    /** Request id: the caller's `x-request-id` when sane, otherwise generated. */
    id: string;
    /** Logger whose every line carries the request id. */
    log: Logger;
    /** Route template matched by the API router, for metrics labels. */
    routeTemplate?: string;
  }
}
