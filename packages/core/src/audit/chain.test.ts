import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GENESIS_HASH, canonicalJson, chainEvent, hashEvent, verifyChain } from './chain.js';
import { AuditEvent, type AuditEventInput } from './schema.js';

function input(i: number, change: unknown = { n: i }): AuditEventInput {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    actor: `usr_${i % 3}`,
    actorKind: 'user',
    action: 'item.update',
    subject: `items/itm_${i % 4}`,
    change,
  };
}

function chain(inputs: AuditEventInput[]): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const x of inputs) out.push(chainEvent(x, out[out.length - 1]));
  return out;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it('is independent of key order and equal to the canonical form of its JSON round trip', () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 3 }), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(o));
        expect(canonicalJson(JSON.parse(JSON.stringify(o)))).toBe(canonicalJson(o));
      }),
    );
  });
});

describe('hash chain', () => {
  it('starts at seq 1 with the genesis prevHash and links each event to the previous one', () => {
    const events = chain([input(1), input(2), input(3)]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    expect(events[2]!.prevHash).toBe(events[1]!.hash);
    for (const e of events) {
      expect(e.hash).toMatch(/^[a-f0-9]{64}$/);
      expect(AuditEvent.parse(e)).toEqual(e);
    }
    expect(verifyChain(events)).toEqual({ ok: true, count: 3, headHash: events[2]!.hash });
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  it('hashes prevHash + canonical event, independent of key order', () => {
    const [e] = chain([input(1, { b: 2, a: 1 })]);
    const shuffled = { hash: e!.hash, change: { a: 1, b: 2 }, subject: e!.subject, prevHash: e!.prevHash, seq: e!.seq, at: e!.at, actor: e!.actor, actorKind: e!.actorKind, action: e!.action };
    expect(hashEvent(shuffled)).toBe(e!.hash);
    expect(verifyChain(JSON.parse(JSON.stringify([shuffled])) as AuditEvent[]).ok).toBe(true);
  });

  it('property: the hash chainEvent computes is hashEvent of the event it returns, whatever the change holds', () => {
    const change = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.object({ maxDepth: 3 }),
      fc.dictionary(fc.constantFrom('10', '9', 'a', 'B', '__proto__', 'é', ''), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined))),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(change, fc.constant(undefined)), { minLength: 1, maxLength: 6 }), fc.string({ maxLength: 20 }), (changes, subject) => {
        const events: AuditEvent[] = [];
        for (const [i, c] of changes.entries()) events.push(chainEvent({ ...input(i + 1), change: c, subject }, events[events.length - 1]));
        for (const e of events) expect(hashEvent(e)).toBe(e.hash);
        expect(verifyChain(events).ok).toBe(true);
        expect(verifyChain(JSON.parse(JSON.stringify(events)) as AuditEvent[]).ok).toBe(true);
        // The stored change is the JSON form of the input's.
        for (const [i, e] of events.entries()) expect(canonicalJson(e.change)).toBe(canonicalJson(changes[i] === undefined ? null : JSON.parse(JSON.stringify(changes[i]) ?? 'null')));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a change that JSON keeps exactly as it is, and the JSON form of any other', () => {
    const exact = { record: { id: 'dep_1', artifacts: ['a', 'b'], n: 1.5, ok: true, none: null }, reasons: ['x'] };
    const [e] = chain([input(1, exact)]);
    expect(e!.change).toBe(exact);
    for (const lossy of [{ a: undefined }, { at: new Date(0) }, { n: -0 }, { n: Number.NaN }, [1, undefined], { m: new Map([[1, 2]]) }, { f: () => 1 }]) {
      const [l] = chain([input(1, lossy)]);
      expect(l!.change).not.toBe(lossy);
      expect(l!.change).toStrictEqual(JSON.parse(JSON.stringify(lossy)));
      expect(hashEvent(l!)).toBe(l!.hash);
    }
  });

  it('survives a JSON round trip (undefined members are normalised away)', () => {
    const events = chain([input(1, { a: undefined, b: [1, undefined] }), input(2, undefined)]);
    expect(verifyChain(JSON.parse(JSON.stringify(events)) as AuditEvent[]).ok).toBe(true);
  });

  it('names a removed event', () => {
    const events = chain([1, 2, 3, 4, 5].map((i) => input(i)));
    const v = verifyChain([events[0]!, events[1]!, events[3]!, events[4]!]);
    expect(v).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(v.problem).toMatch(/missing/);
  });

  it('names reordered events', () => {
    const events = chain([1, 2, 3, 4, 5].map((i) => input(i)));
    const v = verifyChain([events[0]!, events[2]!, events[1]!, events[3]!, events[4]!]);
    expect(v).toMatchObject({ ok: false, firstBadSeq: 2 });
    expect(v.problem).toMatch(/out of order/);
  });

  it('detects events removed from the end when the expected head is known', () => {
    const events = chain([1, 2, 3, 4].map((i) => input(i)));
    expect(verifyChain(events.slice(0, 2), { count: 4 })).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(verifyChain(events, { count: 4, headHash: events[3]!.hash }).ok).toBe(true);
  });

  it('property: tampering with any field of any event is detected at that event', () => {
    const fields = ['seq', 'at', 'actor', 'actorKind', 'action', 'subject', 'change', 'prevHash', 'hash'] as const;
    fc.assert(
      fc.property(
        fc.array(jsonValue, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.constantFrom(...fields),
        jsonValue,
        fc.string({ minLength: 1, maxLength: 10 }),
        (changes, pick, field, newChange, newText) => {
          const events = chain(changes.map((c, i) => input(i + 1, c)));
          const k = pick % events.length;
          const original = events[k]!;
          const tampered: AuditEvent = { ...original };
          switch (field) {
            case 'seq':
              tampered.seq = original.seq + 1 + (pick % 5);
              break;
            case 'at':
              tampered.at = new Date(Date.parse(original.at) + 1000 + (pick % 1000)).toISOString();
              break;
            case 'actorKind':
              tampered.actorKind = original.actorKind === 'user' ? 'system' : 'user';
              break;
            case 'change':
              tampered.change = canonicalJson(newChange) === canonicalJson(original.change) ? { tampered: newChange } : newChange;
              break;
            case 'prevHash':
            case 'hash':
              tampered[field] = original[field].slice(0, -1) + (original[field].endsWith('0') ? '1' : '0');
              break;
            case 'action':
            case 'actor':
            case 'subject':
              tampered[field] = original[field] === newText ? `${newText}x` : newText;
          }
          const list = events.slice();
          list[k] = tampered;
          // through JSON, as an attacker would edit the file
          const v = verifyChain(JSON.parse(JSON.stringify(list)) as AuditEvent[]);
          expect(v.ok).toBe(false);
          expect(v.firstBadSeq).toBe(k + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: removing or swapping events is detected at the first affected seq', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 20 }), fc.nat(), fc.boolean(), (n, pick, swap) => {
        const events = chain(Array.from({ length: n }, (_, i) => input(i + 1)));
        const k = pick % (n - 1); // never the last (removing the last needs an expected head)
        const list = events.slice();
        if (swap) [list[k], list[k + 1]] = [list[k + 1]!, list[k]!];
        else list.splice(k, 1);
        const v = verifyChain(list);
        expect(v.ok).toBe(false);
        expect(v.firstBadSeq).toBe(k + 1);
      }),
      { numRuns: 200 },
    );
  });

  it('property: recomputing the tampered event hash still breaks the chain at the next event', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 }), fc.nat(), (n, pick) => {
        const events = chain(Array.from({ length: n }, (_, i) => input(i + 1)));
        const k = pick % (n - 1);
        const forged = { ...events[k]!, actor: 'mallory' };
        forged.hash = hashEvent(forged);
        const list = events.slice();
        list[k] = forged;
        const v = verifyChain(list);
        expect(v).toMatchObject({ ok: false, firstBadSeq: k + 2 });
      }),
      { numRuns: 100 },
    );
  });
});
