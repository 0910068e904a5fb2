import { describe, expect, it } from 'vitest';
import { matchItem, matchItemSync, type MatchLookups, type SyncMatchLookups } from './match.js';
import type { Item } from '../schemas/item.js';
import { indexes, makeItem, signoff } from './__fixtures__/world.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const img = (repo: string, c: string) => `registry.example.com/${repo}@${d(c)}`;

const approvedA = makeItem({ id: 'itm_a', name: 'web', version: '1', images: [img('web', 'a'), img('side', 'b')], signoffs: { review: signoff('Approved', [d('a'), d('b')]) } });
const draftA = makeItem({ id: 'itm_0', name: 'web', version: '1-draft', images: [img('web', 'a'), img('side', 'b')], signoffs: { review: signoff('Waiting for feedback') } });
const big = makeItem({ id: 'itm_big', name: 'web', version: '2', images: [img('web', 'a'), img('side', 'b'), img('db', 'c')], signoffs: { review: signoff('Rejected') } });
const model = makeItem({ id: 'itm_m', kind: 'modelVersion', projectId: 'prj_fraud', name: 'fraud-model', version: '3', storage: [{ uri: 's3://models/fraud/v3' }] });
const ALL = [approvedA, draftA, big, model];
const KEYS = { prj_shop: 'shop', prj_fraud: 'fraud' };

/** Counts every lookup, to show the match reads through indexes only and as little as it can. */
function counted(items: readonly Item[], async: true): { lookups: MatchLookups; calls: string[] };
function counted(items: readonly Item[], async: false): { lookups: SyncMatchLookups; calls: string[] };
function counted(items: readonly Item[], async: boolean): { lookups: MatchLookups; calls: string[] } {
  const idx = indexes(items, KEYS);
  const calls: string[] = [];
  const wrap = <T>(v: T) => (async ? Promise.resolve(v) : v);
  const lookups = {
    itemById: (id: string) => (calls.push(`id:${id}`), wrap(idx.itemById(id))),
    itemByRef: (p: string, n: string, v: string) => (calls.push(`ref:${p}/${n}@${v}`), wrap(idx.itemByRef(p, n, v))),
    itemsByDigest: (k: string) => (calls.push(`digest:${k.slice(0, 10)}`), wrap(idx.itemsByDigest(k))),
  };
  return { lookups, calls };
}

describe('matchItem', () => {
  it.each([false, true])('lets the reference win when it resolves (async lookups: %s)', async (async) => {
    const { lookups, calls } = async ? counted(ALL, true) : counted(ALL, false);
    expect(await matchItem({ item: 'shop/web@2', artifacts: [img('web', 'a')] }, lookups)).toEqual({ item: big });
    expect(calls).toEqual(['ref:shop/web@2']);
    expect(await matchItem({ item: 'itm_m', artifacts: [] }, lookups)).toEqual({ item: model });
    expect(calls.at(-1)).toBe('id:itm_m');
  });

  it('falls back to digests and reports a reference that names nothing', async () => {
    const { lookups } = counted(ALL, true);
    expect(await matchItem({ item: 'shop/web@9', artifacts: [img('web', 'a'), img('side', 'b'), img('db', 'c')] }, lookups)).toEqual({ item: big, unknownItemRef: 'shop/web@9' });
    expect(await matchItem({ item: 'platform/node-agent@1', artifacts: [img('agent', 'e')] }, lookups)).toEqual({ unknownItemRef: 'platform/node-agent@1' });
    expect(await matchItem({ item: 'not a ref!', artifacts: [] }, lookups)).toEqual({ unknownItemRef: 'not a ref!' });
  });

  it('picks the item covering the most deployed keys, an approved one on a tie, then the lowest id', () => {
    const { lookups, calls } = counted(ALL, false);
    // Three keys deployed: only `big` has all three.
    expect(matchItemSync({ artifacts: [img('web', 'a'), img('side', 'b'), img('db', 'c')] }, lookups).item).toBe(big);
    // Two keys: approvedA, draftA and big all have both; the approved one wins.
    expect(matchItemSync({ artifacts: [img('web', 'a'), img('side', 'b')] }, lookups).item).toBe(approvedA);
    // Each distinct key is looked up once, unpinned images not at all.
    calls.length = 0;
    matchItemSync({ artifacts: [img('web', 'a'), img('web', 'a'), 'nginx:1.25', 's3://models/fraud/v3/'] }, lookups);
    expect(calls).toEqual([`digest:${d('a').slice(0, 10)}`, 'digest:uri:s3://m']);
    const tie = matchItemSync({ artifacts: [img('web', 'a')] }, counted([big, draftA], false).lookups).item;
    expect(tie).toBe(draftA);
  });

  it('matches a storage URI however it is spelled', () => {
    expect(matchItemSync({ artifacts: ['S3://models/fraud/v3/'] }, counted(ALL, false).lookups).item).toBe(model);
  });

  it('finds nothing when nothing is governed', () => {
    expect(matchItemSync({ artifacts: ['nginx:1.25', img('x', 'f')] }, counted(ALL, false).lookups)).toEqual({});
    expect(matchItemSync({ artifacts: [] }, counted(ALL, false).lookups)).toEqual({});
  });

  it('works over a store: get("items", id) stands in for itemById', async () => {
    const idx = indexes(ALL, KEYS);
    const store = {
      get: (collection: string, id: string) => Promise.resolve(collection === 'items' ? idx.itemById(id) : undefined),
      itemByRef: (p: string, n: string, v: string) => Promise.resolve(idx.itemByRef(p, n, v)),
      itemsByDigest: (k: string) => Promise.resolve([...idx.itemsByDigest(k)]),
    };
    expect(await matchItem({ item: 'itm_a', artifacts: [] }, store as never)).toEqual({ item: approvedA });
    expect(await matchItem({ artifacts: [img('db', 'c')] }, store as never)).toEqual({ item: big });
  });
});
