/*
 * Property tests: random action sequences from random actors.
 * - every sign-off reached parses with the zod schema, and failures are error values, never throws;
 * - Approved only with a final approval "Approved" by an allowed approver (a final approver or a
 *   delegate for the final approval), never by the creator under separation of duties, with
 *   every quorum met and the digests of the moment bound;
 * - abandon then cancel abandon restores the sign-off exactly (but the bookkeeping fields).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../schemas/principal.js';
import { matchesAssignee } from '../principal/assignees.js';
import { ErrorCode } from '../result.js';
import type { Assignee } from '../schemas/principal.js';
import type { SignoffAction, TransitionContext } from './actions.js';
import { Signoff } from './schema.js';
import { ABANDON_BOOKKEEPING, transition } from './transition.js';
import { digestSet, quorumStatus } from './summary.js';
import { STANDARD_FEEDBACK_GROUPS, newSignoff } from '../workflow/templates.js';
import { REVIEWERS, T0, apiKey, deepFreeze, system, user } from './__fixtures__/signoff-fixtures.js';

const PEOPLE: Principal[] = [
  user('olivia'), // owner
  user('adam', [], ['admin']), // admin (ctx flag)
  user('ivan', ['ops']),
  user('rita'),
  user('bob'),
  user('dan'),
  user('fiona', [], ['approver']),
  user('erin'),
  user('carl'), // the creator, also a final approver
  user('zoe'),
  user('sam'),
  apiKey('key_ci'),
  system,
];
const byId = new Map(PEOPLE.map((p) => [`${p.kind}:${p.id}`, p]));
const USER_IDS = PEOPLE.filter((p) => p.kind === 'user').map((p) => p.id);
const GROUP_IDS = ['it-operations', 'risk-compliance', 'business', 'legal'];
const REVIEW_IDS = ['r1', 'r2', 'r3', 'r4', 'r5'];
const DIGEST_SETS = [
  ['sha256:' + 'a'.repeat(64)],
  ['sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64)],
  ['uri:s3://models/fraud/v3'],
  [],
];

const comment = fc.constantFrom('', 'looks good', 'x'.repeat(300));
const feedbackStatus = fc.constantFrom('Approved' as const, 'Minor issues' as const, 'Major issues' as const);
const finalStatus = fc.constantFrom('Approved' as const, 'Rejected' as const);

const action: fc.Arbitrary<SignoffAction> = fc.oneof(
  fc.record({ type: fc.constant('requestFeedback' as const), notify: fc.constant<Assignee[]>([]) }),
  fc.record({ type: fc.constant('submitFeedback' as const), reviewId: fc.constantFrom(...REVIEW_IDS), groupId: fc.constantFrom(...GROUP_IDS), status: feedbackStatus, comment }),
  fc.record({ type: fc.constant('submitFeedback' as const), reviewId: fc.constantFrom(...REVIEW_IDS), groupId: fc.constantFrom(...GROUP_IDS), status: fc.constant('Approved' as const), comment }),
  fc.record({ type: fc.constant('editFeedback' as const), reviewId: fc.constantFrom(...REVIEW_IDS), status: fc.option(feedbackStatus, { nil: undefined }), comment: fc.option(comment, { nil: undefined }) }),
  fc.record({ type: fc.constant('deleteFeedback' as const), reviewId: fc.constantFrom(...REVIEW_IDS) }),
  fc.record({ type: fc.constant('delegate' as const), delegationId: fc.constantFrom('d1', 'd2', 'd3', 'd4'), scope: fc.constantFrom(...GROUP_IDS, 'final'), to: fc.constantFrom(...USER_IDS), comment }),
  fc.record({ type: fc.constant('requestFinalApproval' as const), notify: fc.constant<Assignee[]>([]) }),
  fc.record({ type: fc.constant('backToFeedback' as const) }),
  fc.record({ type: fc.constant('finalApproval' as const), status: finalStatus, comment }),
  fc.record({ type: fc.constant('editFinalApproval' as const), status: fc.option(finalStatus, { nil: undefined }), comment: fc.option(comment, { nil: undefined }) }),
  fc.record({ type: fc.constant('abandon' as const), comment }),
  fc.record({ type: fc.constant('cancelAbandon' as const) }),
  fc.record({ type: fc.constant('reset' as const), comment }),
  fc.record({ type: fc.constant('scheduleReset' as const), every: fc.constantFrom('P30D', 'P1M', 'bogus') }),
  fc.record({ type: fc.constant('cancelScheduledReset' as const) }),
  fc.record({ type: fc.constant('expire' as const) }),
);

/** Actors are drawn with a bias toward those who can usually act, so sequences get somewhere. */
const actor = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PEOPLE) },
  { weight: 2, arbitrary: fc.constantFrom(PEOPLE[0] as Principal, PEOPLE[6] as Principal, PEOPLE[2] as Principal, PEOPLE[3] as Principal) },
);

