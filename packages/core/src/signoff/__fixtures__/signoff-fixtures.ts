/* Shared fixtures of the sign-off tests (under __fixtures__: excluded from the build). */
import type { Principal } from '../../schemas/principal.js';
import type { SignoffReviewers } from '../../schemas/project.js';
import type { FeedbackGroupDefinition } from '../../workflow/schema.js';
import { STANDARD_FEEDBACK_GROUPS, newSignoff } from '../../workflow/templates.js';
import type { TransitionContext } from '../actions.js';
import type { Signoff, SignoffStatus } from '../schema.js';

export const T0 = '2026-05-01T09:00:00.000Z';
export const NOW = '2026-05-02T10:00:00.000Z';
export const DIGESTS = ['sha256:' + 'b'.repeat(64), 'sha256:' + 'a'.repeat(64)];

export const user = (id: string, groups: string[] = [], roles: string[] = []): Principal => ({
  kind: 'user',
  id,
  username: id,
  displayName: id,
  groups,
  roles,
});
export const apiKey = (id: string): Principal => ({ kind: 'apiKey', id, name: id, scopes: ['reviews:write'] });
export const system: Principal = { kind: 'system', id: 'system' };

export const ROLES = [
  'owner',
  'admin',
  'assignee',
  'otherGroupAssignee',
  'delegate',
  'finalApprover',
  'finalDelegate',
  'creatorSoD',
  'creatorNoSoD',
  'apiKeyAssignee',
  'stranger',
  'system',
] as const;
export type Role = (typeof ROLES)[number];

export const ACTORS: Record<Role, Principal> = {
  owner: user('olivia'),
  admin: user('adam', [], ['admin']),
  assignee: user('ivan', ['ops']),
  otherGroupAssignee: user('rita'),
  delegate: user('dan'),
  finalApprover: user('fiona', [], ['approver']),
  finalDelegate: user('erin'),
  creatorSoD: user('carl'),
  creatorNoSoD: user('carl'),
  apiKeyAssignee: apiKey('key_ci'),
  stranger: user('sam', ['visitors'], ['viewer']),
  system,
};

export const REVIEWERS: SignoffReviewers = {
  feedbackGroups: [
    { groupId: 'it-operations', assignees: [{ kind: 'group', id: 'ops' }, { kind: 'apiKey', id: 'key_ci' }] },
    { groupId: 'risk-compliance', assignees: [{ kind: 'user', id: 'rita' }] },
    { groupId: 'business', assignees: [{ kind: 'user', id: 'bob' }] },
  ],
  finalApprovers: [{ kind: 'role', id: 'approver' }, { kind: 'user', id: 'carl' }, { kind: 'apiKey', id: 'key_ci' }],
};

export function ctxFor(role: Role, over: Partial<TransitionContext> = {}): TransitionContext {
  return {
    actor: ACTORS[role],
    now: NOW,
    creator: 'carl',
    digests: DIGESTS,
    feedbackGroups: STANDARD_FEEDBACK_GROUPS,
    separationOfDuties: role !== 'creatorNoSoD',
    reviewers: REVIEWERS,
    actorIsOwner: role === 'owner',
    actorIsAdmin: role === 'admin',
    ...over,
  };
}

export const GROUPS_WITH_QUORUM: FeedbackGroupDefinition[] = STANDARD_FEEDBACK_GROUPS.map((g) =>
  g.id === 'risk-compliance' ? { ...g, quorum: 2 } : { ...g },
);

export const STATUSES: SignoffStatus[] = [
  'Not started',
  'Waiting for feedback',
  'Waiting for final approval',
  'Approved',
  'Rejected',
  'Abandoned',
];

/** A sign-off in `status`, reached the ordinary way; reviews by ivan (r1) and rita (r2). */
export function signoffIn(status: SignoffStatus): Signoff {
  const base: Signoff = {
    ...newSignoff(T0),
    delegations: [
      { id: 'd1', scope: 'it-operations', from: 'ivan', to: 'dan', at: T0, comment: '' },
      { id: 'd2', scope: 'final', from: 'fiona', to: 'erin', at: T0, comment: '' },
    ],
    resetSchedule: { every: 'P90D', anchor: T0, createdBy: 'olivia', createdAt: T0 },
  };
  if (status === 'Not started') return base;
  const wff: Signoff = {
    ...base,
    status: 'Waiting for feedback',
    feedbackRequestedAt: T0,
    notified: [{ kind: 'group', id: 'ops' }],
    feedback: [
      { id: 'r1', groupId: 'it-operations', author: 'ivan', authorKind: 'user', status: 'Approved', comment: 'ok', createdAt: T0, updatedAt: T0 },
      { id: 'r2', groupId: 'risk-compliance', author: 'rita', authorKind: 'user', status: 'Minor issues', comment: 'docs', createdAt: T0, updatedAt: T0 },
    ],
  };
  if (status === 'Waiting for feedback') return wff;
  if (status === 'Abandoned') return { ...wff, status: 'Abandoned', abandonedFrom: 'Waiting for feedback', abandonedAt: T0, abandonedBy: 'olivia' };
  const wfa: Signoff = { ...wff, status: 'Waiting for final approval', finalApprovalRequestedAt: T0 };
  if (status === 'Waiting for final approval') return wfa;
  const fa = { author: 'fiona', authorKind: 'user' as const, status, comment: '', createdAt: T0, updatedAt: T0 };
  if (status === 'Approved') return { ...wfa, status, finalApproval: { ...fa, status: 'Approved' }, approvedDigests: [...DIGESTS].sort(), approvedAt: T0 };
  return { ...wfa, status: 'Rejected', finalApproval: { ...fa, status: 'Rejected' } };
}

export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
