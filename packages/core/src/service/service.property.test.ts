import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import { collectionNames } from '../store/collections.js';
import { createGovernanceService, type GovernanceServiceInternals } from './service.js';
import { ManualClock, testPasswordParams } from './test-helpers.js';
import { loadDemoWorld, type DemoWorld } from '../demo/demo-world.js';
import { principalFromUser } from '../auth/principal.js';
import type { Principal, User } from '../schemas/principal.js';
import type { Result } from '../result.js';

async function snapshot(store: Store): Promise<string> {
  const parts: unknown[] = [];
  for (const c of collectionNames) parts.push(c, await store.list(c));
  parts.push(await store.audit());
  return JSON.stringify(parts);
}

/** Inputs that look a little like the real ones, and anything at all. */
const junk = fc.oneof(
  fc.anything(),
  fc.dictionary(
    fc.constantFrom('username', 'displayName', 'name', 'key', 'id', 'projectId', 'kind', 'version', 'artifacts', 'images', 'status', 'groupId', 'type', 'policy', 'namespaces', 'infrastructure', 'namespace', 'item', 'dryRun', 'scopes', 'feedbackGroups', 'finalApprovers', 'steps', 'limit'),
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object()),
  ),
);

describe('the service never throws on bad input and a refusal writes nothing', () => {
  let store: Store;
  let svc: GovernanceServiceInternals;
  let world: DemoWorld;
  let actors: Principal[];

  beforeAll(async () => {
    store = createMemoryStore();
    const clock = new ManualClock();
    svc = createGovernanceService({ store, clock, publicUrl: 'http://localhost:8080', passwordParams: testPasswordParams });
    world = await loadDemoWorld(svc, { clock, password: 'demo-password' });
    actors = [principalFromUser(world.users.admin as User), principalFromUser(world.users.olivia as User), { kind: 'apiKey', id: 'key_p', name: 'p', scopes: ['items:write', 'reviews:write', 'decisions:read'] }];
  });

  const calls: [string, (a: Principal, x: unknown, s: string) => Promise<Result<unknown>>][] = [
    ['createUser', (a, x) => svc.createUser(a, x as never)],
    ['updateUser', (a, x, s) => svc.updateUser(a, s, x as never)],
    ['createGroup', (a, x) => svc.createGroup(a, x as never)],
    ['createApiKey', (a, x) => svc.createApiKey(a, x as never)],
    ['createTemplate', (a, x) => svc.createTemplate(a, x as never)],
    ['createProject', (a, x) => svc.createProject(a, x as never)],
    ['updateProject', (a, x) => svc.updateProject(a, world.projects.shop?.id ?? '', x as never)],
    ['setQualification', (a, x) => svc.setQualification(a, 'shop', x as never)],
    ['setReviewers', (a, x) => svc.setReviewers(a, 'fraud', x as never)],
    ['createModel', (a, x) => svc.createModel(a, x as never)],
    ['registerItem', (a, x) => svc.registerItem(a, x as never)],
    ['updateItem', (a, x) => svc.updateItem(a, 'shop/web-bundle@v2', x as never)],
    ['updateStep', (a, x, s) => svc.updateStep(a, { kind: 'item', id: 'shop/web-bundle@v1' }, s, x as never)],
    ['signoffAction', (a, x, s) => svc.signoffAction(a, 'fraud/fraud-model@3', x as never, s)],
    ['createInfrastructure', (a, x) => svc.createInfrastructure(a, x as never)],
    ['updateInfrastructure', (a, x) => svc.updateInfrastructure(a, 'production', x as never)],
    ['decide', (a, x) => svc.decide(a, x as never)],
    ['listDeployments', (a, x) => svc.listDeployments(a, x as never)],
    ['listAudit', (a, x) => svc.listAudit(a, x as never)],
    ['listItems', (a, x) => svc.listItems(a, x as never)],
    ['getItem', (a, _x, s) => svc.getItem(a, s)],
    ['authenticatePassword', (_a, x, s) => svc.authenticatePassword(s, x as never)],
    ['authenticateApiKey', (_a, x) => svc.authenticateApiKey(x as never)],
  ];

  it.each(calls)('%s', async (_name, fn) => {
    await fc.assert(
      fc.asyncProperty(fc.nat(actors.length - 1), junk, fc.string({ maxLength: 80 }), async (ai, input, s) => {
        const before = await snapshot(store);
        const r = await fn(actors[ai] as Principal, input, s);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) {
          expect(r.error.code).toMatch(/^[A-Z_]+$/);
          expect(await snapshot(store)).toBe(before);
        }
      }),
      { numRuns: 40 },
    );
  });
});
