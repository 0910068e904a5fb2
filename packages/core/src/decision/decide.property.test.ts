import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide, type DecideContext } from './decide.js';
import type { DecisionRequest, Outcome } from './schema.js';
import type { Item } from '../schemas/item.js';
import { SignoffStatus } from '../signoff/schema.js';
import { artifactKey } from '../refs/artifact.js';
import { makeInfra, makeItem, signoff, T } from './__fixtures__/world.js';

const HEXES = ['1', '2', '3', '4', '5', '6'].map((c) => c.repeat(64));
const KEYS = [...HEXES.map((h) => `sha256:${h}`), 'uri:s3://models/a', 'uri:gs://models/b'];
/** Deployable strings: pinned images, bare digests, storage URIs, unpinned images, garbage. */
const ARTIFACTS = [
  ...HEXES.map((h, i) => `registry.example.com/app${i % 3}@sha256:${h}`),
  `sha256:${HEXES[0]}`,
  's3://models/a',
  'gs://models/b',
  'https://models.example.com/c.onnx',
  'nginx:1.25',
  'registry.example.com/app0:latest',
  'NOT AN IMAGE',
];

const infraArb = fc.record({
  policy: fc.constantFrom<'prevent' | 'warn' | 'always'>('prevent', 'warn', 'always'),
  requireConfirmation: fc.boolean(),
  unmatched: fc.option(fc.constantFrom<'deny' | 'warn' | 'allow'>('deny', 'warn', 'allow'), { nil: undefined }),
});

const signoffArb = fc
  .record({ status: fc.constantFrom(...SignoffStatus.options), approved: fc.subarray(KEYS), recorded: fc.boolean() })
  .map(({ status, approved, recorded }) => signoff(status, status === 'Approved' && recorded ? approved : undefined));

const itemArb: fc.Arbitrary<Item> = fc
  .record({
    images: fc.subarray(ARTIFACTS.slice(0, 6)),
    storage: fc.subarray(['s3://models/a', 'gs://models/b']),
    signoffs: fc.array(signoffArb, { maxLength: 2 }),
  })
  .map(({ images, storage, signoffs }) =>
    makeItem({ id: 'itm_p', name: 'p', version: '1', images, storage: storage.map((uri) => ({ uri })), signoffs: Object.fromEntries(signoffs.map((s, i) => [`step${i}`, s])) }),
  );

const requestArb: fc.Arbitrary<DecisionRequest> = fc.record({
  artifacts: fc.array(fc.constantFrom(...ARTIFACTS), { maxLength: 6 }),
  confirmation: fc.option(fc.record({ reason: fc.constantFrom('hotfix', 'demo for the board') }), { nil: undefined }),
  dryRun: fc.boolean(),
}).map((r) => (r.confirmation ? r : { artifacts: r.artifacts, dryRun: r.dryRun }));

const ctxArb: fc.Arbitrary<DecideContext> = fc.record({ unknown: fc.boolean() }).map(({ unknown }) => ({
  now: T,
  itemRef: 'shop/p@1',
  reviewUrl: 'https://signoff.example.com/items/itm_p',
  approvers: ['Fiona Final'],
  ...(unknown ? { unknownItemRef: 'shop/nope@1' } : {}),
}));

const RANK: Record<Outcome, number> = { deny: 0, warn: 1, allow: 2 };

function everyCountedApproved(item: Item): boolean {
  const all = Object.values(item.signoffs);
  return all.length > 0 && all.every((s) => s.status === 'Approved');
}
function coveredByAll(item: Item, key: string | undefined): boolean {
  return key !== undefined && Object.values(item.signoffs).every((s) => (s.approvedDigests ?? []).includes(key));
}

