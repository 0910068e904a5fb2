import type { ArtifactVerdict, Decision, DecisionRequest, Outcome } from './schema.js';
import type { Infrastructure, Policy, UnmatchedAction } from '../schemas/infrastructure.js';
import type { Item } from '../schemas/item.js';
import { sharedKey, recogniseArtifacts, type RecognisedArtifact } from '../refs/artifact.js';
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

type Seen = RecognisedArtifact;

/** A `warn` stays a warning when confirmation is not required or was given; otherwise it is a denial. */
function warnOrDeny(infrastructure: Infrastructure, request: DecisionRequest): { readonly outcome: Outcome; readonly confirmed: boolean } {
  if (request.confirmation) return WARN_CONFIRMED;
  return infrastructure.requireConfirmation ? DENY : WARN;
}
const DENY = { outcome: 'deny', confirmed: false } as const;
const ALLOW = { outcome: 'allow', confirmed: false } as const;
const WARN = { outcome: 'warn', confirmed: false } as const;
const WARN_CONFIRMED = { outcome: 'warn', confirmed: true } as const;
const UNMATCHED = { kind: 'unmatched' } as const;

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
  const seen = recogniseArtifacts(request.artifacts);
  const policy = infrastructure.policy;

  if (!item) {
    const artifacts = seen.map((s) => verdict(s, false));
    if (seen.length === 0 && context.unknownItemRef === undefined) {
      return result(infrastructure, context, 'allow', 'Unmatched', false, artifacts, [say.nothingToRun()], false);
    }
    const action = infrastructure.unmatched ?? defaultUnmatched(policy);
    const { outcome, confirmed } = action === 'deny' ? DENY : action === 'warn' ? warnOrDeny(infrastructure, request) : ALLOW;
    const reasons = [say.unmatchedPolicy(infrastructure, action, outcome, infrastructure.unmatched === undefined)];
    if (context.unknownItemRef !== undefined) reasons.push(say.unknownRef(context.unknownItemRef, seen.length > 0));
    say.artifactProblems(seen, UNMATCHED, reasons);
    if (confirmed && request.confirmation) reasons.push(say.confirmedWith(request.confirmation.reason));
    return result(infrastructure, context, outcome, 'Unmatched', false, artifacts, reasons, confirmed);
  }

  const ref = context.itemRef ?? `${item.projectId}/${item.name}@${item.version}`;
  const approval = itemApproval(item, context.mandatorySignoffSteps);
  let approved = approval.approved;
  const artifacts: ArtifactVerdict[] = new Array<ArtifactVerdict>(seen.length);
  for (let i = 0; i < seen.length; i++) {
    const s = seen[i] as Seen;
    const covered = approval.approved && s.key !== undefined && approval.approvedDigests.has(s.key);
    if (!covered) approved = false;
    artifacts[i] = verdict(s, covered);
  }

  let outcome: Outcome;
  let confirmed: boolean;
  let reasons: string[];
  if (approved) {
    outcome = 'allow';
    confirmed = false;
    reasons = [say.approved(ref, artifacts.length)];
    if (context.unknownItemRef !== undefined) reasons.push(say.unknownRefMatchedByDigest(context.unknownItemRef, ref));
  } else {
    ({ outcome, confirmed } = policy === 'prevent' ? DENY : policy === 'warn' ? warnOrDeny(infrastructure, request) : ALLOW);
    reasons = [say.unapprovedPolicy(infrastructure, outcome)];
    if (!approval.approved) reasons.push(say.notApproved(ref, approval.status, context.approvers, context.reviewUrl));
    say.artifactProblems(
      seen,
      approval.approved ? { kind: 'approved', ref, covered: approval.approvedDigests } : { kind: 'unapproved', ref, itemDigests: digestSet(item.digests) },
      reasons,
    );
    if (context.unknownItemRef !== undefined) reasons.push(say.unknownRefMatchedByDigest(context.unknownItemRef, ref));
    if (confirmed && request.confirmation) reasons.push(say.confirmedWith(request.confirmation.reason));
  }
  // Built in its final shape, fields in the same order as `result` and then item, reviewUrl.
  const about = { id: item.id, kind: item.kind, ref, projectId: item.projectId };
  const signoffStatus = approval.status;
  const decidedAt = context.now;
  const reviewUrl = context.reviewUrl;
  return reviewUrl !== undefined
    ? { outcome, policy, infrastructureId: infrastructure.id, signoffStatus, approved, artifacts, reasons, confirmed, decidedAt, item: about, reviewUrl }
    : { outcome, policy, infrastructureId: infrastructure.id, signoffStatus, approved, artifacts, reasons, confirmed, decidedAt, item: about };
}

/** A decision without an item (a matched item's decision is built in `decide`, with the same fields first). */
function result(
  infrastructure: Infrastructure,
  context: DecideContext,
  outcome: Outcome,
  signoffStatus: Decision['signoffStatus'],
  approved: boolean,
  artifacts: ArtifactVerdict[],
  reasons: string[],
  confirmed: boolean,
): Decision {
  return { outcome, policy: infrastructure.policy, infrastructureId: infrastructure.id, signoffStatus, approved, artifacts, reasons, confirmed, decidedAt: context.now };
}

/** Store records are immutable, so an item's `digests` become a set once. */
const digestSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function digestSet(digests: readonly string[]): ReadonlySet<string> {
  let set = digestSets.get(digests);
  if (set === undefined) {
    const fresh = new Set<string>();
    for (const d of digests) fresh.add(sharedKey(d));
    set = fresh;
    digestSets.set(digests, set);
  }
  return set;
}

/** Built in its final shape (a property added afterwards would cost a hidden-class change). */
function verdict(s: Seen, covered: boolean): ArtifactVerdict {
  return s.key !== undefined ? { artifact: s.raw, covered, pinned: s.pinned, key: s.key } : { artifact: s.raw, covered, pinned: s.pinned };
}
