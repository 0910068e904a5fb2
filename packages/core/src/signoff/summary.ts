/*
 * Read-only views of a sign-off: quorum per feedback group, a status summary for lists and
 * messages, and whether an approval covers a set of digests.
 */
import type { FeedbackGroupDefinition } from '../workflow/schema.js';
import { STANDARD_FEEDBACK_GROUPS } from '../workflow/templates.js';
import type { FeedbackStatus, FinalStatus, Signoff, SignoffStatus } from './schema.js';

export interface GroupQuorum {
  groupId: string;
  name: string;
  /** Distinct authors with at least one "Approved" feedback in this group (current round). */
  approvals: number;
  quorum: number;
  met: boolean;
}

/** Quorum of each feedback group: distinct authors of "Approved" feedback against the group's quorum. */
export function quorumStatus(signoff: Pick<Signoff, 'feedback'>, groups: readonly FeedbackGroupDefinition[]): GroupQuorum[] {
  return groups.map((g) => {
    const authors = new Set(
      signoff.feedback.filter((f) => f.groupId === g.id && f.status === 'Approved').map((f) => `${f.authorKind}:${f.author}`),
    );
    const quorum = g.quorum;
    return { groupId: g.id, name: g.name, approvals: authors.size, quorum, met: authors.size >= quorum };
  });
}

/** The groups whose quorum is not met, as a sentence (`undefined` when every quorum is met). */
export function quorumShortfall(signoff: Pick<Signoff, 'feedback'>, groups: readonly FeedbackGroupDefinition[]): { text: string; groups: GroupQuorum[] } | undefined {
  const missing = quorumStatus(signoff, groups).filter((q) => !q.met);
  if (missing.length === 0) return undefined;
  const text = missing
    .map((q) => `${q.name} has ${q.approvals} of the ${q.quorum} required approval${q.quorum === 1 ? '' : 's'}`)
    .join('; ');
  return { text, groups: missing };
}

/** The set of digests, sorted and without duplicates (how approvals store them). */
export function digestSet(digests: readonly string[]): string[] {
  return [...new Set(digests)].sort();
}

/** Does the approval's digest set equal `digests` (as sets)? False when nothing was approved. */
export function approvalCovers(signoff: Pick<Signoff, 'approvedDigests'>, digests: readonly string[]): boolean {
  if (!signoff.approvedDigests) return false;
  const a = digestSet(signoff.approvedDigests);
  const b = digestSet(digests);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Approved for exactly these digests: status Approved, a final approval that says Approved, and
 * the approved digest set equal to the given set. An item whose digests changed after approval
 * is not approved: reset the sign-off and approve again.
 */
export function isApproved(signoff: Signoff, digests: readonly string[]): boolean {
  return signoff.status === 'Approved' && signoff.finalApproval?.status === 'Approved' && approvalCovers(signoff, digests);
}

/**
 * The item's digests changed after its approval: the sign-off still says Approved but the approval
 * no longer covers what would be deployed. A new round (reset) is needed to approve the new digests.
 */
export function approvalOutdated(signoff: Signoff, digests: readonly string[]): boolean {
  return signoff.status === 'Approved' && !approvalCovers(signoff, digests);
}

export interface SignoffSummary {
  status: SignoffStatus;
  round: number;
  groups: (GroupQuorum & { reviews: number; counts: Record<FeedbackStatus, number> })[];
  quorumMet: boolean;
  finalApproval?: { status: FinalStatus; author: string; at: string };
  approvedAt?: string;
  abandonedFrom?: SignoffStatus;
  delegations: number;
  /** One line for lists, mails and logs. */
  text: string;
}

/** A summary of the sign-off for lists and messages: per-group counts, quorum, final approval. */
export function signoffStatusSummary(signoff: Signoff, groups: readonly FeedbackGroupDefinition[] = STANDARD_FEEDBACK_GROUPS): SignoffSummary {
  const q = quorumStatus(signoff, groups);
  const perGroup = q.map((g) => {
    const reviews = signoff.feedback.filter((f) => f.groupId === g.groupId);
    const counts: Record<FeedbackStatus, number> = { Approved: 0, 'Minor issues': 0, 'Major issues': 0 };
    for (const r of reviews) counts[r.status]++;
    return { ...g, reviews: reviews.length, counts };
  });
  const fa = signoff.finalApproval;
  const parts: string[] = [`${signoff.status}${signoff.round > 1 ? ` (round ${signoff.round})` : ''}`];
  if (signoff.status === 'Abandoned' && signoff.abandonedFrom) parts[0] += ` from ${signoff.abandonedFrom}`;
  const reviewed = perGroup.filter((g) => g.reviews > 0 || g.quorum > 0);
  if (reviewed.length > 0) {
    parts.push(
      reviewed
        .map((g) => {
          const bits = (['Approved', 'Minor issues', 'Major issues'] as const).filter((s) => g.counts[s] > 0).map((s) => `${g.counts[s]} ${s.toLowerCase()}`);
          const quorum = g.quorum > 0 ? ` (${g.approvals}/${g.quorum} approvals required)` : '';
          return `${g.name}: ${bits.length > 0 ? bits.join(', ') : 'no feedback'}${quorum}`;
        })
        .join('; '),
    );
  }
  if (fa) parts.push(`final approval ${fa.status} by ${fa.author}`);
  else if (signoff.status === 'Waiting for final approval') parts.push('final approval pending');
  const summary: SignoffSummary = {
    status: signoff.status,
    round: signoff.round,
    groups: perGroup,
    quorumMet: q.every((g) => g.met),
    delegations: signoff.delegations.length,
    text: parts.join('. ') + '.',
  };
  if (fa) summary.finalApproval = { status: fa.status, author: fa.author, at: fa.updatedAt };
  if (signoff.approvedAt) summary.approvedAt = signoff.approvedAt;
  if (signoff.abandonedFrom) summary.abandonedFrom = signoff.abandonedFrom;
  return summary;
}
