import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedCache, MAX_CHAIN, sampleHash } from './bounded-cache.js';

describe('BoundedCache keyed by a sample hash', () => {
  it('answers by the full key when keys share their sample hash', () => {
    // 40 characters: the samples are the last 8 and positions 0, 4, 8, … 28; position 1 is not sampled.
    const key = (c: string) => `a${c}${'x'.repeat(30)}sha256:0`;
    expect(sampleHash(key('b'))).toBe(sampleHash(key('c')));
    const cache = new BoundedCache<string>(1000);
    const letters = 'bcdefghijklmnop'.split('');
    for (const c of letters) cache.set(key(c), c);
    // A chain keeps at most MAX_CHAIN keys; the others are not remembered (never answered wrongly).
    letters.forEach((c, i) => expect(cache.get(key(c))).toBe(i < MAX_CHAIN ? c : undefined));
    expect(cache.size).toBe(MAX_CHAIN);
    cache.set(key('b'), 'B');
    expect(cache.get(key('b'))).toBe('B');
    expect(cache.size).toBe(MAX_CHAIN);
  });

  it('behaves as a map within its bound', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 40 }), fc.integer()), { maxLength: 60 }), (writes) => {
        const cache = new BoundedCache<number>(1000);
        const model = new Map<string, number>();
        for (const [k, v] of writes) {
          cache.set(k, v);
          model.set(k, v);
        }
        for (const [k, v] of model) expect(cache.get(k)).toBe(v);
        expect(cache.get('\u0000not written')).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every key within its bound, across generations', () => {
    const cache = new BoundedCache<number>(20_000);
    const key = (i: number) => `registry.example.com/team${i % 7}/app:1.${i}.0`;
    for (let i = 0; i < 9_000; i++) cache.set(key(i), i);
    for (let i = 0; i < 9_000; i++) expect(cache.get(key(i))).toBe(i);
    // 9,000 more: the young table turns old once (at 10,000); every key is still held.
    for (let i = 9_000; i < 18_000; i++) cache.set(key(i), i);
    expect(cache.size).toBe(18_000);
    expect(cache.get(key(17_999))).toBe(17_999);
    expect(cache.get(key(0))).toBe(0);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get(key(1))).toBeUndefined();
  });

  it('spreads image references over distinct hashes', () => {
    const refs = Array.from({ length: 5000 }, (_, i) => `registry.example.com/team${i % 7}/app:1.${i}.0`);
    expect(new Set(refs.map(sampleHash)).size).toBeGreaterThan(4990);
    // One digest under many tags: the tag sits just before the 72 characters of @sha256:<hex>.
    const digest = `@sha256:${'e'.repeat(64)}`;
    const itemRefs = Array.from({ length: 5000 }, (_, i) => `proj${i % 10}/bundle${i}@1.0.0`);
    expect(new Set(itemRefs.map(sampleHash)).size).toBeGreaterThan(4990);
    const tagged = Array.from({ length: 5000 }, (_, i) => `registry.example.com/team/app:run${10000 + i}${digest}`);
    expect(new Set(tagged.map(sampleHash)).size).toBeGreaterThan(4990);
  });
});
