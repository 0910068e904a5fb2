import { describe, expect, it } from 'vitest';
import { ok } from '../result.js';
import { createMemoryStore } from './memory-store.js';
import { Interner, nestedTransactionGuard, StoreState } from './engine.js';
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

  it('shares equal parts of stored items without changing what is read back', async () => {
    const store = createMemoryStore({ initial: { projects: [testProject(1)] } });
    const a = testItem(1);
    // the same workflow and sign-offs in every item (a node is shared once its parts have been seen before)
    const items = [a, ...[2, 3, 4, 5, 6].map((n) => ({ ...testItem(n), workflow: structuredClone(a.workflow), signoffs: structuredClone(a.signoffs) }))];
    await store.transaction((tx) => {
      for (const i of items) tx.put('items', i);
      return ok(undefined);
    });
    const read = await Promise.all(items.map(async (i) => (await store.get('items', i.id))!));
    read.forEach((r, i) => expect(r).toEqual(items[i]));
    const [r5, r6] = [read[4]!, read[5]!];
    expect(r6.workflow).toBe(r5.workflow);
    expect(r6.signoffs).toBe(r5.signoffs);
    expect(r6.digests).not.toBe(r5.digests);
    expect(Object.isFrozen(r6.workflow.steps[0])).toBe(true);
    // a change to one item leaves the others as they were
    const changed = { ...r5, workflow: { ...r5.workflow, steps: r5.workflow.steps.map((st, i) => (i === 0 ? { ...st, notes: 'changed' } : st)) } };
    await store.transaction((tx) => {
      tx.put('items', changed);
      return ok(undefined);
    });
    expect((await store.get('items', r5.id))!.workflow.steps[0]!.notes).toBe('changed');
    expect((await store.get('items', r6.id))!.workflow).toEqual(a.workflow);
    expect((await store.itemsByDigest(r6.digests[0]!)).map((i) => i.id)).toEqual([r6.id]);
  });

  it('interns by structure: keys, order, types and nesting all count', () => {
    const interner = new Interner();
    const same = () => ({ p: 1, q: [1, '1', true, null] });
    // strings count as known once an earlier record held them
    interner.record({ id: 'w', s: '1' });
    const x = interner.record({ id: 'x', a: same(), b: [{ n: 1 }], c: same(), d: same() });
    // q was new at a, known at c; {p, q} is kept from c on and shared from d on
    expect(x.a).toEqual(x.d);
    expect(x.c).not.toBe(x.a);
    expect(x.d).toBe(x.c);
    const y = interner.record({ id: 'y', a: same(), b: [{ n: '1' }], c: { q: [1, '1', true, null], p: 1 } });
    expect(y.a).toBe(x.c);
    expect(y.b).toEqual([{ n: '1' }]);
    expect(y.c).not.toBe(x.c);
    expect(y.c).toEqual({ q: [1, '1', true, null], p: 1 });
    expect(Object.keys(y.c)).toEqual(['q', 'p']);
    const b2 = interner.record({ id: 'z', b: [{ n: 1 }] }).b;
    expect(b2).toEqual([{ n: 1 }]);
    expect(b2).not.toBe(y.b);
    expect(interner.record({ id: 'z', a: [[]], b: [{}], c: [[]] })).toEqual({ id: 'z', a: [[]], b: [{}], c: [[]] });
  });

  it('keeps apart nodes whose hashes collide', () => {
    // 'k5pwu' and 'kg5fa' have the same 32-bit hash, so ['k5pwu'] and ['kg5fa'] share a table slot
    const interner = new Interner();
    interner.record({ id: '0', s: ['k5pwu', 'kg5fa'] });
    const first = interner.record({ id: '1', a: ['k5pwu'], b: ['kg5fa'] });
    const again = interner.record({ id: '2', a: ['kg5fa'], b: ['k5pwu'], c: ['k5pwu'] });
    expect(again.a).toBe(first.b);
    expect(again.b).toBe(first.a);
    expect(again.c).toBe(first.a);
    expect(again).toEqual({ id: '2', a: ['kg5fa'], b: ['k5pwu'], c: ['k5pwu'] });
    expect(interner.size()).toBe(2);
  });

  it('keeps no table entry for parts made of strings no earlier record held, and shares them within their record', () => {
    const interner = new Interner();
    // each item's own image and digests (twice: digests and approvedDigests), and a workflow they all share
    const rs = Array.from({ length: 200 }, (_, n) =>
      interner.record({ id: `i${n}`, images: [`img-${n}`], digests: [`sha-${n}`], signoff: { status: 'Approved', approvedDigests: [`sha-${n}`] }, workflow: { steps: ['a', 'b'] } }),
    );
    // the workflow's steps are kept from the second record on (their strings were new in the
    // first), the workflow holding them from the third; nothing else is
    expect(interner.size()).toBe(2);
    expect(rs[199]!.workflow).toBe(rs[2]!.workflow);
    expect(rs[1]!.workflow.steps).toBe(rs[2]!.workflow.steps);
    expect(rs[0]!.workflow.steps).not.toBe(rs[1]!.workflow.steps);
    // within one record, equal parts are shared all the same (an item's digests and approved digests)
    for (const r of [rs[0]!, rs[150]!]) expect(r.signoff.approvedDigests).toBe(r.digests);
    expect(rs[150]!.digests).not.toBe(rs[149]!.digests);
    expect(rs[7]).toEqual({ id: 'i7', images: ['img-7'], digests: ['sha-7'], signoff: { status: 'Approved', approvedDigests: ['sha-7'] }, workflow: { steps: ['a', 'b'] } });
  });

  it('keeps sharing after its bitmap of seen strings grows (tens of thousands of new strings)', () => {
    const interner = new Interner();
    const rs = Array.from({ length: 20_000 }, (_, n) => interner.record({ id: `i${n}`, images: [`img-${n}`, `other-${n}`], workflow: { steps: ['a', 'b'] } }));
    // the growths made 'a' and 'b' new once more (a copy or two), then sharing resumed
    expect(rs[19_999]!.workflow).toBe(rs[19_998]!.workflow);
    expect(rs[19_999]!.workflow).toEqual({ steps: ['a', 'b'] });
    // a string is taken for seen by mistake at most an eighth of the time (the bitmap grows at an
    // eighth full), so an images array is kept by mistake for at most ~1/64 of the records (~310),
    // not for all of them (40k entries without the bitmap)
    expect(interner.size()).toBeLessThan(500);
  });

  it('refuses invalid initial data naming the field', () => {
    expect(() => createMemoryStore({ initial: { items: [{ ...testItem(1), digests: 'x' as unknown as string[] }] } })).toThrow(/items\[0\].*digests/);
  });
});