const P = (id: string) => PEOPLE.find((p) => p.id === id) as Principal;
/** Steps that move a sign-off forward, so that random sequences reach the final states often. */
const forward: fc.Arbitrary<{ actor: Principal; action: SignoffAction }> = fc.oneof(
  fc.constant<{ actor: Principal; action: SignoffAction }>({ actor: P('olivia'), action: { type: 'requestFeedback', notify: [] } }),
  fc.constant<{ actor: Principal; action: SignoffAction }>({ actor: P('olivia'), action: { type: 'requestFinalApproval', notify: [] } }),
  fc.record({
    actor: fc.constantFrom(P('rita'), P('dan'), P('zoe')),
    action: fc.record({ type: fc.constant('submitFeedback' as const), reviewId: fc.constantFrom(...REVIEW_IDS), groupId: fc.constant('risk-compliance'), status: fc.constant('Approved' as const), comment: fc.constant('') }),
  }),
  fc.record({
    actor: fc.constantFrom(P('fiona'), P('erin'), P('carl'), P('key_ci')),
    action: fc.record({ type: fc.constant('finalApproval' as const), status: finalStatus, comment: fc.constant('') }),
  }),
  fc.record({
    actor: fc.constantFrom(P('fiona'), P('rita')),
    action: fc.record({ type: fc.constant('delegate' as const), delegationId: fc.constantFrom('d1', 'd2', 'd3', 'd4'), scope: fc.constantFrom('final', 'risk-compliance'), to: fc.constantFrom('erin', 'dan', 'carl', 'zoe'), comment: fc.constant('') }),
  }),
);
const step = fc.oneof(
  { weight: 2, arbitrary: fc.record({ actor, action, digests: fc.nat({ max: DIGEST_SETS.length - 1 }) }) },
  { weight: 3, arbitrary: fc.tuple(forward, fc.nat({ max: DIGEST_SETS.length - 1 })).map(([f, digests]) => ({ ...f, digests })) },
);
const world = fc.record({
  sod: fc.boolean(),
  quorum: fc.nat({ max: 2 }),
  steps: fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }),
});

function contextOf(p: Principal, i: number, digests: readonly string[], sod: boolean, quorum: number): TransitionContext {
  return {
    actor: p,
    now: new Date(Date.parse(T0) + (i + 1) * 60_000).toISOString(),
    creator: 'carl',
    digests,
    feedbackGroups: STANDARD_FEEDBACK_GROUPS.map((g) => (g.id === 'risk-compliance' ? { ...g, quorum } : g)),
    separationOfDuties: sod,
    reviewers: REVIEWERS,
    actorIsOwner: p.kind === 'user' && p.id === 'olivia',
    actorIsAdmin: p.kind === 'user' && p.id === 'adam',
  };
}

function withoutBookkeeping(so: Signoff): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...so };
  for (const k of [...ABANDON_BOOKKEEPING, 'updatedAt']) delete copy[k];
  return copy;
}

const CODES = new Set<string>(Object.values(ErrorCode));
const stats = { approved: 0, rejected: 0, abandoned: 0, restored: 0, runs: 0 };

