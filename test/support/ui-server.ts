import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '@signoff/ui-lite';

export const DEMO_PASSWORD = 'demo-password-for-ui-tests';

export interface UiServer {
  running: RunningServer;
  url: string;
  close(): Promise<void>;
}

/** The real governance server, in-process on port 0, with the demo world in a temp data file. */
export async function startUiServer(options: { loginRateLimit?: { limit?: number; windowMs?: number } } = {}): Promise<UiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'signoff-ui-'));
  const running = await startServer({
    config: { port: 0, host: '127.0.0.1', data: join(dir, 'signoff.json'), demo: true, demoPassword: DEMO_PASSWORD, logLevel: 'silent' },
    env: {},
    print: () => {},
    ...(options.loginRateLimit ? { loginRateLimit: options.loginRateLimit } : {}),
  });
  return {
    running,
    url: running.url,
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A browser-like session over fetch: keeps cookies, follows nothing by itself. */
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
      if (/max-age=0/i.test(c) || value === '') this.cookies.delete(name);
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
