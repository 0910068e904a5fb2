import type { DecisionOutput, GovernanceStatus } from '@signoff/core';

export type Level = 'error' | 'warning' | 'notice' | 'info';

export interface Verdict {
  fail: boolean;
  level: Level;
  /** One line for the log and the annotation title. */
  headline: string;
  /** The server's reasons, verbatim, then what is missing and where to get it. */
  details: string[];
}

/** What is still needed before the item is approved, from its governance status. */
export function missingFor(status: GovernanceStatus | undefined): string | undefined {
  if (!status) return undefined;
  switch (status.signoffStatus) {
    case 'Approved':
      return undefined;
    case 'Not started':
      return 'Missing: the sign-off has not started (feedback, then the final approval).';
    case 'Waiting for feedback':
      return `Missing: feedback reviews${status.reviews.length ? ` (${status.reviews.length} given so far)` : ''}, then the final approval.`;
    case 'Waiting for final approval':
      return 'Missing: the final approval.';
    case 'Rejected':
      return `Missing: an approval; the final approval is Rejected${status.finalApproval ? ` by ${status.finalApproval.author}` : ''}.`;
    case 'Abandoned':
      return 'Missing: an approval; the sign-off was abandoned.';
  }
}

/**
 * Applies the server's decision to the step: `deny` fails it, `warn` passes with a warning,
 * an unapproved `allow` (policy `always`, or a confirmed `warn`) passes with a notice.
 */
export function verdictFor(out: DecisionOutput, status?: GovernanceStatus): Verdict {
  const d = out.decision;
  const what = d.item?.ref ?? 'the artifacts';
  const where = `${d.infrastructureId} (policy ${d.policy})`;
  const details = [...d.reasons];
  const missing = d.approved ? undefined : missingFor(status);
  if (missing && !details.includes(missing)) details.push(missing);
  if (d.reviewUrl && !d.approved) details.push(`Review and approve: ${d.reviewUrl}`);
  switch (d.outcome) {
    case 'deny':
      return { fail: true, level: 'error', headline: `signoff refused deploying ${what} to ${where}: sign-off ${d.signoffStatus}`, details };
    case 'warn':
      return {
        fail: false,
        level: 'warning',
        headline: d.confirmed
          ? `signoff allows deploying ${what} to ${where}: unapproved (sign-off ${d.signoffStatus}), confirmed with a recorded reason`
          : `signoff allows deploying ${what} to ${where} with a warning: sign-off ${d.signoffStatus}`,
        details,
      };
    case 'allow':
      if (d.approved) return { fail: false, level: 'info', headline: `signoff approved deploying ${what} to ${where}`, details };
      return {
        fail: false,
        level: 'notice',
        headline: d.confirmed
          ? `signoff allows deploying ${what} to ${where}: unapproved, confirmed with a recorded reason`
          : `signoff allows deploying ${what} to ${where}: sign-off ${d.signoffStatus}, recorded`,
        details,
      };
  }
}
