import { describe, expect, it } from 'vitest';
import { ok } from '../result.js';
import { createMemoryStore } from './memory-store.js';
import { describeStoreConformance } from './conformance.js';
import { testItem, testProject } from './test-data.js';

describe('createMemoryStore', () => {
  it('starts from validated initial data and serves index lookups', async () => {
    const store = createMemoryStore({ initial: { projects: [testProject(1)], items: [testItem(1)] } });
    expect((await store.itemByRef('proj1', 'bundle1', '1.0.0'))?.id).toBe('itm_1');
    expect((await store.itemsByDigest(testItem(1).digests[0]!)).map((i) => i.id)).toEqual(['itm_1']);
    const r = await store.transaction((tx) => {
      tx.put('items', testItem(2));
      return ok(1);
    });
    expect(r).toEqual({ ok: true, value: 1 });
    expect(await store.count('items')).toBe(2);
    await store.close();
  });

  it('refuses invalid initial data naming the field', () => {
    expect(() => createMemoryStore({ initial: { items: [{ ...testItem(1), digests: 'x' as unknown as string[] }] } })).toThrow(/items\[0\].*digests/);
  });
});

describeStoreConformance('memory', () => createMemoryStore());
