import { describe, expect, it } from 'vitest';
import { approvalCovers, approvalOutdated, isApproved, quorumStatus, signoffStatusSummary } from './summary.js';
import { DIGESTS, GROUPS_WITH_QUORUM, signoffIn } from './__fixtures__/signoff-fixtures.js';
import type { Signoff } from './schema.js';

describe('isApproved', () => {
  const so = signoffIn('Approved');
  it('needs status Approved, an Approved final approval and exactly the approved digest set', () => {
    expect(isApproved(so, DIGESTS)).toBe(true);
    expect(isApproved(so, [...DIGESTS].reverse())).toBe(true);
    expect(isApproved(so, [...DIGESTS, DIGESTS[0] as string])).toBe(true);
    expect(isApproved(so, [DIGESTS[0] as string])).toBe(false);
    expect(isApproved(so, [...DIGESTS, 'sha256:' + 'c'.repeat(64)])).toBe(false);
    expect(isApproved(so, [])).toBe(false);
    for (const s of ['Not started', 'Waiting for feedback', 'Waiting for final approval', 'Rejected', 'Abandoned'] as const) {
      expect(isApproved(signoffIn(s), DIGESTS)).toBe(false);
    }
    expect(isApproved({ ...so, status: 'Abandoned' }, DIGESTS)).toBe(false);
    const inconsistent: Signoff = { ...so, finalApproval: undefined };
    delete inconsistent.finalApproval;
    expect(isApproved(inconsistent, DIGESTS)).toBe(false);
    expect(approvalCovers({}, [])).toBe(false);
  });

  it('approvalOutdated: Approved, but the digests changed since', () => {
    expect(approvalOutdated(so, DIGESTS)).toBe(false);
    expect(approvalOutdated(so, [DIGESTS[0] as string])).toBe(true);
    expect(approvalOutdated(signoffIn('Rejected'), [])).toBe(false);
  });
});

describe('quorum and summary', () => {
  it('counts distinct approving authors per group', () => {
    const so: Signoff = {
      ...signoffIn('Waiting for feedback'),
      feedback: [
        ...signoffIn('Waiting for feedback').feedback,
        { id: 'a', groupId: 'risk-compliance', author: 'rita', authorKind: 'user', status: 'Approved', comment: '', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
        { id: 'b', groupId: 'risk-compliance', author: 'rita', authorKind: 'user', status: 'Approved', comment: '', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
        { id: 'c', groupId: 'risk-compliance', author: 'rita', authorKind: 'apiKey', status: 'Approved', comment: '', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
      ],
    };
    expect(quorumStatus(so, GROUPS_WITH_QUORUM).map((q) => [q.groupId, q.approvals, q.quorum, q.met])).toEqual([
      ['it-operations', 1, 0, true],
      ['risk-compliance', 2, 2, true],
      ['business', 0, 0, true],
    ]);
    const s = signoffStatusSummary(so, GROUPS_WITH_QUORUM);
    expect(s.quorumMet).toBe(true);
    expect(s.groups[1]).toMatchObject({ reviews: 4, counts: { Approved: 3, 'Minor issues': 1, 'Major issues': 0 } });
    expect(s.text).toBe(
      'Waiting for feedback. IT & Operations: 1 approved; Risk & Compliance: 3 approved, 1 minor issues (2/2 approvals required).',
    );
  });

  it('summarises final approval, rounds and abandon', () => {
    const a = signoffStatusSummary({ ...signoffIn('Approved'), round: 3 });
    expect(a.text).toContain('Approved (round 3)');
    expect(a.text).toContain('final approval Approved by fiona');
    expect(a.finalApproval).toMatchObject({ status: 'Approved', author: 'fiona' });
    expect(signoffStatusSummary(signoffIn('Waiting for final approval')).text).toContain('final approval pending');
    const ab = signoffStatusSummary(signoffIn('Abandoned'));
    expect(ab.text.startsWith('Abandoned from Waiting for feedback')).toBe(true);
    expect(ab.abandonedFrom).toBe('Waiting for feedback');
    expect(signoffStatusSummary(signoffIn('Not started')).text).toBe('Not started.');
  });
});
