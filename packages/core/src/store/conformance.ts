import { afterEach, describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../result.js';
import { GENESIS_HASH, verifyChain } from '../audit/chain.js';
import type { CollectionName, Entity } from './collections.js';
import { collectionNames } from './collections.js';
import type { Store } from './types.js';
import {
  hex64,
  testApiKey,
  testAuditInput,
  testDeployment,
  testGroup,
  testInfrastructure,
  testItem,
  testModel,
  testProject,
  testTemplate,
  testUser,
} from './test-data.js';

export interface ConformanceOptions {
  /** For durable adapters: close the store and open it again on the same data. */
  reopen?: (store: Store) => Promise<Store>;
}

type LooseRecord = { id: string } & Record<string, unknown>;
/** A valid record of a collection (`make`) and a valid change of it (`change`). */
type Sample = { make: (n: number) => LooseRecord; change: (r: LooseRecord) => LooseRecord };

/** One sample per collection: a collection added to `collections` needs one here (the CRUD test says so). */
const samples: Record<string, Sample> = {
  users: { make: (n) => testUser(n), change: (r) => ({ ...r, displayName: 'changed' }) },
  groups: { make: (n) => testGroup(`grp_${n}`), change: (r) => ({ ...r, description: 'changed' }) },
  apiKeys: { make: (n) => testApiKey(n), change: (r) => ({ ...r, revokedAt: '2026-03-02T00:00:00.000Z' }) },
  templates: { make: (n) => testTemplate(`tpl_${n}`), change: (r) => ({ ...r, name: 'changed' }) },
  projects: { make: (n) => testProject(n), change: (r) => ({ ...r, name: 'changed' }) },
  models: { make: (n) => testModel(n), change: (r) => ({ ...r, description: 'changed' }) },
  items: { make: (n) => testItem(n), change: (r) => ({ ...r, importance: 'Low' }) },
  infrastructures: { make: (n) => testInfrastructure(`infra-${n}`), change: (r) => ({ ...r, policy: 'warn' }) },
  deployments: { make: (n) => testDeployment(n), change: (r) => ({ ...r, outcome: 'deny' }) },
  pendingProtectionRules: {
    make: (n) => ({ id: `dpr_${n}`, repository: 'example/shop', environment: 'production', runId: String(1000 + n), installationId: 42, sha: 'a'.repeat(40), receivedAt: '2026-03-01T00:00:00.000Z', answerFailures: 0 }),
    change: (r) => ({ ...r, lastStatus: 'Waiting for final approval', lastCheckedAt: '2026-03-02T00:00:00.000Z' }),
  },
  outbox: {
    make: (n) => ({ id: `ntf_${n}`, type: 'feedback.requested', at: '2026-03-01T00:00:00.000Z', actor: 'usr_1', actorName: 'User 1', itemId: `itm_${n}`, projectId: 'prj_1', ref: `p/i@${n}`, projectName: 'P', summary: 'feedback requested', details: [['Comment', 'x']], direct: [{ kind: 'group', id: 'grp_1' }], subscribers: true, status: 'pending' }),
    change: (r) => ({ ...r, status: 'dispatched', dispatchedAt: '2026-03-02T00:00:00.000Z' }),
  },
  notificationDeliveries: {
    make: (n) => ({ id: `ntf_${n}:user:usr_1`, entryId: `ntf_${n}`, eventType: 'feedback.requested', itemId: `itm_${n}`, ref: `p/i@${n}`, channel: 'email', recipient: 'usr_1', address: 'u1@example.com', status: 'pending', attempts: 0, nextAttemptAt: '2026-03-01T00:00:00.000Z', createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-01T00:00:00.000Z' }),
    change: (r) => ({ ...r, status: 'sent', attempts: 1, sentAt: '2026-03-02T00:00:00.000Z' }),
  },
  subscriptions: {
    make: (n) => ({ id: `usr_1:item:itm_${n}`, userId: 'usr_1', subjectKind: 'item', subjectId: `itm_${n}`, state: 'subscribed', source: 'auto', at: '2026-03-01T00:00:00.000Z' }),
    change: (r) => ({ ...r, state: 'unsubscribed', source: 'explicit' }),
  },
  webhookTargets: {
    make: (n) => ({ id: `wht_${n}`, name: `hook ${n}`, url: 'https://chat.example.com/hook', events: [], enabled: true, createdBy: 'usr_1', createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-01T00:00:00.000Z' }),
    change: (r) => ({ ...r, enabled: false }),
  },
  reviewTimers: {
    make: (n) => ({ id: `itm_${n}:review:1:feedback:2026-03-01T00:00:00.000Z`, itemId: `itm_${n}`, stepId: 'review', stage: 'feedback', requestedAt: '2026-03-01T00:00:00.000Z', reminders: 0 }),
    change: (r) => ({ ...r, reminders: 1, lastReminderAt: '2026-03-02T00:00:00.000Z' }),
  },
};

function sample(c: CollectionName): Sample {
  const s = samples[c];
  if (!s) throw new Error(`conformance: no sample record for collection "${c}": add one to \`samples\` in store/conformance.ts`);
  return s;
}

async function put<C extends CollectionName>(store: Store, c: C, ...records: Entity<C>[]): Promise<void> {
  const r = await store.transaction((tx) => {
    for (const rec of records) tx.put(c, rec);
    return ok(undefined);
  });
  expect(r).toEqual({ ok: true, value: undefined });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every Store adapter must have. Call it from a `*.test.ts` file:
 * `describeStoreConformance('memory', () => createMemoryStore())`.
 */
export function describeStoreConformance(
  name: string,
  makeStore: () => Store | Promise<Store>,
  options: ConformanceOptions = {},
): void {
  describe(`Store conformance: ${name}`, () => {
    let open: Store[] = [];
    const fresh = async (): Promise<Store> => {
      const s = await makeStore();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open) await s.close().catch(() => undefined);
      open = [];
    });

    describe('CRUD per collection', () => {
      for (const c of collectionNames) {
        it(`${c}: put, get, list, count, update, remove`, async () => {
          const store = await fresh();
          const s = sample(c);
          const a = s.make(1) as Entity<typeof c>;
          const b = s.make(2) as Entity<typeof c>;
          await put(store, c, a, b);
          expect(await store.get(c, a.id)).toEqual(a);
          expect(await store.count(c)).toBe(2);
          expect((await store.list(c)).map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
          expect((await store.list(c, (r) => r.id === b.id)).map((r) => r.id)).toEqual([b.id]);
          const changed = s.change(a) as Entity<typeof c>;
          await put(store, c, changed);
          expect(await store.get(c, a.id)).toEqual(changed);
          expect(await store.count(c)).toBe(2);
          await store.transaction((tx) => {
            tx.remove(c, a.id);
            return ok(null);
          });
          expect(await store.get(c, a.id)).toBeUndefined();
          expect(await store.count(c)).toBe(1);
          for (const other of collectionNames) if (other !== c) expect(await store.count(other)).toBe(0);
        });
      }

      it('applies schema defaults and strips unknown fields on put', async () => {
        const store = await fresh();
        const { description: _d, ...noDescription } = testItem(1);
        await put(store, 'items', { ...noDescription, extra: 'dropped' } as unknown as Entity<'items'>);
        const got = await store.get('items', 'itm_1');
        expect(got?.description).toBe('');
        expect(got && 'extra' in got).toBe(false);
      });

      it('returns records that cannot be mutated behind the store', async () => {
        const store = await fresh();
        await put(store, 'items', testItem(1));
        const got = (await store.get('items', 'itm_1'))!;
        expect(() => {
          (got as { importance: string }).importance = 'Low';
        }).toThrow(TypeError);
        expect(() => {
          got.digests.push('sha256:x');
        }).toThrow(TypeError);
        expect((await store.get('items', 'itm_1'))?.importance).toBe('High');
      });

      it('put returns the record as stored: validated, defaulted, frozen, what reads give', async () => {
        const store = await fresh();
        const { description: _d, ...noDescription } = testItem(1);
        let returned: Entity<'items'> | undefined;
        await store.transaction((tx) => {
          returned = tx.put('items', { ...noDescription, extra: 'dropped' } as unknown as Entity<'items'>);
          return ok(null);
        });
        expect(returned?.description).toBe('');
        expect(returned && 'extra' in returned).toBe(false);
        expect(Object.isFrozen(returned)).toBe(true);
        expect(await store.get('items', 'itm_1')).toEqual(returned);
      });

      it('removing a missing record is a no-op', async () => {
        const store = await fresh();
        const r = await store.transaction((tx) => {
          tx.remove('items', 'itm_nope');
          return ok(1);
        });
        expect(r.ok).toBe(true);
        expect(await store.count('items')).toBe(0);
      });
    });

    describe('validation', () => {
      it('an invalid record is a VALIDATION result with the field path, and nothing of the transaction is written', async () => {
        const store = await fresh();
        const bad = { ...testItem(2), artifacts: { images: ['nginx:1.25'], storage: [] } };
        const r = await store.transaction((tx) => {
          tx.put('projects', testProject(1));
          tx.appendAudit(testAuditInput('projects/prj_1'));
          tx.put('items', bad);
          return ok('unreachable');
        });
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.error.code).toBe('VALIDATION');
        expect(r.error.issues).toContainEqual(expect.objectContaining({ path: ['artifacts', 'images', 0] }));
        expect(await store.count('projects')).toBe(0);
        expect(await store.count('items')).toBe(0);
        expect(await store.audit()).toEqual([]);
      });

      it('a validation failure cannot be swallowed: the transaction still fails', async () => {
        const store = await fresh();
        const r = await store.transaction((tx) => {
          tx.put('projects', testProject(1));
          try {
            tx.put('users', { ...testUser(1), username: '' });
          } catch {
            // ignored on purpose
          }
          return ok('committed?');
        });
        expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
        if (!r.ok) expect(r.error.issues?.[0]?.path).toEqual(['username']);
        expect(await store.count('projects')).toBe(0);
      });

      it('an invalid audit event is a VALIDATION result naming the field', async () => {
        const store = await fresh();
        const r = await store.transaction((tx) => {
          tx.put('projects', testProject(1));
          tx.appendAudit({ ...testAuditInput('projects/prj_1'), at: 'yesterday' });
          return ok(1);
        });
        expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
        if (!r.ok) expect(r.error.issues?.[0]?.path).toEqual(['at']);
        expect(await store.count('projects')).toBe(0);
      });

      it('unique keys (project key, item ref, username, API key prefix) are a CONFLICT', async () => {
        const store = await fresh();
        await put(store, 'projects', testProject(1));
        await put(store, 'users', testUser(1));
        await put(store, 'apiKeys', testApiKey(1));
        await put(store, 'items', testItem(1));
        const attempts: [CollectionName, unknown][] = [
          ['projects', testProject(2, { key: 'proj1' })],
          ['users', testUser(2, { username: 'user1' })],
          ['apiKeys', testApiKey(2, { prefix: testApiKey(1).prefix })],
          ['items', testItem(2, { name: 'bundle1' })],
        ];
        for (const [c, rec] of attempts) {
          const r = await store.transaction((tx) => {
            tx.put(c, rec as Entity<typeof c>);
            return ok(1);
          });
          expect(r).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
        }
        expect(await store.count('projects')).toBe(1);
        expect(await store.count('users')).toBe(1);
        // a record may keep its own key
        await put(store, 'projects', testProject(1, { name: 'renamed' }));
      });
    });

    describe('transactions', () => {
      it('writes are visible inside the transaction, including index lookups', async () => {
        const store = await fresh();
        await put(store, 'projects', testProject(1));
        await put(store, 'items', testItem(1));
        const item2 = testItem(2);
        const r = await store.transaction(async (tx) => {
          tx.put('items', item2);
          tx.put('users', testUser(7));
          tx.put('infrastructures', testInfrastructure('prod', { namespaces: ['ml-prod'] }));
          tx.put('apiKeys', testApiKey(3));
          tx.remove('items', 'itm_1');
          return ok({
            got: (await tx.get('items', 'itm_2'))?.id,
            removed: await tx.get('items', 'itm_1'),
            count: await tx.count('items'),
            list: (await tx.list('items')).map((i) => i.id),
            byRef: (await tx.itemByRef('proj1', 'bundle2', '1.0.0'))?.id,
            oldByRef: await tx.itemByRef('proj1', 'bundle1', '1.0.0'),
            byDigest: (await tx.itemsByDigest(item2.digests[1]!)).map((i) => i.id),
            oldDigest: await tx.itemsByDigest(testItem(1).digests[0]!),
            user: (await tx.userByUsername('user7'))?.id,
            ns: (await tx.infrastructureByNamespace('ml-prod'))?.id,
            key: (await tx.apiKeyByPrefix(testApiKey(3).prefix))?.id,
            outside: await store.get('items', 'itm_2'),
          });
        });
        expect(r).toEqual({
          ok: true,
          value: {
            got: 'itm_2',
            removed: undefined,
            count: 1,
            list: ['itm_2'],
            byRef: 'itm_2',
            oldByRef: undefined,
            byDigest: ['itm_2'],
            oldDigest: [],
            user: 'usr_7',
            ns: 'prod',
            key: 'key_3',
            outside: undefined,
          },
        });
        expect(await store.get('items', 'itm_1')).toBeUndefined();
        expect((await store.get('items', 'itm_2'))?.id).toBe('itm_2');
      });

      it('rolls back when the function returns { ok: false }', async () => {
        const store = await fresh();
        await put(store, 'projects', testProject(1));
        const r = await store.transaction((tx) => {
          tx.put('projects', testProject(1, { name: 'changed' }));
          tx.put('items', testItem(1));
          tx.appendAudit(testAuditInput('items/itm_1'));
          return err('CONFLICT', 'changed my mind');
        });
        expect(r).toEqual({ ok: false, error: { code: 'CONFLICT', message: 'changed my mind' } });
        expect((await store.get('projects', 'prj_1'))?.name).toBe('Project 1');
        expect(await store.count('items')).toBe(0);
        expect(await store.itemsByDigest(testItem(1).digests[0]!)).toEqual([]);
        expect(await store.audit()).toEqual([]);
      });

      it('rolls back when the function throws, and rethrows', async () => {
        const store = await fresh();
        await put(store, 'projects', testProject(1));
        await expect(
          store.transaction(async (tx) => {
            tx.put('projects', testProject(1, { name: 'changed' }));
            tx.put('items', testItem(1));
            tx.appendAudit(testAuditInput('items/itm_1'));
            await sleep(1);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect((await store.get('projects', 'prj_1'))?.name).toBe('Project 1');
        expect(await store.count('items')).toBe(0);
        expect(await store.audit()).toEqual([]);
        // the store keeps working after a failed transaction
        await put(store, 'items', testItem(1));
        expect(await store.count('items')).toBe(1);
      });

      it('serialises concurrent transactions: no lost update', async () => {
        const store = await fresh();
        await put(store, 'groups', testGroup('counter', { description: '0' }));
        const bump = (i: number) =>
          store.transaction(async (tx) => {
            const g = (await tx.get('groups', 'counter'))!;
            await sleep(i % 3); // yield to the other transactions in flight
            tx.put('groups', { ...g, description: String(Number(g.description) + 1) });
            tx.appendAudit(testAuditInput('groups/counter', { change: { i } }));
            return ok(Number(g.description) + 1);
          });
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i)));
        expect(results.map((r) => (r.ok ? r.value : -1)).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect((await store.get('groups', 'counter'))?.description).toBe('40');
        expect((await store.audit()).length).toBe(40);
        expect((await store.verifyAudit()).ok).toBe(true);
      });

      it('refuses a nested transaction on the same store instead of deadlocking', async () => {
        const store = await fresh();
        await expect(store.transaction(async () => store.transaction(() => ok(1)))).rejects.toThrow(/inside a transaction/);
      });

      it('work started inside a transaction may open its own transaction once the first has finished', async () => {
        const store = await fresh();
        let later: Promise<Result<number>> | undefined;
        await store.transaction((tx) => {
          tx.put('projects', testProject(1));
          later = sleep(5).then(() => store.transaction((tx2) => {
            tx2.put('projects', testProject(2));
            return ok(2);
          }));
          return ok(1);
        });
        expect(await later).toEqual({ ok: true, value: 2 });
        expect(await store.count('projects')).toBe(2);
      });

      it('a finished transaction cannot be written to', async () => {
        const store = await fresh();
        let leaked: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
        await store.transaction((tx) => {
          leaked = tx;
          return ok(1);
        });
        expect(() => leaked!.put('projects', testProject(1))).toThrow();
        expect(await store.count('projects')).toBe(0);
      });
    });

    describe('indexes', () => {
      it('item by ref follows the project key and the item name/version, after update and remove', async () => {
        const store = await fresh();
        await put(store, 'projects', testProject(1), testProject(2));
        await put(store, 'items', testItem(1), testItem(2, { projectId: 'prj_2', name: 'bundle1' }));
        expect((await store.itemByRef('proj1', 'bundle1', '1.0.0'))?.id).toBe('itm_1');
        expect((await store.itemByRef('proj2', 'bundle1', '1.0.0'))?.id).toBe('itm_2');
        expect(await store.itemByRef('proj1', 'bundle1', '2.0.0')).toBeUndefined();
        expect(await store.itemByRef('nope', 'bundle1', '1.0.0')).toBeUndefined();
        await put(store, 'items', testItem(1, { version: '2.0.0' }));
        expect(await store.itemByRef('proj1', 'bundle1', '1.0.0')).toBeUndefined();
        expect((await store.itemByRef('proj1', 'bundle1', '2.0.0'))?.id).toBe('itm_1');
        await put(store, 'projects', testProject(1, { key: 'renamed' }));
        expect(await store.projectByKey('proj1')).toBeUndefined();
        expect((await store.projectByKey('renamed'))?.id).toBe('prj_1');
        expect((await store.itemByRef('renamed', 'bundle1', '2.0.0'))?.id).toBe('itm_1');
        expect(await store.itemByRef('proj1', 'bundle1', '2.0.0')).toBeUndefined();
        await store.transaction((tx) => {
          tx.remove('items', 'itm_1');
          return ok(1);
        });
        expect(await store.itemByRef('renamed', 'bundle1', '2.0.0')).toBeUndefined();
        // the freed ref can be taken by another item
        await put(store, 'items', testItem(3, { name: 'bundle1', version: '2.0.0' }));
        expect((await store.itemByRef('renamed', 'bundle1', '2.0.0'))?.id).toBe('itm_3');
      });

      it('items by digest follow changes of an item digests, shared digests and removal', async () => {
        const store = await fresh();
        const a = testItem(1);
        const shared = a.digests[0]!;
        const b = testItem(2, { digests: [shared, `sha256:${hex64('b-only')}`] });
        await put(store, 'items', a, b);
        expect((await store.itemsByDigest(shared)).map((i) => i.id).sort()).toEqual(['itm_1', 'itm_2']);
        expect((await store.itemsByDigest(a.digests[1]!)).map((i) => i.id)).toEqual(['itm_1']);
        const newDigest = `sha256:${hex64('new')}`;
        await put(store, 'items', { ...a, digests: [newDigest, 'uri:s3://models/fraud/v3'] });
        expect((await store.itemsByDigest(shared)).map((i) => i.id)).toEqual(['itm_2']);
        expect(await store.itemsByDigest(a.digests[1]!)).toEqual([]);
        expect((await store.itemsByDigest(newDigest)).map((i) => i.id)).toEqual(['itm_1']);
        expect((await store.itemsByDigest('uri:s3://models/fraud/v3')).map((i) => i.id)).toEqual(['itm_1']);
        expect((await store.itemsByDigest(newDigest))[0]?.digests).toEqual([newDigest, 'uri:s3://models/fraud/v3']);
        await store.transaction((tx) => {
          tx.remove('items', 'itm_2');
          return ok(1);
        });
        expect(await store.itemsByDigest(shared)).toEqual([]);
        expect(await store.itemsByDigest(`sha256:${hex64('b-only')}`)).toEqual([]);
      });

      it('infrastructure by namespace, user by username, API key by prefix, project by key, after update and remove', async () => {
        const store = await fresh();
        await put(store, 'infrastructures', testInfrastructure('prod', { namespaces: ['ml-prod', 'shop-prod'] }), testInfrastructure('dev', { namespaces: ['shop-dev'] }));
        await put(store, 'users', testUser(1), testUser(2));
        await put(store, 'apiKeys', testApiKey(1));
        await put(store, 'projects', testProject(1));
        expect((await store.infrastructureByNamespace('shop-prod'))?.id).toBe('prod');
        expect((await store.infrastructureByNamespace('shop-dev'))?.id).toBe('dev');
        expect(await store.infrastructureByNamespace('elsewhere')).toBeUndefined();
        expect((await store.userByUsername('user2'))?.id).toBe('usr_2');
        expect((await store.apiKeyByPrefix(testApiKey(1).prefix))?.id).toBe('key_1');
        expect((await store.projectByKey('proj1'))?.id).toBe('prj_1');

        await put(store, 'infrastructures', testInfrastructure('prod', { namespaces: ['ml-prod'] }));
        await put(store, 'users', testUser(2, { username: 'renamed' }));
        await put(store, 'apiKeys', testApiKey(1, { prefix: 'newprefix1' }));
        expect(await store.infrastructureByNamespace('shop-prod')).toBeUndefined();
        expect((await store.infrastructureByNamespace('ml-prod'))?.id).toBe('prod');
        expect(await store.userByUsername('user2')).toBeUndefined();
        expect((await store.userByUsername('renamed'))?.id).toBe('usr_2');
        expect(await store.apiKeyByPrefix(testApiKey(1).prefix)).toBeUndefined();
        expect((await store.apiKeyByPrefix('newprefix1'))?.id).toBe('key_1');

        await store.transaction((tx) => {
          tx.remove('infrastructures', 'prod');
          tx.remove('users', 'usr_2');
          tx.remove('apiKeys', 'key_1');
          tx.remove('projects', 'prj_1');
          return ok(1);
        });
        expect(await store.infrastructureByNamespace('ml-prod')).toBeUndefined();
        expect(await store.userByUsername('renamed')).toBeUndefined();
        expect(await store.apiKeyByPrefix('newprefix1')).toBeUndefined();
        expect(await store.projectByKey('proj1')).toBeUndefined();
        expect((await store.userByUsername('user1'))?.id).toBe('usr_1');
      });
    });

    describe('audit', () => {
      async function seedAudit(store: Store): Promise<void> {
        const subjects = ['items/itm_1', 'items/itm_2', 'projects/prj_1', 'items/itm_1', 'infrastructures/prod', 'items/itm_1'];
        for (const [i, subject] of subjects.entries()) {
          const r = await store.transaction((tx) => {
            tx.appendAudit(testAuditInput(subject, { change: { i } }));
            return ok(i);
          });
          expect(r.ok).toBe(true);
        }
      }

      it('assigns seq, prevHash and hash at commit; several events per transaction chain in order', async () => {
        const store = await fresh();
        await store.transaction((tx) => {
          tx.put('items', testItem(1));
          tx.appendAudit(testAuditInput('items/itm_1', { action: 'item.create' }));
          tx.appendAudit(testAuditInput('items/itm_1', { action: 'signoff.feedback.request' }));
          return ok(1);
        });
        await store.transaction((tx) => {
          tx.appendAudit(testAuditInput('items/itm_1', { action: 'item.update', change: { before: { a: 1 }, after: { a: 2 } } }));
          return ok(1);
        });
        const events = await store.audit();
        expect(events.map((e) => [e.seq, e.action])).toEqual([
          [1, 'item.create'],
          [2, 'signoff.feedback.request'],
          [3, 'item.update'],
        ]);
        expect(events[0]!.prevHash).toBe(GENESIS_HASH);
        expect(events[1]!.prevHash).toBe(events[0]!.hash);
        expect(events[2]!.prevHash).toBe(events[1]!.hash);
        expect(events[2]!.change).toEqual({ before: { a: 1 }, after: { a: 2 } });
        expect(verifyChain(events).ok).toBe(true);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 3, headHash: events[2]!.hash });
      });

      it('verifies an empty log', async () => {
        const store = await fresh();
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 0 });
      });

      it('queries by subject, prefix, afterSeq, reverse and limit', async () => {
        const store = await fresh();
        await seedAudit(store);
        const seqs = async (q: Parameters<Store['audit']>[0]) => (await store.audit(q)).map((e) => e.seq);
        expect(await seqs(undefined)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await seqs({ subject: 'items/itm_1' })).toEqual([1, 4, 6]);
        expect(await seqs({ subject: 'items/nope' })).toEqual([]);
        expect(await seqs({ subjectPrefix: 'items/' })).toEqual([1, 2, 4, 6]);
        expect(await seqs({ afterSeq: 4 })).toEqual([5, 6]);
        expect(await seqs({ afterSeq: 6 })).toEqual([]);
        expect(await seqs({ afterSeq: 0 })).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await seqs({ reverse: true })).toEqual([6, 5, 4, 3, 2, 1]);
        expect(await seqs({ limit: 2 })).toEqual([1, 2]);
        expect(await seqs({ limit: 0 })).toEqual([]);
        expect(await seqs({ reverse: true, limit: 2 })).toEqual([6, 5]);
        expect(await seqs({ subject: 'items/itm_1', afterSeq: 1 })).toEqual([4, 6]);
        expect(await seqs({ subject: 'items/itm_1', reverse: true, limit: 1 })).toEqual([6]);
        expect(await seqs({ subjectPrefix: 'items/', afterSeq: 2, reverse: true })).toEqual([6, 4]);
        expect(await seqs({ subjectPrefix: 'items/', afterSeq: 1, limit: 2 })).toEqual([2, 4]);
        // a subject with one event, and the same after its second
        expect(await seqs({ subject: 'projects/prj_1' })).toEqual([3]);
        expect(await seqs({ subject: 'projects/prj_1', afterSeq: 3 })).toEqual([]);
        await store.transaction((tx) => {
          tx.appendAudit(testAuditInput('projects/prj_1'));
          return ok(1);
        });
        expect(await seqs({ subject: 'projects/prj_1' })).toEqual([3, 7]);
        expect(await seqs({ subject: 'projects/prj_1', reverse: true })).toEqual([7, 3]);
      });

      it('audit events of a rolled-back transaction leave no trace and no seq gap', async () => {
        const store = await fresh();
        await seedAudit(store);
        await store.transaction((tx) => {
          tx.appendAudit(testAuditInput('items/itm_9'));
          return err('CONFLICT', 'no');
        });
        await store.transaction((tx) => {
          tx.appendAudit(testAuditInput('items/itm_10'));
          return ok(1);
        });
        const events = await store.audit();
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(events[6]!.subject).toBe('items/itm_10');
        expect((await store.verifyAudit()).ok).toBe(true);
      });
    });

    describe('lifecycle', () => {
      it('a closed store refuses transactions', async () => {
        const store = await fresh();
        await store.close();
        await expect(store.transaction(() => ok(1))).rejects.toThrow(/closed/);
      });

      it('close waits for transactions in flight', async () => {
        const store = await makeStore();
        const pending = store.transaction(async (tx) => {
          await sleep(20);
          tx.put('projects', testProject(1));
          return ok(1);
        });
        await store.close();
        expect(await pending).toEqual({ ok: true, value: 1 });
        if (options.reopen) {
          const again = await options.reopen(store);
          open.push(again);
          expect((await again.get('projects', 'prj_1'))?.id).toBe('prj_1');
        }
      });
    });

    if (options.reopen) {
      const reopen = options.reopen;
      describe('durability', () => {
        it('records, indexes and the audit chain survive a reopen', async () => {
          const store = await makeStore();
          await put(store, 'projects', testProject(1));
          await put(store, 'items', testItem(1), testItem(2));
          await put(store, 'infrastructures', testInfrastructure('prod', { namespaces: ['ml-prod'] }));
          await put(store, 'users', testUser(1));
          await put(store, 'apiKeys', testApiKey(1));
          await store.transaction((tx) => {
            tx.remove('items', 'itm_2');
            tx.appendAudit(testAuditInput('items/itm_2', { action: 'item.delete' }));
            tx.appendAudit(testAuditInput('items/itm_1', { change: { nested: { b: 1, a: [1, 2] } } }));
            return ok(1);
          });
          const before = await store.audit();
          const again = await reopen(store);
          open.push(again);
          expect(await again.get('items', 'itm_1')).toEqual(testItem(1));
          expect(await again.get('items', 'itm_2')).toBeUndefined();
          expect((await again.itemByRef('proj1', 'bundle1', '1.0.0'))?.id).toBe('itm_1');
          expect((await again.itemsByDigest(testItem(1).digests[2]!)).map((i) => i.id)).toEqual(['itm_1']);
          expect(await again.itemsByDigest(testItem(2).digests[0]!)).toEqual([]);
          expect((await again.infrastructureByNamespace('ml-prod'))?.id).toBe('prod');
          expect((await again.userByUsername('user1'))?.id).toBe('usr_1');
          expect((await again.apiKeyByPrefix(testApiKey(1).prefix))?.id).toBe('key_1');
          expect(await again.audit()).toEqual(before);
          expect(await again.verifyAudit()).toEqual({ ok: true, count: 2, headHash: before[1]!.hash });
          // the chain continues after a reopen
          await again.transaction((tx) => {
            tx.appendAudit(testAuditInput('items/itm_1'));
            return ok(1);
          });
          const after = await again.audit();
          expect(after[2]).toMatchObject({ seq: 3, prevHash: before[1]!.hash });
          expect((await again.verifyAudit()).ok).toBe(true);
        });

        it('a rolled-back transaction is not persisted', async () => {
          const store = await makeStore();
          await put(store, 'projects', testProject(1));
          const r: Result<number> = await store.transaction((tx) => {
            tx.put('projects', testProject(1, { name: 'changed' }));
            return err('CONFLICT', 'no');
          });
          expect(r.ok).toBe(false);
          const again = await reopen(store);
          open.push(again);
          expect((await again.get('projects', 'prj_1'))?.name).toBe('Project 1');
        });
      });
    }
  });
}
