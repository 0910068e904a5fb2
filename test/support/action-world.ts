/** A signoff server with the demo world, in-process on port 0, plus the people and keys the Action tests use. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp, closeApp, type AppDeps } from '@signoff/ui-lite';
import { createGovernanceService, createMemoryStore, loadDemoWorld, type GovernanceService, type Item, type Principal, type Store } from '@signoff/core';

export const DEMO_TOKEN = 'sk_actiondemo_actionTestSecret0123456789';
export const SYSTEM: Principal = { kind: 'system', id: 'system' };

export const V2_DIGESTS = [
  'registry.example.com/shop/migrate@sha256:f9dd5b2b58fa538351ebd52919da1c655c87b195738d74934b8ea8629e76dc80',
  'registry.example.com/shop/web@sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2',
  'registry.example.com/platform/envoy@sha256:3d7756922516b7c436c7349cca27846c4f6fa4cc766ec85b30e525611b3b6aca',
];
export const V1_DIGESTS = [`registry.example.com/shop/web@sha256:${'1'.repeat(64)}`];

/** The real server app (API, UI) over the real service and an in-memory store. */
export interface WorldServer {
  url: string;
  store: Store;
  service: GovernanceService;
  http: Server;
}

export interface ActionWorld {
  server: WorldServer;
  service: GovernanceService;
  /** decisions:read + deployments:write (the demo key). */
  deployKey: string;
  /** items:read + items:write + decisions:read + deployments:write (a CI key that registers builds). */
  buildKey: string;
  as(username: string): Promise<Principal>;
  /** A server restart: the app (and its GitHub App mode) is closed and built anew over the same store, on the same port. */
  restartApp(): void;
  close(): Promise<void>;
}

export interface ActionWorldOptions {
  /** Runs the server's GitHub App mode (the deployment protection rule at /github/webhook). */
  githubApp?: NonNullable<AppDeps['githubApp']>;
}

export async function startActionWorld(options: ActionWorldOptions = {}): Promise<ActionWorld> {
  const clock = { now: () => new Date() };
  const store = createMemoryStore();
  // The review links must point at this server: listen first, then build the service with its URL.
  const http = createServer();
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const passwordParams = { N: 1024, r: 8, p: 1 };
  const service = createGovernanceService({ store, clock, publicUrl: url, passwordParams });
  const demo = await loadDemoWorld(service, { clock, password: 'demo-password-1', apiKeySecret: DEMO_TOKEN, publicUrl: url, passwordParams });
  const makeApp = () => createApp({ service, store, clock, publicUrl: url, logger: pino({ level: 'silent' }), ...(options.githubApp ? { githubApp: options.githubApp } : {}) });
  let app = makeApp();
  http.on('request', (req, res) => {
    app(req, res);
  });
  const server: WorldServer = { url, store, service, http };
  const key = await service.createApiKey(SYSTEM, { name: 'ci build', scopes: ['items:read', 'items:write', 'decisions:read', 'deployments:write'] });
  if (!key.ok) throw new Error(key.error.message);
  const users = await service.listUsers(SYSTEM);
  if (!users.ok) throw new Error(users.error.message);
  return {
    server,
    service,
    deployKey: demo.apiKey?.token ?? DEMO_TOKEN,
    buildKey: key.value.secret,
    async as(username) {
      const user = users.value.find((u) => u.username === username);
      if (!user) throw new Error(`no demo user ${username}`);
      const p = await service.principalForUser(user.id);
      if (!p.ok) throw new Error(p.error.message);
      return p.value;
    },
    restartApp() {
      closeApp(app);
      app = makeApp();
    },
    close: () =>
      new Promise<void>((r) => {
        closeApp(app);
        http.closeAllConnections();
        http.close(() => r());
      }).then(() => store.close()),
  };
}

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }, what: string): T => {
  if (!r.ok) throw new Error(`${what}: ${r.error.message}`);
  return r.value;
};

/** Starts the item's Review step and asks for its final approval (as the project's owner). */
export async function bringToFinalApproval(world: ActionWorld, itemId: string): Promise<Item> {
  const olivia = await world.as('olivia');
  const svc = world.service;
  let item = must(await svc.getItem(SYSTEM, itemId), 'get item');
  const templates = must(await svc.listTemplates(SYSTEM), 'templates');
  const steps = templates.find((t) => t.id === item.workflow.templateId)?.steps ?? [];
  const reviewIdx = steps.findIndex((s) => s.signoff);
  for (const [i, st] of steps.entries()) {
    if (i > reviewIdx) break;
    const state = item.workflow.steps.find((s) => s.id === st.id)?.status;
    if (state === 'Not started') item = must(await svc.updateStep(olivia, { kind: 'item', id: itemId }, st.id, { status: 'Ongoing' }), `start ${st.id}`) as Item;
    if (i < reviewIdx && item.workflow.steps.find((s) => s.id === st.id)?.status !== 'Finished')
      item = must(await svc.updateStep(olivia, { kind: 'item', id: itemId }, st.id, { status: 'Finished' }), `finish ${st.id}`) as Item;
  }
  item = must(await svc.signoffAction(olivia, itemId, { type: 'requestFeedback', notify: [] }), 'request feedback');
  return must(await svc.signoffAction(olivia, itemId, { type: 'requestFinalApproval', notify: [] }), 'request final approval');
}

export async function finalApproval(world: ActionWorld, itemId: string, status: 'Approved' | 'Rejected'): Promise<Item> {
  const fiona = await world.as('fiona');
  return must(await world.service.signoffAction(fiona, itemId, { type: 'finalApproval', status, comment: status === 'Approved' ? 'Good to go.' : 'No rollback plan.' }), `final approval ${status}`);
}