describe('decide: properties', () => {
  it('never denies under always, unless the infrastructure itself refuses unmatched artifacts', () => {
    fc.assert(
      fc.property(infraArb, fc.option(itemArb, { nil: undefined }), requestArb, ctxArb, (i, item, req, ctx) => {
        const infra = makeInfra('dev', 'always', { requireConfirmation: i.requireConfirmation, ...(i.unmatched ? { unmatched: i.unmatched } : {}) });
        const d = decide(infra, item, req, ctx);
        const unmatchedRefuses = i.unmatched === 'deny' || (i.unmatched === 'warn' && i.requireConfirmation && !req.confirmation);
        if (item || !unmatchedRefuses) expect(d.outcome).not.toBe('deny');
      }),
    );
  });

  it('allows under prevent only when an Approved item covers every artifact, or when there is nothing to run', () => {
    fc.assert(
      fc.property(infraArb, fc.option(itemArb, { nil: undefined }), requestArb, ctxArb, (i, item, req, ctx) => {
        const infra = makeInfra('production', 'prevent', { requireConfirmation: i.requireConfirmation });
        const d = decide(infra, item, req, ctx);
        if (d.outcome !== 'allow') return;
        if (item) {
          expect(everyCountedApproved(item)).toBe(true);
          for (const a of req.artifacts) expect(coveredByAll(item, artifactKey(a))).toBe(true);
          expect(d.approved).toBe(true);
        } else {
          expect(req.artifacts).toEqual([]);
          expect(ctx.unknownItemRef).toBeUndefined();
        }
      }),
    );
  });

  it('adding an artifact the approval does not cover never makes the outcome better', () => {
    const uncovered = fc.constantFrom('nginx:1.25', 'registry.example.com/zzz@sha256:' + '9'.repeat(64), 's3://models/never-approved', 'NOT AN IMAGE');
    fc.assert(
      fc.property(infraArb, fc.option(itemArb, { nil: undefined }), requestArb, ctxArb, uncovered, fc.nat(), (i, item, req, ctx, extra, at) => {
        const infra = makeInfra('x', 'prevent', { requireConfirmation: i.requireConfirmation, ...(i.unmatched ? { unmatched: i.unmatched } : {}) });
        for (const policy of ['prevent', 'warn', 'always'] as const) {
          const inf = { ...infra, policy };
          const before = decide(inf, item, req, ctx);
          const artifacts = [...req.artifacts];
          artifacts.splice(at % (artifacts.length + 1), 0, extra);
          const after = decide(inf, item, { ...req, artifacts }, ctx);
          expect(RANK[after.outcome]).toBeLessThanOrEqual(RANK[before.outcome]);
          if (before.outcome === 'deny') expect(after.outcome).toBe('deny');
          expect(after.approved).toBe(false);
        }
      }),
    );
  });

  it('is deterministic and does not touch its inputs', () => {
    fc.assert(
      fc.property(infraArb, fc.option(itemArb, { nil: undefined }), requestArb, ctxArb, (i, item, req, ctx) => {
        const infra = makeInfra('x', i.policy, { requireConfirmation: i.requireConfirmation, ...(i.unmatched ? { unmatched: i.unmatched } : {}) });
        const frozen = JSON.stringify([infra, item, req, ctx]);
        const a = decide(infra, item, req, ctx);
        const b = decide(structuredClone(infra), item && structuredClone(item), structuredClone(req), structuredClone(ctx));
        expect(b).toEqual(a);
        expect(JSON.stringify([infra, item, req, ctx])).toBe(frozen);
      }),
    );
  });

  it('always explains itself in short sentences and lists every artifact', () => {
    fc.assert(
      fc.property(infraArb, fc.option(itemArb, { nil: undefined }), requestArb, ctxArb, (i, item, req, ctx) => {
        const infra = makeInfra('x', i.policy, { requireConfirmation: i.requireConfirmation, ...(i.unmatched ? { unmatched: i.unmatched } : {}) });
        const d = decide(infra, item, req, ctx);
        expect(d.reasons.length).toBeGreaterThan(0);
        for (const r of d.reasons) expect(r.length).toBeLessThanOrEqual(200);
        expect(d.artifacts.map((a) => a.artifact)).toEqual(req.artifacts);
        expect(d.approved).toBe(d.artifacts.every((a) => a.covered) && item !== undefined && everyCountedApproved(item));
      }),
    );
  });
});
