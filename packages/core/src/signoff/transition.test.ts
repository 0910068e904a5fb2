import { describe, expect, it } from 'vitest';
import type { SignoffAction, TransitionContext } from './actions.js';
import { Signoff } from './schema.js';
import { transition } from './transition.js';
import { isApproved } from './summary.js';
import { newSignoff } from '../workflow/templates.js';
import { DIGESTS, GROUPS_WITH_QUORUM, NOW, T0, ctxFor, deepFreeze, signoffIn, user, type Role } from './__fixtures__/signoff-fixtures.js';

function run(so: Signoff, steps: [Role, SignoffAction, Partial<TransitionContext>?][]): Signoff {
  let cur = so;
  for (const [role, action, over] of steps) {
    const r = transition(cur, action, ctxFor(role, over));
    if (!r.ok) throw new Error(`${role} ${action.type}: ${r.error.code} ${r.error.message}`);
    expect(Signoff.safeParse(r.value).success).toBe(true);
    cur = r.value;
  }
  return cur;
}

function code(so: Signoff, role: Role, action: SignoffAction, over?: Partial<TransitionContext>): string {
  const r = transition(so, action, ctxFor(role, over));
  return r.ok ? 'ok' : r.error.code;
}

function fail(so: Signoff, role: Role, action: SignoffAction, over?: Partial<TransitionContext>) {
  const r = transition(so, action, ctxFor(role, over));
  if (r.ok) throw new Error(`expected ${action.type} by ${role} to fail`);
  return r.error;
}

const fb = (reviewId: string, groupId: string, status: 'Approved' | 'Minor issues' | 'Major issues' = 'Approved'): SignoffAction => ({
  type: 'submitFeedback',
  reviewId,
  groupId,
  status,
  comment: '',
});

describe('the happy path', () => {
  it('request feedback → feedback → final approval → Approved, bound to the digests', () => {
    const so = run(deepFreeze(newSignoff(T0)), [
      ['owner', { type: 'requestFeedback', notify: [{ kind: 'group', id: 'ops' }, { kind: 'user', id: 'rita' }] }],
      ['assignee', fb('f1', 'it-operations')],
      ['assignee', fb('f2', 'it-operations', 'Minor issues')],
      ['otherGroupAssignee', fb('f3', 'risk-compliance')],
      ['owner', { type: 'requestFinalApproval', notify: [{ kind: 'role', id: 'approver' }] }],
      ['finalApprover', { type: 'finalApproval', status: 'Approved', comment: 'go' }],
    ]);
    expect(so.status).toBe('Approved');
    expect(so.feedback.map((f) => [f.author, f.groupId, f.status])).toEqual([
      ['ivan', 'it-operations', 'Approved'],
      ['ivan', 'it-operations', 'Minor issues'],
      ['rita', 'risk-compliance', 'Approved'],
    ]);
    expect(so.finalApproval).toMatchObject({ author: 'fiona', authorKind: 'user', status: 'Approved', comment: 'go', createdAt: NOW });
    expect(so.approvedDigests).toEqual([...DIGESTS].sort());
    expect(so.approvedAt).toBe(NOW);
    expect(so.feedbackRequestedAt).toBe(NOW);
    expect(so.finalApprovalRequestedAt).toBe(NOW);
    expect(so.notified).toEqual([{ kind: 'group', id: 'ops' }, { kind: 'user', id: 'rita' }, { kind: 'role', id: 'approver' }]);
    expect(isApproved(so, DIGESTS)).toBe(true);
    expect(isApproved(so, [DIGESTS[0] as string])).toBe(false);
  });

  it('feedback is optional: final approval straight from Not started', () => {
    const so = run(newSignoff(T0), [
      ['admin', { type: 'requestFinalApproval', notify: [] }],
      ['finalApprover', { type: 'finalApproval', status: 'Rejected', comment: 'no' }],
    ]);
    expect(so.status).toBe('Rejected');
    expect(so.approvedDigests).toBeUndefined();
    expect(isApproved(so, DIGESTS)).toBe(false);
  });

  it('the input is never mutated and the output is a new object', () => {
    const so = deepFreeze(signoffIn('Waiting for final approval'));
    const copy = structuredClone(so);
    const r = transition(so, { type: 'finalApproval', status: 'Approved', comment: '' }, ctxFor('finalApprover'));
    expect(r.ok).toBe(true);
    expect(so).toEqual(copy);
  });

  it('re-requesting feedback only notifies more reviewers', () => {
    const so = signoffIn('Waiting for feedback');
    const next = run(so, [['owner', { type: 'requestFeedback', notify: [{ kind: 'user', id: 'bob' }, { kind: 'group', id: 'ops' }] }]]);
    expect(next.feedbackRequestedAt).toBe(T0);
    expect(next.notified).toEqual([{ kind: 'group', id: 'ops' }, { kind: 'user', id: 'bob' }]);
    expect(next.feedback).toEqual(so.feedback);
  });

  it('only reviewers (and delegates) can be notified', () => {
    const e = fail(newSignoff(T0), 'owner', { type: 'requestFeedback', notify: [{ kind: 'user', id: 'bob' }, { kind: 'user', id: 'mallory' }] });
    expect(e.code).toBe('VALIDATION');
    expect(e.issues?.[0]?.path).toEqual(['notify', 1]);
    expect(code(signoffIn('Not started'), 'owner', { type: 'requestFeedback', notify: [{ kind: 'user', id: 'dan' }] })).toBe('ok');
  });
});

