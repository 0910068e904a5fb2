import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import type { Principal } from '../schemas/principal.js';
import { createGovernanceService, type GovernanceServiceInternals } from '../service/service.js';
import { ManualClock, testPasswordParams } from '../service/test-helpers.js';
import { systemPrincipal } from '../auth/principal.js';
import { DEMO_NAMESPACES, loadDemoWorld, type DemoWorld } from './demo-world.js';

const fixturesDir = fileURLToPath(new URL('./__fixtures__/', import.meta.url));

interface FixtureRequest {
  operation: string;
  namespace: string;
  dryRun?: boolean;
  subResource?: string;
  object: { metadata?: { annotations?: Record<string, string> }; spec?: unknown } | null;
}

/** What a workload runs: every `image` and `storageUri` under its spec. */
function artifactsOf(spec: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== 'object') return;
    for (const [k, v] of Object.entries(x)) {
      if ((k === 'image' || k === 'storageUri') && typeof v === 'string') out.push(v);
      else walk(v);
    }
  };
  walk(spec);
  return [...new Set(out)];
}

/** The answers of DESIGN.md's fixture table. `null`: nothing new runs, so nothing to decide. */
const expected: Record<string, 'allow' | 'deny' | null> = {
  'deployment-create': 'allow',
  'deployment-update': 'deny',
  'deployment-create-dryrun': 'allow',
  'deployment-scale': null,
  'deployment-delete': null,
  'statefulset-create': 'allow',
  'daemonset-create': 'deny',
  'job-create': 'deny',
  'cronjob-create': 'allow',
  'pod-create': 'deny',
  'inferenceservice-create': 'deny',
  'deployment-create-unpinned-tags': 'deny',
  'deployment-update-unpinned-tags': 'allow',
};

describe('the demo world', () => {
  let store: Store;
  let svc: GovernanceServiceInternals;
  let world: DemoWorld;
  let deployer: Principal;
  const token = 'sk_demotest01_0123456789abcdefghijklmnopqrstuv';

  beforeAll(async () => {
    store = createMemoryStore();
    const clock = new ManualClock();
    svc = createGovernanceService({ store, clock, publicUrl: 'http://localhost:8080', passwordParams: testPasswordParams });
    world = await loadDemoWorld(svc, { clock, password: 'demo-password', apiKeySecret: token });
    const p = await svc.authenticateApiKey(token);
    if (!p.ok) throw new Error(p.error.message);
    deployer = p.value;
  });

  it('has the people, with the given password, and the demo API key', async () => {
    expect(Object.keys(world.passwords).sort()).toEqual(['admin', 'bob', 'fiona', 'ivan', 'olivia', 'rita']);
    for (const u of Object.keys(world.passwords)) expect((await svc.authenticatePassword(u, 'demo-password')).ok).toBe(true);
    expect(deployer).toMatchObject({ kind: 'apiKey', scopes: ['decisions:read', 'deployments:write'] });
    expect(world.apiKey?.token).toBe(token);
  });

  it('has the items in the states of DESIGN.md', async () => {
    const status = async (ref: string) => {
      const r = await svc.governanceStatus(systemPrincipal, ref);
      if (!r.ok) throw new Error(r.error.message);
      return r.value.signoffStatus;
    };
    expect(await status('shop/web-bundle@v1')).toBe('Rejected');
    expect(await status('shop/web-bundle@v2')).toBe('Approved');
    expect(await status('shop/db-bundle@14')).toBe('Approved');
    expect(await status('fraud/train-pipeline@3')).toBe('Approved');
    expect(await status('fraud/fraud-model@3')).toBe('Waiting for final approval');
    const infra = await svc.listInfrastructures(systemPrincipal);
    expect(infra.ok && infra.value.map((i) => [i.id, i.policy]).sort()).toEqual([['development', 'always'], ['production', 'prevent'], ['staging', 'warn']]);
    for (const [ns, id] of Object.entries(DEMO_NAMESPACES)) expect((await store.infrastructureByNamespace(ns))?.id).toBe(id);
  });

  it('tells the story in the audit log', async () => {
    const v1 = world.items['shop/web-bundle@v1'];
    const events = await store.audit({ subject: `items/${v1?.id ?? ''}` });
    const fiona = world.users.fiona?.id;
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['item.create', 'signoff.requestFeedback', 'signoff.submitFeedback', 'signoff.requestFinalApproval', 'signoff.finalApproval']));
    expect(events.find((e) => e.action === 'signoff.finalApproval')?.actor).toBe(fiona);
    expect((await store.verifyAudit()).ok).toBe(true);
  });

  it('answers every captured AdmissionReview as DESIGN.md lists', async () => {
    const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));
    expect(files.map((f) => f.replace('.json', '')).sort()).toEqual(Object.keys(expected).sort());
    const answers: Record<string, string | null> = {};
    for (const f of files) {
      const name = f.replace('.json', '');
      const review = JSON.parse(readFileSync(fixturesDir + f, 'utf8')) as { request: FixtureRequest };
      const q = review.request;
      const artifacts = q.object ? artifactsOf(q.object.spec) : [];
      const item = q.object?.metadata?.annotations?.['signoff.dev/item'];
      if (artifacts.length === 0) {
        answers[name] = null;
        continue;
      }
      const r = await svc.decide(deployer, { namespace: q.namespace, ...(item ? { item } : {}), artifacts, dryRun: q.dryRun ?? false, target: { kind: 'kubernetes', namespace: q.namespace, name, resource: 'x', operation: q.operation } });
      if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
      answers[name] = r.value.decision.outcome;
      expect(r.value.decision.reasons.length, name).toBeGreaterThan(0);
      if (q.dryRun) expect(r.value.deploymentId, name).toBeUndefined();
      else expect(r.value.deploymentId, name).toBeDefined();
    }
    expect(answers).toEqual(expected);
    const records = await svc.listDeployments(systemPrincipal, {});
    expect(records.ok && records.value.length).toBe(Object.values(expected).filter((x) => x !== null).length - 1);
  });

  it('is not loaded twice', async () => {
    const before = await store.count('users');
    const again = await loadDemoWorld(svc, { clock: new ManualClock() });
    expect(again.loaded).toBe(false);
    expect(await store.count('users')).toBe(before);
  });
});
