import type { ArtifactVerdict, Decision, DecisionRequest, Outcome } from './schema.js';
import type { Infrastructure, Policy, UnmatchedAction } from '../schemas/infrastructure.js';
import type { Item } from '../schemas/item.js';
import { parseArtifact, type Artifact } from '../refs/artifact.js';
import { itemApproval } from './approval.js';
import * as say from './reasons.js';

export interface DecideContext {
  /** ISO timestamp from the injected clock. */
  now: string;
  /** Reference of the matched item as `project/name@version`. */
  itemRef?: string;
  /** Link to the item's review page, built from the public URL. */
  reviewUrl?: string;
  /** Who can approve, as names for the reasons (e.g. `fiona (final approver)`). */
  approvers?: readonly string[];
  /** The request named an item that does not exist. */
  unknownItemRef?: string;
  /**
   * Step ids whose sign-off is mandatory in the item's workflow template. When given, only these
   * sign-offs decide whether the item is approved; when absent, every sign-off the item holds does.
   */
  mandatorySignoffSteps?: readonly string[];
}

/** What happens to unmatched artifacts when the infrastructure does not say. */
export function defaultUnmatched(policy: Policy): UnmatchedAction {
  switch (policy) {
    case 'prevent':
      return 'deny';
    case 'warn':
      return 'warn';
    case 'always':
      return 'allow';
  }
}

interface Seen {
  raw: string;
  parsed?: Artifact;
  problem?: string;
}

function recognise(raws: readonly string[]): Seen[] {
  return raws.map((raw) => {
    const r = parseArtifact(raw);
    return r.ok ? { raw, parsed: r.value } : { raw, problem: r.error.issues?.[0]?.message ?? r.error.message };
  });
}

/** A `warn` stays a warning when confirmation is not required or was given; otherwise it is a denial. */
function warnOrDeny(infrastructure: Infrastructure, request: DecisionRequest): { outcome: Outcome; confirmed: boolean } {
  if (request.confirmation) return { outcome: 'warn', confirmed: true };
  return infrastructure.requireConfirmation ? { outcome: 'deny', confirmed: false } : { outcome: 'warn', confirmed: false };
}

/**
 * May `request`'s artifacts be deployed to `infrastructure`? Pure: the same inputs give the
 * same decision. `item` is the governed item the request matched, if any.
 *
 * - Approved means: every counted sign-off of the item is Approved and every deployed artifact's
 *   key is among the digests the approval was given (an image not pinned by digest never is).
 * - Approved → allow. Unapproved → `prevent`: deny; `warn`: warn, or deny when the
 *   infrastructure requires a confirmation and none was given; `always`: allow.
 * - No item → the infrastructure's `unmatched` action (default: deny under prevent, warn under
 *   warn, allow under always); a `warn` there needs a confirmation too when one is required.
 * - Nothing to run (no artifact, no item, no unknown reference) → allow.
 */
export function decide(
  infrastructure: Infrastructure,
  item: Item | undefined,
  request: DecisionRequest,
  context: DecideContext,
): Decision {
  const seen = recognise(request.artifacts);
  const policy = infrastructure.policy;
  const base = {
    policy,
    infrastructureId: infrastructure.id,
    decidedAt: context.now,
    ...(context.reviewUrl !== undefined && item ? { reviewUrl: context.reviewUrl } : {}),
  };

  if (!item) {
    const artifacts: ArtifactVerdict[] = seen.map(({ raw, parsed }) => verdict(raw, parsed, false));
    if (seen.length === 0 && context.unknownItemRef === undefined) {
      return { ...base, outcome: 'allow', signoffStatus: 'Unmatched', approved: false, artifacts, reasons: [say.nothingToRun()], confirmed: false };
    }
    const action = infrastructure.unmatched ?? defaultUnmatched(policy);
    const { outcome, confirmed } = action === 'deny' ? { outcome: 'deny' as const, confirmed: false } : action === 'warn' ? warnOrDeny(infrastructure, request) : { outcome: 'allow' as const, confirmed: false };
    const reasons = [
      say.unmatchedPolicy(infrastructure, action, outcome, infrastructure.unmatched === undefined),
      ...(context.unknownItemRef !== undefined ? [say.unknownRef(context.unknownItemRef, seen.length > 0)] : []),
      ...say.artifactProblems(seen, { kind: 'unmatched' }),
      ...(confirmed && request.confirmation ? [say.confirmedWith(request.confirmation.reason)] : []),
    ];
    return { ...base, outcome, signoffStatus: 'Unmatched', approved: false, artifacts, reasons, confirmed };
  }

  const ref = context.itemRef ?? `${item.projectId}/${item.name}@${item.version}`;
  const approval = itemApproval(item, context.mandatorySignoffSteps);
  const artifacts = seen.map(({ raw, parsed }) => verdict(raw, parsed, approval.approved && parsed?.key !== undefined && approval.approvedDigests.has(parsed.key)));
  const approved = approval.approved && artifacts.every((a) => a.covered);
  const itemInfo = { id: item.id, kind: item.kind, ref, projectId: item.projectId };
  const unknown = context.unknownItemRef !== undefined ? [say.unknownRefMatchedByDigest(context.unknownItemRef, ref)] : [];

  if (approved) {
    return {
      ...base,
      outcome: 'allow',
      signoffStatus: approval.status,
      approved: true,
      item: itemInfo,
      artifacts,
      reasons: [say.approved(ref, artifacts.length), ...unknown],
      confirmed: false,
    };
  }

  const { outcome, confirmed } = policy === 'prevent' ? { outcome: 'deny' as const, confirmed: false } : policy === 'warn' ? warnOrDeny(infrastructure, request) : { outcome: 'allow' as const, confirmed: false };
  const itemDigests = approval.approved ? undefined : new Set(item.digests);
  const reasons = [
    say.unapprovedPolicy(infrastructure, outcome),
    ...(approval.approved ? [] : [say.notApproved(ref, approval.status, context.approvers, context.reviewUrl)]),
    ...say.artifactProblems(seen, approval.approved ? { kind: 'approved', ref, covered: approval.approvedDigests } : { kind: 'unapproved', ref, itemDigests: itemDigests ?? new Set() }),
    ...unknown,
    ...(confirmed && request.confirmation ? [say.confirmedWith(request.confirmation.reason)] : []),
  ];
  return { ...base, outcome, signoffStatus: approval.status, approved: false, item: itemInfo, artifacts, reasons, confirmed };
}

function verdict(raw: string, parsed: Artifact | undefined, covered: boolean): ArtifactVerdict {
  return { artifact: raw, ...(parsed?.key !== undefined ? { key: parsed.key } : {}), covered, pinned: parsed?.pinned ?? false };
}
