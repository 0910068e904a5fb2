import { describe, expect, it } from 'vitest';
import type { DecisionOutput, GovernanceStatus } from '@signoff/core';
import { verdictFor } from './verdict.js';

const decision = (patch: Partial<DecisionOutput['decision']>): DecisionOutput => ({
  decision: {
    outcome: 'allow',
    policy: 'prevent',
    infrastructureId: 'production',
    signoffStatus: 'Approved',
    approved: true,
    item: { id: 'itm_1', kind: 'bundle', ref: 'shop/web-bundle@v2', projectId: 'prj_1' },
    artifacts: [],
    reasons: ['shop/web-bundle@v2 is approved'],
    confirmed: false,
    reviewUrl: 'https://signoff.example.com/items/itm_1',
    decidedAt: '2026-01-01T00:00:00.000Z',
    ...patch,
  },
});
const status = (signoffStatus: GovernanceStatus['signoffStatus']): GovernanceStatus => ({
  itemId: 'itm_1',
  ref: 'shop/web-bundle@v1',
  kind: 'bundle',
  signoffStatus,
  approved: signoffStatus === 'Approved',
  approvedDigests: [],
  workflowStep: 'review',
  reviews: [],
  finalApproval: signoffStatus === 'Rejected' ? { author: 'fiona', status: 'Rejected', at: '2026-01-01T00:00:00.000Z' } : undefined,
});

describe('verdictFor', () => {
  it('passes an approved deploy quietly', () => {
    const v = verdictFor(decision({}));
    expect(v).toMatchObject({ fail: false, level: 'info' });
    expect(v.details.join(' ')).not.toContain('Review and approve');
  });

  it('fails a denial, says what is missing and links the review', () => {
    const v = verdictFor(decision({ outcome: 'deny', approved: false, signoffStatus: 'Waiting for final approval', reasons: ['not approved'] }), status('Waiting for final approval'));
    expect(v.fail).toBe(true);
    expect(v.level).toBe('error');
    expect(v.details).toEqual(['not approved', 'Missing: the final approval.', 'Review and approve: https://signoff.example.com/items/itm_1']);
  });

  it('names who rejected', () => {
    const v = verdictFor(decision({ outcome: 'deny', approved: false, signoffStatus: 'Rejected' }), status('Rejected'));
    expect(v.details.join('\n')).toContain('Rejected by fiona');
  });

  it('warns under warn and passes', () => {
    expect(verdictFor(decision({ outcome: 'warn', policy: 'warn', approved: false, signoffStatus: 'Rejected' }))).toMatchObject({ fail: false, level: 'warning' });
  });

  it('gives a notice for an unapproved allow, saying when it was confirmed', () => {
    const always = verdictFor(decision({ policy: 'always', approved: false, signoffStatus: 'Rejected' }));
    expect(always).toMatchObject({ fail: false, level: 'notice' });
    const confirmed = verdictFor(decision({ policy: 'warn', approved: false, confirmed: true, signoffStatus: 'Rejected' }));
    expect(confirmed.headline).toContain('confirmed');
  });
});
