import { describe, expect, it } from 'vitest';
import type { Assignee, Principal } from '../schemas/principal.js';
import type { SignoffReviewers } from '../schemas/project.js';
import { newSignoff } from '../workflow/templates.js';
import type { Signoff } from '../signoff/schema.js';
import { isAssignedFeedback, isFinalApprover, matchesAssignee, onBehalfOf } from './assignees.js';

const user = (id: string, groups: string[] = [], roles: string[] = []): Principal => ({
  kind: 'user',
  id,
  username: id,
  displayName: id,
  groups,
  roles,
});
const key = (id: string): Principal => ({ kind: 'apiKey', id, name: id, scopes: ['reviews:write'] });
const system: Principal = { kind: 'system', id: 'system' };

describe('matchesAssignee', () => {
  const cases: [string, Principal, Assignee, boolean][] = [
    ['user by id', user('ivan'), { kind: 'user', id: 'ivan' }, true],
    ['other user', user('rita'), { kind: 'user', id: 'ivan' }, false],
    ['group member', user('ivan', ['ops']), { kind: 'group', id: 'ops' }, true],
    ['not a member', user('ivan', ['biz']), { kind: 'group', id: 'ops' }, false],
    ['role holder', user('fiona', [], ['approver']), { kind: 'role', id: 'approver' }, true],
    ['no role', user('fiona'), { kind: 'role', id: 'approver' }, false],
    ['api key by id', key('key_1'), { kind: 'apiKey', id: 'key_1' }, true],
    ['other api key', key('key_2'), { kind: 'apiKey', id: 'key_1' }, false],
    ['api key is not the user of the same id', key('ivan'), { kind: 'user', id: 'ivan' }, false],
    ['user is not the api key of the same id', user('key_1'), { kind: 'apiKey', id: 'key_1' }, false],
    ['system matches no user', system, { kind: 'user', id: 'system' }, false],
    ['system matches no role', system, { kind: 'role', id: 'admin' }, false],
  ];
  it.each(cases)('%s', (_n, p, a, expected) => {
    expect(matchesAssignee(p, a)).toBe(expected);
  });
});

describe('reviewers and delegations', () => {
  const reviewers: SignoffReviewers = {
    feedbackGroups: [
      { groupId: 'it-operations', assignees: [{ kind: 'group', id: 'ops' }] },
      { groupId: 'risk-compliance', assignees: [{ kind: 'user', id: 'rita' }, { kind: 'apiKey', id: 'key_1' }] },
    ],
    finalApprovers: [{ kind: 'role', id: 'approver' }],
  };
  const so: Signoff = {
    ...newSignoff('2026-01-01T00:00:00.000Z'),
    delegations: [
      { id: 'd1', scope: 'risk-compliance', from: 'rita', to: 'dan', at: '2026-01-01T00:00:00.000Z', comment: '' },
      { id: 'd2', scope: 'final', from: 'fiona', to: 'erin', at: '2026-01-01T00:00:00.000Z', comment: '' },
      { id: 'd3', scope: 'risk-compliance', from: 'key_1', to: 'kim', at: '2026-01-01T00:00:00.000Z', comment: '' },
    ],
  };

  it('feedback: group members, direct users, API keys and delegates of that group only', () => {
    expect(isAssignedFeedback(user('ivan', ['ops']), reviewers, 'it-operations', so)).toBe(true);
    expect(isAssignedFeedback(user('ivan', ['ops']), reviewers, 'risk-compliance', so)).toBe(false);
    expect(isAssignedFeedback(user('rita'), reviewers, 'risk-compliance', so)).toBe(true);
    expect(isAssignedFeedback(key('key_1'), reviewers, 'risk-compliance', so)).toBe(true);
    expect(isAssignedFeedback(user('dan'), reviewers, 'risk-compliance', so)).toBe(true);
    expect(isAssignedFeedback(user('dan'), reviewers, 'it-operations', so)).toBe(false);
    expect(isAssignedFeedback(user('erin'), reviewers, 'business', so)).toBe(false);
    expect(isAssignedFeedback(user('fiona', [], ['approver']), reviewers, 'final', so)).toBe(false);
    expect(isAssignedFeedback(key('dan'), reviewers, 'risk-compliance', so)).toBe(false);
  });

  it('final approval: final approvers and delegates of final only', () => {
    expect(isFinalApprover(user('fiona', [], ['approver']), reviewers, so)).toBe(true);
    expect(isFinalApprover(user('erin'), reviewers, so)).toBe(true);
    expect(isFinalApprover(user('dan'), reviewers, so)).toBe(false);
    expect(isFinalApprover(user('rita'), reviewers, so)).toBe(false);
    expect(isFinalApprover(system, reviewers, so)).toBe(false);
    expect(isFinalApprover(user('erin'), reviewers, newSignoff('2026-01-01T00:00:00.000Z'))).toBe(false);
  });

  it('onBehalfOf names the delegator only for delegates', () => {
    expect(onBehalfOf(user('dan'), reviewers, 'risk-compliance', so)).toEqual({ kind: 'user', id: 'rita' });
    expect(onBehalfOf(user('kim'), reviewers, 'risk-compliance', so)).toEqual({ kind: 'apiKey', id: 'key_1' });
    expect(onBehalfOf(user('rita'), reviewers, 'risk-compliance', so)).toBeUndefined();
  });
});
