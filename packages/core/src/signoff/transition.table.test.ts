/*
 * Every action × every status × every role. The expectation is written as a table per action:
 * who may act (else which refusal), in which statuses, and the resulting status.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../result.js';
import type { SignoffAction } from './actions.js';
import { Signoff, type SignoffStatus } from './schema.js';
import { transition } from './transition.js';
import { NOW, ROLES, STATUSES, ctxFor, deepFreeze, signoffIn, type Role } from './__fixtures__/signoff-fixtures.js';

const MANAGERS: Role[] = ['owner', 'admin'];
const FINAL: Role[] = ['finalApprover', 'finalDelegate', 'creatorSoD', 'creatorNoSoD', 'apiKeyAssignee'];
const GROUP: Role[] = ['assignee', 'delegate', 'apiKeyAssignee'];
const ALL_BUT_ABANDONED = STATUSES.filter((s) => s !== 'Abandoned');

interface Spec {
  action: SignoffAction;
  /** Checked before anything else: a fixed answer for these statuses, whoever acts. */
  first?: (status: SignoffStatus) => ErrorCode | undefined;
  who: Role[];
  /** The refusal for everyone else (or a role-specific one). */
  refuse: ErrorCode | ((role: Role) => ErrorCode);
  /** Allowed statuses and the resulting status. */
  when: Partial<Record<SignoffStatus, SignoffStatus | 'same'>>;
}

const same = (statuses: SignoffStatus[]): Spec['when'] => Object.fromEntries(statuses.map((s) => [s, 'same']));

const SPECS: Record<string, Spec> = {
  requestFeedback: {
    action: { type: 'requestFeedback', notify: [{ kind: 'user', id: 'rita' }] },
    who: MANAGERS,
    refuse: 'FORBIDDEN',
    when: { 'Not started': 'Waiting for feedback', 'Waiting for feedback': 'Waiting for feedback' },
  },
  submitFeedback: {
    action: { type: 'submitFeedback', reviewId: 'r9', groupId: 'it-operations', status: 'Major issues', comment: 'no' },
    who: GROUP,
    refuse: 'NOT_ASSIGNED',
    when: same(['Waiting for feedback', 'Waiting for final approval']),
  },
  editFeedback: {
    action: { type: 'editFeedback', reviewId: 'r1', status: 'Minor issues' },
    first: (s) => (s === 'Not started' ? 'NOT_FOUND' : undefined),
    who: ['assignee'],
    refuse: 'FORBIDDEN',
    when: same(['Waiting for feedback', 'Waiting for final approval']),
  },
  deleteFeedback: {
    action: { type: 'deleteFeedback', reviewId: 'r1' },
    first: (s) => (s === 'Not started' ? 'NOT_FOUND' : undefined),
    who: ['assignee'],
    refuse: 'FORBIDDEN',
    when: same(['Waiting for feedback', 'Waiting for final approval']),
  },
  delegateGroup: {
    action: { type: 'delegate', delegationId: 'd9', scope: 'it-operations', to: 'zoe', comment: '' },
    who: [...MANAGERS, ...GROUP],
    refuse: 'NOT_ASSIGNED',
    when: same(['Not started', 'Waiting for feedback', 'Waiting for final approval']),
  },
  delegateFinal: {
    action: { type: 'delegate', delegationId: 'd9', scope: 'final', to: 'zoe', comment: '' },
    who: [...MANAGERS, ...FINAL],
    refuse: 'NOT_ASSIGNED',
    when: same(['Not started', 'Waiting for feedback', 'Waiting for final approval']),
  },
  requestFinalApproval: {
    action: { type: 'requestFinalApproval', notify: [] },
    who: MANAGERS,
    refuse: 'FORBIDDEN',
    when: { 'Not started': 'Waiting for final approval', 'Waiting for feedback': 'Waiting for final approval' },
  },
  backToFeedback: {
    action: { type: 'backToFeedback' },
    who: [...MANAGERS, ...FINAL],
    refuse: 'FORBIDDEN',
    when: { 'Waiting for final approval': 'Waiting for feedback' },
  },
  finalApprove: {
    action: { type: 'finalApproval', status: 'Approved', comment: 'ship it' },
    first: (s) => (s === 'Approved' || s === 'Rejected' ? 'CONFLICT' : undefined),
    who: ['finalApprover', 'finalDelegate', 'creatorNoSoD', 'apiKeyAssignee'],
    refuse: (r) => (r === 'creatorSoD' ? 'SEPARATION_OF_DUTIES' : 'NOT_ASSIGNED'),
    when: { 'Waiting for final approval': 'Approved' },
  },
  finalReject: {
    action: { type: 'finalApproval', status: 'Rejected', comment: 'no' },
    first: (s) => (s === 'Approved' || s === 'Rejected' ? 'CONFLICT' : undefined),
    who: ['finalApprover', 'finalDelegate', 'creatorNoSoD', 'apiKeyAssignee'],
    refuse: (r) => (r === 'creatorSoD' ? 'SEPARATION_OF_DUTIES' : 'NOT_ASSIGNED'),
    when: { 'Waiting for final approval': 'Rejected' },
  },
  editFinalApproval: {
    action: { type: 'editFinalApproval', status: 'Rejected', comment: 'changed my mind' },
    first: (s) => (s === 'Approved' || s === 'Rejected' ? undefined : 'INVALID_TRANSITION'),
    who: ['finalApprover'],
    refuse: 'FORBIDDEN',
    when: { Approved: 'Rejected', Rejected: 'Rejected' },
  },
  abandon: {
    action: { type: 'abandon', comment: '' },
    who: [...MANAGERS, ...FINAL],
    refuse: 'FORBIDDEN',
    when: Object.fromEntries(ALL_BUT_ABANDONED.map((s) => [s, 'Abandoned'])),
  },
  cancelAbandon: {
    action: { type: 'cancelAbandon' },
    who: [...MANAGERS, ...FINAL],
    refuse: 'FORBIDDEN',
    when: { Abandoned: 'Waiting for feedback' },
  },
  reset: {
    action: { type: 'reset', comment: '' },
    who: MANAGERS,
    refuse: 'FORBIDDEN',
    when: Object.fromEntries(STATUSES.map((s) => [s, 'Not started'])),
  },
  scheduleReset: {
    action: { type: 'scheduleReset', every: 'P30D' },
    who: MANAGERS,
    refuse: 'FORBIDDEN',
    when: same(STATUSES),
  },
  cancelScheduledReset: {
    action: { type: 'cancelScheduledReset' },
    who: MANAGERS,
    refuse: 'FORBIDDEN',
    when: same(STATUSES),
  },
  expire: {
    action: { type: 'expire' },
    who: ['system'],
    refuse: 'FORBIDDEN',
    when: Object.fromEntries(STATUSES.map((s) => [s, 'Not started'])),
  },
};

