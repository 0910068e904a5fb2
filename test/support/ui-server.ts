import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGovernanceService, createMemoryStore, loadDemoWorld, openLowdbStore, type GovernanceService, type Store } from '@signoff/core';
import { createApp, type AppDeps } from '@signoff/ui-lite';

export const DEMO_PASSWORD = 'demo-password-for-ui-tests';
/** Cheap scrypt for tests; production uses core's default cost. */
const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

export interface UiServer {
  url: string;
  service: GovernanceService;
  store: Store;
  close(): Promise<void>;
}

/**
 * The real governance server app (`createApp`: API, sessions, CSRF, UI) over the real service
 * and a lowdb data file in a temp dir (or core's memory store, for tests that build hundreds of
 * items) or a given store, holding the demo world (unless the store is given), listening on port 0.
 */
export async function startUiServer(options: { app?: Partial<AppDeps>; memory?: boolean; store?: Store } = {}): Promise<UiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'signoff-ui-'));
  const clock = { now: () => new Date() };
  const store = options.store ?? (options.memory ? createMemoryStore() : await openLowdbStore(join(dir, 'signoff.json')));
  let server: Server | undefined;
  try {
    const service = createGovernanceService({ store, clock, publicUrl: 'http://127.0.0.1', passwordParams: FAST_SCRYPT });
    if (!options.store) await loadDemoWorld(service, { clock, password: DEMO_PASSWORD, passwordParams: FAST_SCRYPT });
    const app = createApp({ service, store, clock, publicUrl: 'http://127.0.0.1', ...options.app });
    server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const s = server;
    return {
      url: `http://127.0.0.1:${port}`,
      service,
      store,
      async close() {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    server?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** A browser-like session over fetch: keeps cookies, follows no redirect by itself. */
export class FormSession {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (/max-age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string): Promise<{ status: number; headers: Headers; text: string }> {
    const res = await fetch(this.base + path, { headers: { cookie: this.cookieHeader() }, redirect: 'manual' });
    this.remember(res);
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  async post(path: string, form: Record<string, string | string[]>): Promise<{ status: number; headers: Headers; text: string }> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      redirect: 'manual',
    });
    this.remember(res);
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  /** The `_csrf` hidden field of a page. */
  static csrf(page: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(page);
    if (!m) throw new Error('no _csrf field on the page');
    return m[1]!;
  }

  async signIn(username: string, password = DEMO_PASSWORD): Promise<string> {
    const login = await this.get('/login');
    const r = await this.post('/login', { _csrf: FormSession.csrf(login.text), username, password, next: '/' });
    if (r.status !== 303) throw new Error(`sign-in of ${username} answered ${r.status}`);
    const home = await this.get('/');
    return FormSession.csrf(home.text);
  }
}
