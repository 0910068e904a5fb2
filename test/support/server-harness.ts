import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignoffClient, systemPrincipal, type GovernanceService, type Result } from '@signoff/core';
import { startServer, type RunningServer, type StartServerOptions } from '@signoff/ui-lite';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const USER_PASSWORD = 'user-password-for-tests';
/** Cheap scrypt for tests; the production cost is core's default. */
export const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

/** How a test request authenticates. */
export type Auth =
  | { kind: 'anonymous' }
  | { kind: 'session'; cookie: string; csrfToken: string; userId: string }
  | { kind: 'apiKey'; token: string };

export const anonymous: Auth = { kind: 'anonymous' };

export function authHeaders(auth: Auth, method = 'GET'): Record<string, string> {
  switch (auth.kind) {
    case 'anonymous':
      return {};
    case 'apiKey':
      return { authorization: `Bearer ${auth.token}` };
    case 'session':
      return method === 'GET' ? { cookie: auth.cookie } : { cookie: auth.cookie, 'x-csrf-token': auth.csrfToken };
  }
}

export interface TestServer {
  running: RunningServer;
  url: string;
  service: GovernanceService;
  admin: Auth & { kind: 'session' };
  login(username: string, password?: string): Promise<Auth & { kind: 'session' }>;
  /** A user (created through the service) with a session. */
  user(username: string, input?: { roles?: string[]; groups?: string[] }): Promise<Auth & { kind: 'session' }>;
  apiKey(name: string, scopes: string[]): Promise<Auth & { kind: 'apiKey' }>;
  client(auth: Auth): SignoffClient;
  request(method: string, path: string, options?: { auth?: Auth; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function must<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** A temp directory removed by the returned function. */
export function tempDir(prefix = 'signoff-server-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts the real server on 127.0.0.1:0 (memory store unless `options.store`/`config.data`),
 * with a known admin password, answers checked against their schemas, and quiet logs.
 */
export async function startTestServer(options: StartServerOptions = {}): Promise<TestServer> {
  const running = await startServer({
    store: 'memory',
    env: {},
    print: () => undefined,
    validateResponses: true,
    passwordParams: FAST_SCRYPT,
    ...options,
    config: { port: 0, host: '127.0.0.1', logLevel: 'silent', adminPassword: ADMIN_PASSWORD, ...options.config },
  });
  const url = running.url;

  async function request(
    method: string,
    path: string,
    opts: { auth?: Auth; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...authHeaders(opts.auth ?? anonymous, method), ...opts.headers };
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  async function login(username: string, password = USER_PASSWORD): Promise<Auth & { kind: 'session' }> {
    const answer = await request('POST', '/api/v1/session', { body: { username, password } });
    if (answer.status !== 200) throw new Error(`login ${username}: ${answer.status} ${answer.text}`);
    const setCookie = answer.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0] ?? '';
    return { kind: 'session', cookie, csrfToken: answer.json.csrfToken as string, userId: answer.json.id as string };
  }

  const admin = await login('admin', ADMIN_PASSWORD);
  const adminPrincipal = must(await running.service.principalForUser(admin.userId));

  return {
    running,
    url,
    service: running.service,
    admin,
    login,
    request,
    async user(username, input = {}) {
      must(
        await running.service.createUser(systemPrincipal, {
          username,
          displayName: username,
          password: USER_PASSWORD,
          roles: input.roles ?? [],
          groups: input.groups ?? [],
        }),
      );
      return login(username);
    },
    async apiKey(name, scopes) {
      const created = must(await running.service.createApiKey(adminPrincipal, { name, scopes: scopes as never }));
      return { kind: 'apiKey', token: created.secret };
    },
    client(auth) {
      const headers: Record<string, string> = auth.kind === 'session' ? { cookie: auth.cookie, 'x-csrf-token': auth.csrfToken } : {};
      return new SignoffClient({ baseUrl: url, ...(auth.kind === 'apiKey' ? { apiKey: auth.token } : {}), headers });
    },
    close: () => running.close(),
  };
}

/** A pino destination that keeps every JSON line, for log assertions. */
export function logCapture(): { lines: () => any[]; raw: () => string; write(chunk: string): void } {
  const chunks: string[] = [];
  return {
    write(chunk: string) {
      chunks.push(chunk);
    },
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}