describe('feedback', () => {
  it('several reviews per reviewer; edit and delete by the author only', () => {
    let so = run(signoffIn('Waiting for feedback'), [
      ['otherGroupAssignee', fb('x1', 'risk-compliance', 'Major issues')],
      ['otherGroupAssignee', fb('x2', 'risk-compliance', 'Approved')],
    ]);
    expect(so.feedback.filter((f) => f.author === 'rita')).toHaveLength(3);
    expect(fail(so, 'assignee', { type: 'editFeedback', reviewId: 'x1', status: 'Approved' }).code).toBe('FORBIDDEN');
    expect(fail(so, 'owner', { type: 'deleteFeedback', reviewId: 'x1' }).code).toBe('FORBIDDEN');
    so = run(so, [['otherGroupAssignee', { type: 'editFeedback', reviewId: 'x1', comment: 'fixed now' }]]);
    const x1 = so.feedback.find((f) => f.id === 'x1');
    expect(x1).toMatchObject({ status: 'Major issues', comment: 'fixed now', createdAt: NOW, updatedAt: NOW });
    so = run(so, [['otherGroupAssignee', { type: 'deleteFeedback', reviewId: 'x1' }]]);
    expect(so.feedback.map((f) => f.id)).toEqual(['r1', 'r2', 'x2']);
  });

  it('an API key with the same id as a user is not that user (author check compares kinds)', () => {
    const so = run(signoffIn('Waiting for feedback'), [['apiKeyAssignee', fb('k1', 'it-operations')]]);
    expect(so.feedback.at(-1)).toMatchObject({ author: 'key_ci', authorKind: 'apiKey' });
    const impostor = { ...ctxFor('assignee'), actor: user('key_ci', ['ops']) };
    const r = transition(so, { type: 'deleteFeedback', reviewId: 'k1' }, impostor);
    expect(r.ok ? 'ok' : r.error.code).toBe('FORBIDDEN');
  });

  it('unknown group → NOT_FOUND; another group → NOT_ASSIGNED; duplicate id → CONFLICT; empty edit → VALIDATION', () => {
    const so = signoffIn('Waiting for feedback');
    const e = fail(so, 'assignee', fb('n1', 'legal'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('it-operations, risk-compliance, business');
    const na = fail(so, 'assignee', fb('n1', 'risk-compliance'));
    expect(na.code).toBe('NOT_ASSIGNED');
    expect(na.message).toContain('Risk & Compliance');
    expect(fail(so, 'assignee', fb('r1', 'it-operations')).code).toBe('CONFLICT');
    expect(fail(so, 'assignee', { type: 'editFeedback', reviewId: 'r1' }).code).toBe('VALIDATION');
    expect(fail(so, 'assignee', { type: 'editFeedback', reviewId: 'zz', status: 'Approved' }).code).toBe('NOT_FOUND');
  });

  it('a delegate reviews on behalf of the delegator', () => {
    const so = run(signoffIn('Waiting for feedback'), [['delegate', fb('dd', 'it-operations')]]);
    expect(so.feedback.at(-1)).toMatchObject({ author: 'dan', onBehalfOf: { kind: 'user', id: 'ivan' } });
    const own = run(signoffIn('Waiting for feedback'), [['assignee', fb('ii', 'it-operations')]]);
    expect(own.feedback.at(-1)?.onBehalfOf).toBeUndefined();
  });

  it('a reviewer removed from the group can delete but not edit their review', () => {
    const so = signoffIn('Waiting for feedback');
    const reviewers = { feedbackGroups: [], finalApprovers: [] };
    expect(code(so, 'assignee', { type: 'editFeedback', reviewId: 'r1', status: 'Major issues' }, { reviewers })).toBe('NOT_ASSIGNED');
    expect(code(so, 'assignee', { type: 'deleteFeedback', reviewId: 'r1' }, { reviewers })).toBe('ok');
  });

  it('feedback is closed once the final approval exists, and before feedback is requested', () => {
    for (const s of ['Approved', 'Rejected', 'Abandoned', 'Not started'] as const) {
      const e = fail(signoffIn(s), 'assignee', fb('late', 'it-operations'));
      expect(e.code).toBe('INVALID_TRANSITION');
    }
    expect(fail(signoffIn('Not started'), 'assignee', fb('early', 'it-operations')).message).toContain('request feedback first');
  });
});

describe('quorum', () => {
  const q = { feedbackGroups: GROUPS_WITH_QUORUM };

  it('final approval cannot be requested until the group has its approvals from distinct authors', () => {
    let so = signoffIn('Waiting for feedback'); // rita: Minor issues
    let e = fail(so, 'owner', { type: 'requestFinalApproval', notify: [] }, q);
    expect(e.code).toBe('QUORUM_NOT_MET');
    expect(e.message).toContain('Risk & Compliance has 0 of the 2 required approvals');
    expect(e.issues).toEqual([{ path: ['feedback', 'risk-compliance'], message: '0 of 2 approvals' }]);
    so = run(so, [
      ['otherGroupAssignee', fb('q1', 'risk-compliance'), q],
      ['otherGroupAssignee', fb('q2', 'risk-compliance'), q],
    ]);
    e = fail(so, 'owner', { type: 'requestFinalApproval', notify: [] }, q);
    expect(e.message).toContain('1 of the 2');
    // a member of another group approving does not count, a Minor issue does not count
    so = run(so, [['assignee', fb('q3', 'it-operations'), q]]);
    expect(code(so, 'owner', { type: 'requestFinalApproval', notify: [] }, q)).toBe('QUORUM_NOT_MET');
    // a second distinct reviewer of the group (here through a delegation)
    so = run(so, [
      ['otherGroupAssignee', { type: 'delegate', delegationId: 'dq', scope: 'risk-compliance', to: 'dan', comment: '' }, q],
      ['delegate', fb('q4', 'risk-compliance'), q],
      ['owner', { type: 'requestFinalApproval', notify: [] }, q],
    ]);
    expect(so.status).toBe('Waiting for final approval');
    // while waiting for the final approval, a change that breaks the quorum is refused
    expect(code(so, 'delegate', { type: 'deleteFeedback', reviewId: 'q4' }, q)).toBe('QUORUM_NOT_MET');
    expect(code(so, 'delegate', { type: 'editFeedback', reviewId: 'q4', status: 'Major issues' }, q)).toBe('QUORUM_NOT_MET');
    expect(code(so, 'otherGroupAssignee', { type: 'deleteFeedback', reviewId: 'q1' }, q)).toBe('ok'); // q2 keeps rita counted
    expect(code(so, 'delegate', { type: 'editFeedback', reviewId: 'q4', comment: 'still fine' }, q)).toBe('ok');
    // after going back to feedback it is allowed again
    const back = run(so, [['finalApprover', { type: 'backToFeedback' }, q], ['delegate', { type: 'deleteFeedback', reviewId: 'q4' }, q]]);
    expect(back.status).toBe('Waiting for feedback');
    expect(back.finalApprovalRequestedAt).toBeUndefined();
  });

  it('requesting the final approval from Not started needs every quorum to be zero', () => {
    expect(code(newSignoff(T0), 'owner', { type: 'requestFinalApproval', notify: [] }, q)).toBe('QUORUM_NOT_MET');
    expect(code(newSignoff(T0), 'owner', { type: 'requestFinalApproval', notify: [] })).toBe('ok');
  });
});

describe('final approval', () => {
  it('one only: a second is a CONFLICT, the author edits it instead and can flip Approved ↔ Rejected', () => {
    let so = run(signoffIn('Waiting for final approval'), [['finalApprover', { type: 'finalApproval', status: 'Rejected', comment: 'tests missing' }]]);
    expect(fail(so, 'finalDelegate', { type: 'finalApproval', status: 'Approved', comment: '' }).code).toBe('CONFLICT');
    expect(fail(so, 'finalDelegate', { type: 'editFinalApproval', status: 'Approved' }).code).toBe('FORBIDDEN');
    const newDigests = ['sha256:' + 'c'.repeat(64)];
    so = run(so, [['finalApprover', { type: 'editFinalApproval', status: 'Approved', comment: 'tests added' }, { digests: newDigests }]]);
    expect(so.status).toBe('Approved');
    expect(so.approvedDigests).toEqual(newDigests);
    expect(so.finalApproval).toMatchObject({ status: 'Approved', comment: 'tests added', createdAt: NOW });
    // a comment-only edit never re-binds other digests
    const later = run(so, [['finalApprover', { type: 'editFinalApproval', comment: 'typo' }, { digests: DIGESTS }]]);
    expect(later.approvedDigests).toEqual(newDigests);
    expect(isApproved(later, DIGESTS)).toBe(false);
    expect(isApproved(later, newDigests)).toBe(true);
    const rejected = run(later, [['finalApprover', { type: 'editFinalApproval', status: 'Rejected' }]]);
    expect(rejected.status).toBe('Rejected');
    expect(rejected.approvedDigests).toBeUndefined();
    expect(rejected.approvedAt).toBeUndefined();
  });

  it('separation of duties: the creator may not approve when it is on, may when it is off', () => {
    const so = signoffIn('Waiting for final approval');
    const e = fail(so, 'creatorSoD', { type: 'finalApproval', status: 'Approved', comment: '' });
    expect(e.code).toBe('SEPARATION_OF_DUTIES');
    expect(e.message).toContain('created this item');
    expect(code(so, 'creatorNoSoD', { type: 'finalApproval', status: 'Approved', comment: '' })).toBe('ok');
    // also when the creator is reached through a delegation
    const withDelegation = run(so, [['finalApprover', { type: 'delegate', delegationId: 'dc', scope: 'final', to: 'carl', comment: '' }]]);
    const asDelegate = { actor: user('carl'), reviewers: { feedbackGroups: [], finalApprovers: [{ kind: 'role' as const, id: 'approver' }] } };
    expect(code(withDelegation, 'creatorSoD', { type: 'finalApproval', status: 'Approved', comment: '' }, asDelegate)).toBe('SEPARATION_OF_DUTIES');
  });

  it('a final delegate approves on behalf of the delegator; API keys can be approvers', () => {
    const so = run(signoffIn('Waiting for final approval'), [['finalDelegate', { type: 'finalApproval', status: 'Approved', comment: '' }]]);
    expect(so.finalApproval).toMatchObject({ author: 'erin', onBehalfOf: { kind: 'user', id: 'fiona' } });
    const k = run(signoffIn('Waiting for final approval'), [['apiKeyAssignee', { type: 'finalApproval', status: 'Approved', comment: '' }]]);
    expect(k.finalApproval).toMatchObject({ author: 'key_ci', authorKind: 'apiKey' });
  });

  it('the approved digest set is sorted and without duplicates', () => {
    const d = ['sha256:' + 'f'.repeat(64), 'sha256:' + 'e'.repeat(64), 'sha256:' + 'f'.repeat(64)];
    const so = run(signoffIn('Waiting for final approval'), [['finalApprover', { type: 'finalApproval', status: 'Approved', comment: '' }, { digests: d }]]);
    expect(so.approvedDigests).toEqual(['sha256:' + 'e'.repeat(64), 'sha256:' + 'f'.repeat(64)]);
  });

  it('backToFeedback after a final approval says to edit it or reset', () => {
    const e = fail(signoffIn('Approved'), 'finalApprover', { type: 'backToFeedback' });
    expect(e.code).toBe('INVALID_TRANSITION');
    expect(e.message).toContain('its author can edit it');
    expect(e.message).toContain('reset');
  });
});

describe('delegation', () => {
  it('records who delegated; refuses self-delegation, duplicates and unknown scopes', () => {
    const so = run(signoffIn('Waiting for feedback'), [['assignee', { type: 'delegate', delegationId: 'dx', scope: 'it-operations', to: 'zoe', comment: 'on leave' }]]);
    expect(so.delegations.at(-1)).toEqual({ id: 'dx', scope: 'it-operations', from: 'ivan', to: 'zoe', at: NOW, comment: 'on leave' });
    expect(fail(so, 'assignee', { type: 'delegate', delegationId: 'dy', scope: 'it-operations', to: 'zoe', comment: '' }).code).toBe('CONFLICT');
    expect(fail(so, 'assignee', { type: 'delegate', delegationId: 'dx', scope: 'it-operations', to: 'yan', comment: '' }).code).toBe('CONFLICT');
    expect(fail(so, 'assignee', { type: 'delegate', delegationId: 'dz', scope: 'it-operations', to: 'ivan', comment: '' }).code).toBe('VALIDATION');
    expect(fail(so, 'owner', { type: 'delegate', delegationId: 'dz', scope: 'legal', to: 'yan', comment: '' }).code).toBe('NOT_FOUND');
    // the new delegate can review, and re-delegate
    expect(code(so, 'stranger', fb('zz', 'it-operations'), { actor: user('zoe') })).toBe('ok');
  });
});

describe('abandon, cancel abandon, reset', () => {
  it('abandon from Approved keeps everything; cancel restores Approved with its final approval', () => {
    const so = signoffIn('Approved');
    const ab = run(so, [['finalApprover', { type: 'abandon', comment: 'superseded' }]]);
    expect(ab).toMatchObject({ status: 'Abandoned', abandonedFrom: 'Approved', abandonedAt: NOW, abandonedBy: 'fiona' });
    expect(isApproved(ab, DIGESTS)).toBe(false);
    const back = run(ab, [['owner', { type: 'cancelAbandon' }]]);
    expect({ ...back, updatedAt: so.updatedAt }).toEqual(so);
    expect(isApproved(back, DIGESTS)).toBe(true);
  });

  it('cancel abandon of an old record without abandonedFrom infers the status', () => {
    const old: Signoff = { ...signoffIn('Waiting for final approval'), status: 'Abandoned' };
    expect(run(old, [['owner', { type: 'cancelAbandon' }]]).status).toBe('Waiting for final approval');
  });

  it('reset clears the round, keeps the schedule, counts the round', () => {
    const so = signoffIn('Rejected');
    const r = run(so, [['owner', { type: 'reset', comment: 'new build' }]]);
    expect(r).toEqual({
      status: 'Not started',
      round: 2,
      feedback: [],
      delegations: [],
      notified: [],
      resetSchedule: so.resetSchedule,
      lastResetAt: NOW,
      updatedAt: NOW,
    });
  });
});

describe('scheduled resets and expiry', () => {
  it('scheduleReset validates and anchors recurrences at now', () => {
    const so = newSignoff(T0);
    expect(fail(so, 'owner', { type: 'scheduleReset' }).code).toBe('VALIDATION');
    const bad = fail(so, 'owner', { type: 'scheduleReset', every: '90 days' });
    expect(bad.issues?.[0]?.path).toEqual(['every']);
    expect(bad.message).toContain('ISO 8601');
    expect(fail(so, 'owner', { type: 'scheduleReset', every: 'P0D' }).code).toBe('VALIDATION');
    expect(fail(so, 'owner', { type: 'scheduleReset', at: T0 }).issues?.[0]?.path).toEqual(['at']);
    const s = run(so, [['owner', { type: 'scheduleReset', at: '2026-06-01T00:00:00.000Z', every: 'P1M' }]]);
    expect(s.resetSchedule).toEqual({ at: '2026-06-01T00:00:00.000Z', every: 'P1M', anchor: NOW, createdBy: 'olivia', createdAt: NOW });
    const c = run(s, [['admin', { type: 'cancelScheduledReset' }]]);
    expect(c.resetSchedule).toBeUndefined();
    expect(fail(c, 'admin', { type: 'cancelScheduledReset' }).code).toBe('INVALID_TRANSITION');
  });

  it('expire is a reset by the system that consumes a one-off time and keeps a recurrence', () => {
    const oneOff: Signoff = { ...signoffIn('Approved'), resetSchedule: { at: T0, createdBy: 'olivia', createdAt: T0 } };
    const e1 = run(oneOff, [['system', { type: 'expire' }]]);
    expect(e1).toMatchObject({ status: 'Not started', round: 2, lastResetAt: NOW });
    expect(e1.resetSchedule).toBeUndefined();
    const both: Signoff = { ...signoffIn('Approved'), resetSchedule: { at: T0, every: 'P7D', anchor: T0, createdBy: 'olivia', createdAt: T0 } };
    expect(run(both, [['system', { type: 'expire' }]]).resetSchedule).toEqual({ every: 'P7D', anchor: T0, createdBy: 'olivia', createdAt: T0 });
    const future: Signoff = { ...signoffIn('Approved'), resetSchedule: { at: '2027-01-01T00:00:00.000Z', createdBy: 'olivia', createdAt: T0 } };
    expect(run(future, [['system', { type: 'expire' }]]).resetSchedule?.at).toBe('2027-01-01T00:00:00.000Z');
    expect(fail(oneOff, 'admin', { type: 'expire' }).code).toBe('FORBIDDEN');
  });
});

describe('bad input', () => {
  it('an invalid action is a VALIDATION error with the path, not a crash', () => {
    const e = fail(signoffIn('Waiting for feedback'), 'assignee', { type: 'submitFeedback', reviewId: 'Bad Id', groupId: 'it-operations', status: 'Approved', comment: '' });
    expect(e.code).toBe('VALIDATION');
    expect(e.issues?.[0]?.path).toEqual(['reviewId']);
    const e2 = fail(newSignoff(T0), 'owner', { type: 'nope' } as unknown as SignoffAction);
    expect(e2.code).toBe('VALIDATION');
    const e3 = fail(newSignoff(T0), 'owner', { type: 'reset', comment: 'x'.repeat(20_001) });
    expect(e3.code).toBe('VALIDATION');
  });

  it('an invalid clock time is refused', () => {
    expect(code(newSignoff(T0), 'owner', { type: 'reset', comment: '' }, { now: 'yesterday' })).toBe('VALIDATION');
  });
});
