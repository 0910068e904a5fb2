import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SignoffClient } from '@signoff/core';
import { tempDir } from './support/server-harness.js';
import { runServerCli, spawnServer, type ServerProcess } from './support/server-process.js';

const dirs: { remove(): void }[] = [];
const running: ServerProcess[] = [];
function dataFile(): string {
  const t = tempDir('signoff-cli-');
  dirs.push(t);
  return join(t.dir, 'signoff.json');
}
afterAll(async () => {
  for (const s of running) await s.stop('SIGKILL');
  for (const d of dirs) d.remove();
});

async function login(url: string, username: string, password: string): Promise<number> {
  const answer = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return answer.status;
}

describe('signoff-server bin', () => {
  it('creates the first admin with a one-time password on an empty store, and stops cleanly on SIGTERM', async () => {
    const data = dataFile();
    const server = await spawnServer(['--port', '0', '--data', data]);
    running.push(server);
    const match = /one-time password \(shown once, change it\): (\S+)/.exec(server.stderr());
    expect(match, server.stderr()).not.toBeNull();
    const password = match![1]!;
    expect(server.stdout()).not.toContain(password); // the logs never carry it
    expect(await login(server.url, 'admin', password)).toBe(200);
    expect(await login(server.url, 'admin', 'not-the-password')).toBe(401);
    const listening = server.logLines().find((l) => l.msg === 'listening')!;
    expect(listening.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.logLines().map((l) => l.msg)).toContain('stopped');
    expect(existsSync(data)).toBe(true);

    // A second start on the same file creates no new admin and prints no password.
    const again = await spawnServer(['--port', '0', '--data', data]);
    running.push(again);
    expect(again.stderr()).not.toMatch(/one-time password/);
    expect(await login(again.url, 'admin', password)).toBe(200);
    expect(await again.stop()).toBe(0);
  });

  it('takes the first admin password from SIGNOFF_ADMIN_PASSWORD and the settings from SIGNOFF_* variables', async () => {
    const data = dataFile();
    const server = await spawnServer([], {
      env: { SIGNOFF_PORT: '0', SIGNOFF_HOST: '127.0.0.1', SIGNOFF_DATA: data, SIGNOFF_ADMIN_PASSWORD: 'from-the-environment', SIGNOFF_LOG_LEVEL: 'info' },
    });
    running.push(server);
    expect(server.stderr()).toContain('SIGNOFF_ADMIN_PASSWORD');
    expect(server.stderr()).not.toContain('from-the-environment');
    expect(await login(server.url, 'admin', 'from-the-environment')).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runServerCli(['--port', String(port), '--data', dataFile()]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`Port ${port} .*already in use`));
      expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toMatchObject({ level: 'fatal', code: 'PORT_IN_USE' });
    } finally {
      blocker.close();
    }
  });

  it('refuses a second process on a data file that a running server holds (server and CLI)', async () => {
    const data = dataFile();
    const first = await spawnServer(['--port', '0', '--data', data], { env: { SIGNOFF_ADMIN_PASSWORD: 'first-server-password' } });
    running.push(first);
    const second = await runServerCli(['--port', '0', '--data', data]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/locked by another process/);
    const userAdd = await runServerCli(['user', 'add', 'late', '--data', data]);
    expect(userAdd.code).toBe(1);
    expect(userAdd.stderr).toMatch(/locked by another process/);
    // The first server is unharmed.
    expect(await login(first.url, 'admin', 'first-server-password')).toBe(200);
    expect(await first.stop()).toBe(0);
  });

  it('refuses a corrupt data file without touching it', async () => {
    const data = dataFile();
    writeFileSync(data, '{"version": 1, "users": [');
    const result = await runServerCli(['--port', '0', '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/corrupt/);
    expect(readFileSync(data, 'utf8')).toBe('{"version": 1, "users": [');
  });

  it('rejects invalid settings naming the flag and its variable', async () => {
    const result = await runServerCli(['--port', 'eighty', '--data', dataFile()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--port \(SIGNOFF_PORT\)/);
  });

  it('adds users and API keys to a stopped server\'s data file; they work once it runs', async () => {
    const data = dataFile();
    const first = await spawnServer(['--port', '0', '--data', data], { env: { SIGNOFF_ADMIN_PASSWORD: 'admin-password-1' } });
    expect(await first.stop()).toBe(0);

    const bob = await runServerCli(['user', 'add', 'bob', '--password-stdin', '--data', data], { input: 'bobs-password-123\n' });
    expect(bob.code, bob.stderr).toBe(0);
    expect(bob.stdout).toBe('');
    const carol = await runServerCli(['user', 'add', 'carol', '--admin', '--data', data]);
    expect(carol.code, carol.stderr).toBe(0);
    const carolPassword = carol.stdout.trim();
    expect(carolPassword).toMatch(/^\S{16,}$/);
    const duplicate = await runServerCli(['user', 'add', 'bob', '--password-stdin', '--data', data], { input: 'another-password' });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/cannot add user "bob"/);
    const key = await runServerCli(['apikey', 'create', 'ci', '--scope', 'decisions:read', '--scope', 'deployments:write', '--data', data]);
    expect(key.code, key.stderr).toBe(0);
    const token = key.stdout.trim();
    expect(token).toMatch(/^sk_[a-z0-9]+_[A-Za-z0-9_-]+$/);
    const badScope = await runServerCli(['apikey', 'create', 'ci', '--scope', 'everything', '--data', data]);
    expect(badScope.code).toBe(1);

    const server = await spawnServer(['--port', '0', '--data', data]);
    running.push(server);
    expect(await login(server.url, 'bob', 'bobs-password-123')).toBe(200);
    expect(await login(server.url, 'carol', carolPassword)).toBe(200);
    const me = await new SignoffClient({ baseUrl: server.url, apiKey: token }).me();
    expect(me.ok && me.value).toMatchObject({ kind: 'apiKey', name: 'ci', scopes: ['decisions:read', 'deployments:write'] });
    expect(await server.stop()).toBe(0);
  });

  it('loads the demo world with SIGNOFF_DEMO_PASSWORD and SIGNOFF_DEMO_API_KEY', async () => {
    const data = dataFile();
    const server = await spawnServer(['--demo', '--port', '0', '--data', data], {
      env: { SIGNOFF_DEMO_PASSWORD: 'demo-password-1', SIGNOFF_DEMO_API_KEY: 'demo-api-key-0123456789' },
    });
    running.push(server);
    for (const name of ['olivia', 'ivan', 'rita', 'bob', 'fiona']) expect(server.stderr()).toContain(name);
    expect(await login(server.url, 'fiona', 'demo-password-1')).toBe(200);
    const client = new SignoffClient({ baseUrl: server.url, apiKey: 'demo-api-key-0123456789' });
    const v2 = await client.decide({
      namespace: 'shop-prod',
      item: 'shop/web-bundle@v2',
      artifacts: [
        'registry.example.com/shop/migrate@sha256:f9dd5b2b58fa538351ebd52919da1c655c87b195738d74934b8ea8629e76dc80',
        'registry.example.com/shop/web@sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2',
        'registry.example.com/platform/envoy@sha256:3d7756922516b7c436c7349cca27846c4f6fa4cc766ec85b30e525611b3b6aca',
      ],
      dryRun: true,
    });
    expect(v2.ok && v2.value.decision.outcome).toBe('allow');
    const model = await client.decide({ infrastructure: 'production', item: 'fraud/fraud-model@3', dryRun: true });
    expect(model.ok && model.value.decision).toMatchObject({ outcome: 'deny', signoffStatus: 'Waiting for final approval' });
    expect(await server.stop()).toBe(0);
  });
});