describeStoreConformance('memory', () => createMemoryStore());

describe('nestedTransactionGuard', () => {
  it('is on from Node 24 (AsyncContextFrame), off before it, and follows SIGNOFF_STORE_GUARD either way', () => {
    expect(nestedTransactionGuard('24.11.0', {}, [])).toBe(true);
    expect(nestedTransactionGuard('25.0.0', {}, [])).toBe(true);
    expect(nestedTransactionGuard('24.11.0', {}, ['--no-async-context-frame'])).toBe(false);
    expect(nestedTransactionGuard('20.20.2', {}, [])).toBe(false);
    expect(nestedTransactionGuard('22.12.0', {}, [])).toBe(false);
    expect(nestedTransactionGuard('20.20.2', { SIGNOFF_STORE_GUARD: '1' }, [])).toBe(true);
    expect(nestedTransactionGuard('24.11.0', { SIGNOFF_STORE_GUARD: '0' }, [])).toBe(false);
  });

  it('is on in this test run (the suites set SIGNOFF_STORE_GUARD=1), so the conformance suite checks it on every runtime', () => {
    expect(process.env.SIGNOFF_STORE_GUARD).toBe('1');
    expect(nestedTransactionGuard()).toBe(true);
  });
});

describe('StoreState.load', () => {
  it('shares the equal parts of the items it loads from a file, as committed items do', () => {
    const items = JSON.parse(JSON.stringify([1, 2, 3, 4, 5, 6].map((n) => testItem(n)))) as ReturnType<typeof testItem>[];
    const state = new StoreState();
    state.load({ collections: { items }, audit: [] });
    const loaded = [...state.table('items').values()] as ReturnType<typeof testItem>[];
    const [b, c] = loaded.slice(-2);
    // A node is shared once its parts have been seen before: one nesting level per item.
    expect(b!.workflow).toBe(c!.workflow);
    expect(loaded[0]!.workflow).not.toBe(c!.workflow);
    expect(b!.workflow).toEqual(testItem(2).workflow);
    expect(Object.isFrozen(c!.workflow.steps[0])).toBe(true);
  });
});