describe('sign-off properties over random action sequences', () => {
  it('never an invalid state; Approved only from an allowed approver; abandon/cancel restores exactly', () => {
    fc.assert(
      fc.property(world, ({ sod, quorum, steps }) => {
        stats.runs++;
        let so = deepFreeze(newSignoff(T0));
        let boundDigests: string[] | undefined;
        steps.forEach((s, i) => {
          const ctx = contextOf(s.actor, i, DIGEST_SETS[s.digests] ?? [], sod, quorum);
          const r = transition(so, s.action, ctx);
          if (!r.ok) {
            expect(CODES.has(r.error.code)).toBe(true);
            expect(r.error.message.length).toBeGreaterThan(10);
            return;
          }
          const next = r.value;
          const parsed = Signoff.safeParse(next);
          expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
          expect(next.round).toBeGreaterThanOrEqual(so.round);
          expect(next.updatedAt).toBe(ctx.now);
          if (next.status === 'Approved' && so.status !== 'Approved' && so.status !== 'Abandoned') boundDigests = digestSet(ctx.digests);
          if (next.round > so.round) boundDigests = undefined;

          // the final approval and the status agree
          const fa = next.finalApproval;
          if (next.status === 'Approved' || next.status === 'Rejected') expect(fa?.status).toBe(next.status);
          if (next.status === 'Rejected') expect(next.approvedDigests).toBeUndefined();
          if (fa === undefined) expect(['Approved', 'Rejected']).not.toContain(next.abandonedFrom ?? next.status);

          if (next.status === 'Approved') {
            stats.approved++;
            expect(fa).toBeDefined();
            if (!fa) return;
            expect(fa.status).toBe('Approved');
            const author = byId.get(`${fa.authorKind}:${fa.author}`);
            expect(author).toBeDefined();
            if (!author) return;
            const direct = REVIEWERS.finalApprovers.some((a) => matchesAssignee(author, a));
            const delegated = author.kind === 'user' && next.delegations.some((d) => d.scope === 'final' && d.to === author.id);
            expect(direct || delegated).toBe(true);
            if (sod) expect(fa.author).not.toBe('carl');
            expect(quorumStatus(next, ctx.feedbackGroups).every((q) => q.met)).toBe(true);
            expect(next.approvedDigests).toEqual(boundDigests);
            expect(next.approvedAt).toBeDefined();
          }
          if (next.status === 'Rejected') stats.rejected++;

          // abandon then cancel abandon gives back exactly the sign-off before the abandon
          if (s.action.type === 'abandon') {
            stats.abandoned++;
            const owner = contextOf(PEOPLE[0] as Principal, i + 1, [], sod, quorum);
            const back = transition(next, { type: 'cancelAbandon' }, owner);
            expect(back.ok).toBe(true);
            if (back.ok) {
              expect(withoutBookkeeping(back.value)).toEqual(withoutBookkeeping(so));
              expect(back.value.abandonedFrom).toBeUndefined();
              stats.restored++;
            }
          }
          so = deepFreeze(next);
        });
      }),
      { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20261123) },
    );
    // the sequences really reach the interesting states
    expect(stats.approved).toBeGreaterThan(0);
    expect(stats.rejected).toBeGreaterThan(0);
    expect(stats.restored).toBeGreaterThan(10);
  });

  it('abandon from any reachable state, then cancel abandon, restores every review', () => {
    fc.assert(
      fc.property(world, ({ sod, quorum, steps }) => {
        let so = newSignoff(T0);
        steps.forEach((s, i) => {
          const r = transition(so, s.action, contextOf(s.actor, i, DIGEST_SETS[s.digests] ?? [], sod, quorum));
          if (r.ok) so = r.value;
        });
        if (so.status === 'Abandoned') return;
        const fiona = contextOf(PEOPLE[6] as Principal, steps.length, [], sod, quorum);
        const ab = transition(deepFreeze(so), { type: 'abandon', comment: '' }, fiona);
        expect(ab.ok).toBe(true);
        if (!ab.ok) return;
        expect(ab.value.feedback).toEqual(so.feedback);
        const back = transition(ab.value, { type: 'cancelAbandon' }, { ...fiona, now: new Date(Date.parse(fiona.now) + 1000).toISOString() });
        expect(back.ok).toBe(true);
        if (back.ok) expect(withoutBookkeeping(back.value)).toEqual(withoutBookkeeping(so));
      }),
      { numRuns: 150, seed: Number(process.env.FC_SEED ?? 11) },
    );
  });
});