function expected(spec: Spec, status: SignoffStatus, role: Role): { code: ErrorCode } | { status: SignoffStatus } {
  const first = spec.first?.(status);
  if (first) return { code: first };
  if (!spec.who.includes(role)) return { code: typeof spec.refuse === 'string' ? spec.refuse : spec.refuse(role) };
  const to = spec.when[status];
  if (to === undefined) return { code: 'INVALID_TRANSITION' };
  return { status: to === 'same' ? status : to };
}

const cases = Object.keys(SPECS).flatMap((name) => STATUSES.flatMap((status) => ROLES.map((role) => [name, status, role] as const)));

describe('transition table: action × status × role', () => {
  it('covers every action type of SignoffAction', () => {
    const types = new Set(Object.values(SPECS).map((s) => s.action.type));
    expect([...types].sort()).toEqual(
      [
        'requestFeedback', 'submitFeedback', 'editFeedback', 'deleteFeedback', 'delegate', 'requestFinalApproval', 'backToFeedback',
        'finalApproval', 'editFinalApproval', 'abandon', 'cancelAbandon', 'reset', 'scheduleReset', 'cancelScheduledReset', 'expire',
      ].sort(),
    );
  });

  it.each(cases)('%s in "%s" by %s', (name, status, role) => {
    const spec = SPECS[name];
    if (!spec) throw new Error(name);
    const before = deepFreeze(signoffIn(status));
    const r = transition(before, spec.action, ctxFor(role));
    const want = expected(spec, status, role);
    if ('code' in want) {
      expect(r.ok ? `ok → ${r.value.status}` : r.error.code).toBe(want.code);
      if (!r.ok && want.code === 'INVALID_TRANSITION') expect(r.error.message).toContain(`The sign-off is ${status}`);
      if (!r.ok) expect(r.error.message.length).toBeGreaterThan(20);
    } else {
      expect(r.ok ? r.value.status : `${r.error.code}: ${r.error.message}`).toBe(want.status);
      if (r.ok) {
        expect(Signoff.safeParse(r.value).success).toBe(true);
        expect(r.value.updatedAt).toBe(NOW);
      }
    }
  });
});
