import { describe, expect, it } from 'vitest';
import type { Decision } from '@signoff/core';
import { answerFor } from './verdict.js';
import { itemRefFromDeployment, parseCallbackUrl } from './payload.js';

const d = (patch: Partial<Decision>): Decision => ({
  outcome: 'deny',
  policy: 'prevent',
  infrastructureId: 'production',
  signoffStatus: 'Waiting for final approval',
  approved: false,
  item: { id: 'itm_1', kind: 'bundle', ref: 'shop/web-bundle@v3', projectId: 'prj_1' },
  artifacts: [],
  reasons: ['shop/web-bundle@v3 waits for its final approval.'],
  confirmed: false,
  reviewUrl: 'https://signoff.example.com/items/itm_1',
  decidedAt: '2026-01-01T00:00:00.000Z',
  ...patch,
});

describe('answerFor', () => {
  it('waits while the sign-off is open', () => {
    for (const s of ['Not started', 'Waiting for feedback', 'Waiting for final approval'] as const) expect(answerFor(d({ signoffStatus: s })).state).toBe('pending');
  });
  it('rejects a final refusal, linking the review', () => {
    const a = answerFor(d({ signoffStatus: 'Rejected' }));
    expect(a.state).toBe('rejected');
    expect(a.comment).toContain('https://signoff.example.com/items/itm_1');
    expect(answerFor(d({ signoffStatus: 'Abandoned' })).state).toBe('rejected');
    expect(answerFor(d({ signoffStatus: 'Unmatched', item: undefined })).state).toBe('rejected');
    // Approved, but for other digests: nothing to wait for.
    expect(answerFor(d({ signoffStatus: 'Approved', approved: false })).state).toBe('rejected');
  });
  it('approves what the policy admits, warnings included', () => {
    expect(answerFor(d({ outcome: 'allow', approved: true, signoffStatus: 'Approved' })).state).toBe('approved');
    const warn = answerFor(d({ outcome: 'warn', policy: 'warn', signoffStatus: 'Rejected' }));
    expect(warn.state).toBe('approved');
    expect(warn.comment).toContain('warning');
  });
  it('keeps the comment within 1000 characters', () => {
    expect(answerFor(d({ signoffStatus: 'Rejected', reasons: ['x'.repeat(5000)] })).comment.length).toBeLessThanOrEqual(1000);
  });
});

describe('payload helpers', () => {
  it('reads the run from the callback URL', () => {
    expect(parseCallbackUrl('https://api.github.com/repos/example/shop/actions/runs/1234/deployment_protection_rule')).toEqual({ owner: 'example', repo: 'shop', runId: '1234' });
    expect(parseCallbackUrl('https://api.github.com/repos/example/shop/actions/runs/x/deployment_protection_rule')).toBeUndefined();
  });
  it('finds the item a deployment names', () => {
    expect(itemRefFromDeployment({ payload: { signoff: { item: 'shop/web-bundle@v2' } } })).toBe('shop/web-bundle@v2');
    expect(itemRefFromDeployment({ payload: JSON.stringify({ item: 'itm_abc' }) })).toBe('itm_abc');
    expect(itemRefFromDeployment({ payload: {}, description: 'Deploy signoff: shop/db-bundle@14 now' })).toBe('shop/db-bundle@14');
    expect(itemRefFromDeployment({ payload: { item: '../../etc' }, description: null })).toBeUndefined();
    expect(itemRefFromDeployment(null)).toBeUndefined();
  });
});
