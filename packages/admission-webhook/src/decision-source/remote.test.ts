import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROBLEM_CONTENT_TYPE,
  apiRoutes,
  createGovernanceService,
  createMemoryStore,
  httpStatusFor,
  loadDemoWorld,
  problemFromError,
  type Result,
} from '@signoff/core';
import { remoteSource } from './remote.js';
import { dbBundleInput as input } from '../__fixtures__/demo.js';

// The decision and infrastructure endpoints of the signoff API, served by core's own route table
// over a real GovernanceService (the server package is a front end the webhook may not import;
// the e2e test in test/webhook-e2e.test.ts runs the real signoff-server process).
const API_KEY = 'sk_remotetest_' + 'r'.repeat(40);
const SYSTEM = { kind: 'system', id: 'system' } as const;

let service: ReturnType<typeof createGovernanceService>;
let api: Server;
let base: string;
const seen: { method: string; path: string; authorization?: string }[] = [];

const bodyOf = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text ? JSON.parse(text) : undefined));
  });

beforeAll(async () => {
  const clock = { now: () => new Date() };
  const store = createMemoryStore();
  service = createGovernanceService({ store, clock, publicUrl: 'https://signoff.example.com', passwordParams: { N: 1024, r: 8, p: 1 } });
  await loadDemoWorld(service, { clock, password: 'remote-test', apiKeySecret: API_KEY, passwordParams: { N: 1024, r: 8, p: 1 } });
  api = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    seen.push({ method: req.method ?? '', path, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    void (async () => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const actor = await service.authenticateApiKey(token);
      let result: Result<unknown>;
      if (!actor.ok) result = actor;
      else if (req.method === 'POST' && path === '/api/v1/decisions') {
        // As the server does: the body parsed with the route's schema, then invoke.
        const body = apiRoutes.decide.body!.safeParse(await bodyOf(req));
        result = body.success
          ? await apiRoutes.decide.invoke(service, actor.value, { body: body.data, params: undefined, query: undefined })
          : { ok: false, error: { code: 'VALIDATION', message: body.error.message } };
      } else if (req.method === 'GET' && path === '/api/v1/infrastructures') {
        result = await apiRoutes.listInfrastructures.invoke(service, actor.value, { body: undefined, params: {}, query: {} } as never);
      } else result = { ok: false, error: { code: 'NOT_FOUND', message: `no route ${path}` } };
      if (result.ok) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result.value));
      } else {
        res.writeHead(httpStatusFor(result.error.code), { 'content-type': PROBLEM_CONTENT_TYPE }).end(JSON.stringify(problemFromError(result.error, path)));
      }
    })();
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => api.close(() => r()));
});


const recordedUids = async (): Promise<string[]> => {
  const r = await service.listDeployments(SYSTEM);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.flatMap((d) => (d.target.kind === 'kubernetes' && d.target.uid ? [d.target.uid] : []));
};

const until = async (check: () => Promise<boolean>, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('remoteSource over the signoff API', () => {
  it('asks through the typed client with the API key as a bearer token, and learns the policies', async () => {
    const source = remoteSource({ serverUrl: base, apiKey: API_KEY, cacheTtlMs: 0 });
    expect(source.where).toBe(base);
    expect(await source.ready()).toBe(true);
    expect(source.policyOf('production')).toBe('prevent');
    expect(source.policyOf('staging')).toBe('warn');
    const r = await source.decide(input('remote-1'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.decision).toMatchObject({ outcome: 'allow', item: { ref: 'shop/db-bundle@14' }, signoffStatus: 'Approved' });
    expect(seen.filter((s) => s.path === '/api/v1/decisions').every((s) => s.authorization === `Bearer ${API_KEY}`)).toBe(true);
    const records = await service.listDeployments(SYSTEM);
    expect(records.ok && records.value.find((d) => d.target.kind === 'kubernetes' && d.target.uid === 'remote-1')).toMatchObject({
      outcome: 'allow',
      itemRef: 'shop/db-bundle@14',
      target: { namespace: 'ml-prod', name: 'db', resource: 'statefulsets', requester: 'alice' },
    });
  });

  it('a wrong key is refused as UNAUTHENTICATED (the gate then applies its failure policy)', async () => {
    const r = await remoteSource({ serverUrl: base, apiKey: 'sk_remotetest_' + 'x'.repeat(40), cacheTtlMs: 0 }).decide(input('remote-badkey'));
    expect(!r.ok && r.error.code).toBe('UNAUTHENTICATED');
  });

  it('serves an identical decision from memory within the TTL, still recording a non-dry-run one; dry runs are not sent again', async () => {
    let t = 1_000_000;
    const source = remoteSource({ serverUrl: base, apiKey: API_KEY, cacheTtlMs: 1000, now: () => t });
    const decisions = (): number => seen.filter((s) => s.path === '/api/v1/decisions').length;
    const first = await source.decide(input('cache-1'));
    expect(first.ok).toBe(true);
    const afterFirst = decisions();
    // dry run, same infrastructure/item/artifacts: from memory, nothing sent
    t += 500;
    const dry = await source.decide(input('cache-dry', { dryRun: true }));
    expect(dry.ok && dry.value.decision.outcome).toBe('allow');
    expect(decisions()).toBe(afterFirst);
    // not a dry run: answered from memory, and sent in the background so that the registry has it
    const second = await source.decide(input('cache-2'));
    expect(second.ok && second.value.decision.outcome).toBe('allow');
    await until(async () => (await recordedUids()).includes('cache-2'));
    expect(decisions()).toBe(afterFirst + 1);
    expect(await recordedUids()).not.toContain('cache-dry');
    // past the TTL: asked again (and answered by the server)
    t += 1001;
    await source.decide(input('cache-3', { dryRun: true }));
    expect(decisions()).toBe(afterFirst + 2);
    // another artifact is another question
    await source.decide(input('cache-4', { dryRun: true, artifacts: [`registry.example.com/x@sha256:${'c'.repeat(64)}`] }));
    expect(decisions()).toBe(afterFirst + 3);
  });
});

describe('remoteSource when the server does not answer', () => {
  let blackhole: TcpServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // accepts connections and never says a word
    blackhole = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => blackhole.close(() => r()));
  });

  it('gives up after at most 2 s, whatever timeout was asked for, saying so', async () => {
    const url = `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}`;
    const source = remoteSource({ serverUrl: url, apiKey: API_KEY, timeoutMs: 30_000, cacheTtlMs: 0, infrastructureRefreshMs: 3_600_000 });
    const started = Date.now();
    const r = await source.decide(input('blackhole'));
    const took = Date.now() - started;
    expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
    expect(!r.ok && r.error.message).toContain('no answer within 2000 ms');
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(source.policyOf('production')).toBeUndefined();
  });

  it('says the server is unreachable when nothing listens', async () => {
    const dead = createTcpServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const r = await remoteSource({ serverUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY, cacheTtlMs: 0 }).decide(input('dead'));
    expect(!r.ok && r.error.code).toBe('UNAVAILABLE');
    expect(!r.ok && r.error.message).toMatch(/unreachable/);
  });
});
