import type { Decision } from '@signoff/core';

export type RuleAnswer = { state: 'approved' | 'rejected'; comment: string } | { state: 'pending'; comment: string };

const OPEN = new Set(['Not started', 'Waiting for feedback', 'Waiting for final approval']);

/**
 * What the protection rule answers GitHub for a decision: an admitted deploy (allow, or warn,
 * which admits with a warning) is approved; a refusal is rejected when the sign-off is final
 * (rejected, abandoned, no governed item, digests not covered) and waits while it is still open.
 */
export function answerFor(d: Decision): RuleAnswer {
  const what = d.item?.ref ?? 'this deployment';
  const link = d.reviewUrl ? ` Review: ${d.reviewUrl}` : '';
  const reasons = d.reasons.length ? ` ${d.reasons.join(' ')}` : '';
  const text = (s: string): string => (s.length > 1000 ? `${s.slice(0, 999)}…` : s);
  switch (d.outcome) {
    case 'allow':
      return { state: 'approved', comment: text(`signoff: ${what} ${d.approved ? 'is approved' : `is ${d.signoffStatus}, allowed by policy ${d.policy}`} for ${d.infrastructureId}.${link}`) };
    case 'warn':
      return { state: 'approved', comment: text(`signoff: ${what} is ${d.signoffStatus}; allowed with a warning (policy ${d.policy} on ${d.infrastructureId}).${reasons}${link}`) };
    case 'deny':
      if (d.item && OPEN.has(d.signoffStatus)) return { state: 'pending', comment: `signoff: waiting for the sign-off of ${what} (${d.signoffStatus}).${link}` };
      return { state: 'rejected', comment: text(`signoff: ${what} may not be deployed to ${d.infrastructureId} (policy ${d.policy}, sign-off ${d.signoffStatus}).${reasons}${link}`) };
  }
}
