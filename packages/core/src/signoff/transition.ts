/*
 * The sign-off state machine. Pure: the time, the actor, the item's digests and the reviewers
 * come in the context, the ids of new records come in the action. Every refusal is an error value
 * with a stable code and a sentence saying what to do instead.
 *
 *   Not started ──requestFeedback──▶ Waiting for feedback ──requestFinalApproval──▶ Waiting for final approval
 *        │                                   ▲                                         │      │
 *        └──────requestFinalApproval─────────┼─────────────────────────────────────────┘      │
 *                                            └──────────────backToFeedback──────────────┘      │
 *                                                                            finalApproval ─▶ Approved | Rejected
 *   abandon: from every status but Abandoned (remembers abandonedFrom); cancelAbandon restores it.
 *   reset / expire: from every status, a new round (round + 1), Not started.
 *
 * Decisions (documented for the lead):
 * - abandon is allowed from every status except Abandoned, also from Approved and Rejected
 *   (Dataiku: "the final approver sets the status to Approved, Rejected or Abandoned"); reviews and
 *   the final approval are kept, so cancelAbandon restores the exact previous sign-off.
 * - abandon and cancelAbandon: the project owner, an admin, or a final approver (Dataiku lets
 *   the final approver or anyone with write access abandon).
 * - backToFeedback: only from Waiting for final approval, by the owner, an admin or a final
 *   approver (Dataiku: "if the final approver considers there is not enough feedback"). After the
 *   final approval its author edits it (editFinalApproval), or the owner resets.
 * - requestFeedback: from Not started, and again while Waiting for feedback to notify more
 *   reviewers (status unchanged). requestFinalApproval: from Not started (feedback is optional) or
 *   Waiting for feedback, only when every group's quorum is met; owner or admin.
 * - Feedback is open in Waiting for feedback and Waiting for final approval (until a final approval
 *   exists); a reviewer may leave several. While waiting for the final approval, an edit or
 *   delete that would break a group's quorum is refused (QUORUM_NOT_MET): go back to feedback
 *   first. Only the author edits or deletes a review; editing also needs the author to still be
 *   a reviewer of the group.
 * - delegate: while the sign-off is open (Not started, Waiting for feedback, Waiting for final
 *   approval), by a reviewer of that scope (including a delegate) or the owner/an admin, to a user.
 * - finalApproval: once (CONFLICT afterwards), in Waiting for final approval, by a final approver
 *   or delegate, never by the item's creator under separation of duties. Approved binds the
 *   digests of the context (approvedDigests, sorted, unique) and approvedAt. editFinalApproval by
 *   its author only: flipping to Approved binds the current digests; a comment-only edit keeps
 *   the digests that were approved (an edit never silently approves new artifacts).
 * - reset: owner or admin, from every status; keeps the reset schedule; sets lastResetAt.
 *   expire: only the system principal; a reset that also consumes a one-off scheduled time.
 */
import { err, issuesFromZod, ok, type Result, type SignoffError } from '../result.js';
import { Timestamp } from '../schemas/common.js';
import type { Assignee, Principal } from '../schemas/principal.js';
import { FINAL_SCOPE, isAssignedFeedback, isAssignedTo, isFinalApprover, onBehalfOf } from '../principal/assignees.js';
import { SignoffAction, type TransitionContext } from './actions.js';
import type { FeedbackReview, FinalApproval, Signoff, SignoffStatus } from './schema.js';
import { parseDuration } from './duration.js';
import { digestSet, quorumShortfall } from './summary.js';

type Fail = { ok: false; error: SignoffError };
const OPEN: readonly SignoffStatus[] = ['Not started', 'Waiting for feedback', 'Waiting for final approval'];
const FEEDBACK_OPEN: readonly SignoffStatus[] = ['Waiting for feedback', 'Waiting for final approval'];

/** Fields that abandon sets and cancelAbandon removes (with updatedAt). */
export const ABANDON_BOOKKEEPING = ['abandonedFrom', 'abandonedAt', 'abandonedBy'] as const;

function invalid(status: SignoffStatus, todo: string): Fail {
  return err('INVALID_TRANSITION', `The sign-off is ${status}; ${todo}.`);
}

/** What to do instead, for an action refused in `status`. */
function hint(status: SignoffStatus): string {
  switch (status) {
    case 'Not started':
      return 'request feedback or the final approval first';
    case 'Waiting for feedback':
      return 'request the final approval first';
    case 'Waiting for final approval':
      return 'go back to the feedback stage first';
    case 'Approved':
    case 'Rejected':
      return 'the final approval has been given: its author can edit it, or the owner can reset the sign-off to start a new round';
    case 'Abandoned':
      return 'cancel the abandon to restore it, or reset it to start a new round';
  }
}

const manages = (ctx: TransitionContext) => ctx.actorIsOwner || ctx.actorIsAdmin;

function forbidden(what: string, alsoFinal = false): Fail {
  return err('FORBIDDEN', `Only the project owner${alsoFinal ? ', an admin or a final approver' : ' or an admin'} can ${what}.`);
}

function authorKind(p: Principal): 'user' | 'apiKey' | undefined {
  return p.kind === 'system' ? undefined : p.kind;
}

function groupName(ctx: TransitionContext, id: string): string {
  return id === FINAL_SCOPE ? 'the final approval' : (ctx.feedbackGroups.find((g) => g.id === id)?.name ?? id);
}

function sameAssignee(a: Assignee, b: Assignee): boolean {
  return a.kind === b.kind && a.id === b.id;
}

function addNotified(current: readonly Assignee[], more: readonly Assignee[]): Assignee[] {
  const out = [...current];
  for (const a of more) if (!out.some((b) => sameAssignee(a, b))) out.push({ kind: a.kind, id: a.id });
  return out;
}

/** Every notify entry must be one of the sign-off's reviewers (or a delegate). */
function checkNotify(notify: readonly Assignee[], so: Signoff, ctx: TransitionContext): Fail | undefined {
  const all: Assignee[] = [
    ...ctx.reviewers.feedbackGroups.flatMap((g) => g.assignees),
    ...ctx.reviewers.finalApprovers,
    ...so.delegations.map((d): Assignee => ({ kind: 'user', id: d.to })),
  ];
  const issues = notify.flatMap((a, i) =>
    all.some((b) => sameAssignee(a, b)) ? [] : [{ path: ['notify', i], message: `${a.kind} "${a.id}" is not a reviewer of this sign-off` }],
  );
  if (issues.length === 0) return undefined;
  return err('VALIDATION', `Only reviewers of this sign-off can be notified: ${issues[0]?.message}.`, issues);
}

function quorumFail(so: Pick<Signoff, 'feedback'>, ctx: TransitionContext, lead: string): Fail | undefined {
  const short = quorumShortfall(so, ctx.feedbackGroups);
  if (!short) return undefined;
  return err(
    'QUORUM_NOT_MET',
    `${lead}: ${short.text}.`,
    short.groups.map((g) => ({ path: ['feedback', g.groupId], message: `${g.approvals} of ${g.quorum} approvals` })),
  );
}

function omit<T extends object, K extends keyof T>(o: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...o };
  for (const k of keys) delete copy[k];
  return copy;
}

/** A new round: everything of the current round goes (the audit log keeps it); the schedule stays. */
function newRound(so: Signoff, now: string): Signoff {
  const next: Signoff = {
    status: 'Not started',
    round: so.round + 1,
    feedback: [],
    delegations: [],
    notified: [],
    lastResetAt: now,
    updatedAt: now,
  };
  if (so.resetSchedule) next.resetSchedule = so.resetSchedule;
  return next;
}

/** The status a sign-off had before abandon, when abandonedFrom is missing (older records). */
function inferOpenStatus(so: Signoff): Exclude<SignoffStatus, 'Abandoned'> {
  if (so.finalApproval) return so.finalApproval.status;
  if (so.finalApprovalRequestedAt) return 'Waiting for final approval';
  if (so.feedbackRequestedAt) return 'Waiting for feedback';
  return 'Not started';
}

/**
 * Apply `action` to `signoff`. Returns the new sign-off (a new object; the input is not changed)
 * or an error: VALIDATION (bad action or context), NOT_FOUND (unknown group, scope or review),
 * FORBIDDEN (not owner/admin, not the author), NOT_ASSIGNED (not a reviewer of that scope),
 * SEPARATION_OF_DUTIES, QUORUM_NOT_MET, CONFLICT (duplicate id, second final approval) or
 * INVALID_TRANSITION (not possible in the current status, with what to do instead).
 * Authorisation is checked before the status, so an outsider learns nothing about the state.
 */
export function transition(signoff: Signoff, action: SignoffAction, ctx: TransitionContext): Result<Signoff> {
  const parsed = SignoffAction.safeParse(action);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues);
    return err('VALIDATION', `The sign-off action is invalid: ${issues[0]?.path.join('.')}: ${issues[0]?.message}.`, issues);
  }
  if (!Timestamp.safeParse(ctx.now).success) {
    return err('VALIDATION', `The clock gave an invalid time "${ctx.now}".`, [{ path: ['now'], message: 'must be an ISO timestamp' }]);
  }
  const r = apply(signoff, parsed.data, ctx);
  if (!r.ok) return r;
  return ok({ ...r.value, updatedAt: ctx.now });
}

function apply(so: Signoff, a: SignoffAction, ctx: TransitionContext): Result<Signoff> {
  const { actor, now } = ctx;
  const st = so.status;
  switch (a.type) {
    case 'requestFeedback': {
      if (!manages(ctx)) return forbidden('request feedback');
      if (st !== 'Not started' && st !== 'Waiting for feedback') {
        return invalid(st, st === 'Waiting for final approval' ? 'go back to the feedback stage instead' : hint(st));
      }
      const bad = checkNotify(a.notify, so, ctx);
      if (bad) return bad;
      return ok({
        ...so,
        status: 'Waiting for feedback',
        feedbackRequestedAt: st === 'Not started' ? now : (so.feedbackRequestedAt ?? now),
        notified: addNotified(so.notified, a.notify),
      });
    }

    case 'submitFeedback': {
      if (!ctx.feedbackGroups.some((g) => g.id === a.groupId)) {
        return err('NOT_FOUND', `This sign-off has no feedback group "${a.groupId}" (its groups: ${ctx.feedbackGroups.map((g) => g.id).join(', ') || 'none'}).`, [
          { path: ['groupId'], message: 'unknown feedback group' },
        ]);
      }
      const kind = authorKind(actor);
      if (!kind || !isAssignedFeedback(actor, ctx.reviewers, a.groupId, so)) {
        return err('NOT_ASSIGNED', `You are not a reviewer of ${groupName(ctx, a.groupId)} for this sign-off; the project owner assigns reviewers, and a reviewer can delegate to you.`);
      }
      if (!FEEDBACK_OPEN.includes(st)) {
        return invalid(st, st === 'Not started' ? 'the owner must request feedback first' : `feedback is closed: ${hint(st)}`);
      }
      if (so.feedback.some((f) => f.id === a.reviewId)) {
        return err('CONFLICT', `A review with id "${a.reviewId}" already exists.`, [{ path: ['reviewId'], message: 'already used' }]);
      }
      const review: FeedbackReview = {
        id: a.reviewId,
        groupId: a.groupId,
        author: actor.id,
        authorKind: kind,
        status: a.status,
        comment: a.comment,
        createdAt: now,
        updatedAt: now,
      };
      const behalf = onBehalfOf(actor, ctx.reviewers, a.groupId, so);
      if (behalf) review.onBehalfOf = behalf;
      return ok({ ...so, feedback: [...so.feedback, review] });
    }

    case 'editFeedback':
    case 'deleteFeedback': {
      const review = so.feedback.find((f) => f.id === a.reviewId);
      if (!review) {
        return err('NOT_FOUND', `This sign-off has no review "${a.reviewId}" in round ${so.round}.`, [{ path: ['reviewId'], message: 'unknown review' }]);
      }
      if (review.author !== actor.id || review.authorKind !== actor.kind) {
        return err('FORBIDDEN', `Only the author of a review can ${a.type === 'editFeedback' ? 'edit' : 'delete'} it; add your own review instead.`);
      }
      if (a.type === 'editFeedback' && !isAssignedFeedback(actor, ctx.reviewers, review.groupId, so)) {
        return err('NOT_ASSIGNED', `You are no longer a reviewer of ${groupName(ctx, review.groupId)}; your review can only be deleted.`);
      }
      if (!FEEDBACK_OPEN.includes(st)) return invalid(st, `feedback is closed: ${hint(st)}`);
      let feedback: FeedbackReview[];
      if (a.type === 'editFeedback') {
        if (a.status === undefined && a.comment === undefined) {
          return err('VALIDATION', 'Nothing to edit: give a new status or comment.', [{ path: ['status'], message: 'status or comment required' }]);
        }
        const edited: FeedbackReview = { ...review, updatedAt: now };
        if (a.status !== undefined) edited.status = a.status;
        if (a.comment !== undefined) edited.comment = a.comment;
        feedback = so.feedback.map((f) => (f.id === review.id ? edited : f));
      } else {
        feedback = so.feedback.filter((f) => f.id !== review.id);
      }
      if (st === 'Waiting for final approval') {
        const q = quorumFail({ feedback }, ctx, 'This change would break a quorum while the final approval is requested; go back to the feedback stage first');
        if (q) return q;
      }
      return ok({ ...so, feedback });
    }

    case 'delegate': {
      if (a.scope !== FINAL_SCOPE && !ctx.feedbackGroups.some((g) => g.id === a.scope)) {
        return err('NOT_FOUND', `This sign-off has no feedback group "${a.scope}" to delegate (use a group id or "final").`, [{ path: ['scope'], message: 'unknown scope' }]);
      }
      if (!manages(ctx) && !isAssignedTo(actor, ctx.reviewers, a.scope, so)) {
        return err('NOT_ASSIGNED', `Only a reviewer of ${groupName(ctx, a.scope)}, the project owner or an admin can delegate it.`);
      }
      if (actor.kind === 'user' && a.to === actor.id) {
        return err('VALIDATION', 'You cannot delegate a review to yourself.', [{ path: ['to'], message: 'is the acting user' }]);
      }
      if (!OPEN.includes(st)) return invalid(st, `reviews can no longer be delegated: ${hint(st)}`);
      if (so.delegations.some((d) => d.id === a.delegationId)) {
        return err('CONFLICT', `A delegation with id "${a.delegationId}" already exists.`, [{ path: ['delegationId'], message: 'already used' }]);
      }
      if (so.delegations.some((d) => d.scope === a.scope && d.to === a.to)) {
        return err('CONFLICT', `"${a.to}" is already a delegate for ${groupName(ctx, a.scope)}.`, [{ path: ['to'], message: 'already a delegate' }]);
      }
      return ok({
        ...so,
        delegations: [...so.delegations, { id: a.delegationId, scope: a.scope, from: actor.id, to: a.to, at: now, comment: a.comment }],
      });
    }

    case 'requestFinalApproval': {
      if (!manages(ctx)) return forbidden('request the final approval');
      if (st !== 'Not started' && st !== 'Waiting for feedback') {
        return invalid(st, st === 'Waiting for final approval' ? 'the final approval is already requested' : hint(st));
      }
      const q = quorumFail(so, ctx, 'The final approval cannot be requested yet');
      if (q) return q;
      const bad = checkNotify(a.notify, so, ctx);
      if (bad) return bad;
      return ok({ ...so, status: 'Waiting for final approval', finalApprovalRequestedAt: now, notified: addNotified(so.notified, a.notify) });
    }

    case 'backToFeedback': {
      if (!manages(ctx) && !isFinalApprover(actor, ctx.reviewers, so)) return forbidden('go back to the feedback stage', true);
      if (st !== 'Waiting for final approval') {
        return invalid(st, st === 'Waiting for feedback' ? 'it is already in the feedback stage' : hint(st));
      }
      return ok({ ...omit(so, 'finalApprovalRequestedAt'), status: 'Waiting for feedback', feedbackRequestedAt: so.feedbackRequestedAt ?? now });
    }

    case 'finalApproval': {
      if (so.finalApproval) {
        return err('CONFLICT', `A final approval already exists (${so.finalApproval.status} by ${so.finalApproval.author}); only one is allowed: its author can edit it.`);
      }
      const kind = authorKind(actor);
      if (!kind || !isFinalApprover(actor, ctx.reviewers, so)) {
        return err('NOT_ASSIGNED', 'You are not a final approver of this sign-off; the project owner assigns final approvers, and a final approver can delegate to you.');
      }
      if (ctx.separationOfDuties && actor.id === ctx.creator) {
        return err('SEPARATION_OF_DUTIES', 'You created this item, so you cannot give its final approval (separation of duties); another final approver must decide.');
      }
      if (st !== 'Waiting for final approval') {
        return invalid(st, st === 'Not started' || st === 'Waiting for feedback' ? 'the owner must request the final approval first' : hint(st));
      }
      const q = quorumFail(so, ctx, 'The final approval cannot be given');
      if (q) return q;
      const fa: FinalApproval = { author: actor.id, authorKind: kind, status: a.status, comment: a.comment, createdAt: now, updatedAt: now };
      const behalf = onBehalfOf(actor, ctx.reviewers, FINAL_SCOPE, so);
      if (behalf) fa.onBehalfOf = behalf;
      const base = omit(so, 'approvedDigests', 'approvedAt');
      return ok(
        a.status === 'Approved'
          ? { ...base, status: 'Approved', finalApproval: fa, approvedDigests: digestSet(ctx.digests), approvedAt: now }
          : { ...base, status: 'Rejected', finalApproval: fa },
      );
    }

    case 'editFinalApproval': {
      const fa = so.finalApproval;
      if (!fa || (st !== 'Approved' && st !== 'Rejected')) {
        return invalid(st, st === 'Abandoned' ? 'cancel the abandon before editing the final approval' : 'there is no final approval to edit');
      }
      if (fa.author !== actor.id || fa.authorKind !== actor.kind) {
        return err('FORBIDDEN', `Only the author of the final approval (${fa.author}) can edit it.`);
      }
      if (!isFinalApprover(actor, ctx.reviewers, so)) {
        return err('NOT_ASSIGNED', 'You are no longer a final approver of this sign-off; the owner can reset it to start a new round.');
      }
      if (a.status === undefined && a.comment === undefined) {
        return err('VALIDATION', 'Nothing to edit: give a new status or comment.', [{ path: ['status'], message: 'status or comment required' }]);
      }
      const status = a.status ?? fa.status;
      if (status === 'Approved' && fa.status !== 'Approved' && ctx.separationOfDuties && actor.id === ctx.creator) {
        return err('SEPARATION_OF_DUTIES', 'You created this item, so you cannot approve it (separation of duties).');
      }
      const edited: FinalApproval = { ...fa, status, updatedAt: now };
      if (a.comment !== undefined) edited.comment = a.comment;
      if (status === fa.status) return ok({ ...so, finalApproval: edited });
      const base = omit(so, 'approvedDigests', 'approvedAt');
      return ok(
        status === 'Approved'
          ? { ...base, status: 'Approved', finalApproval: edited, approvedDigests: digestSet(ctx.digests), approvedAt: now }
          : { ...base, status: 'Rejected', finalApproval: edited },
      );
    }

    case 'abandon': {
      if (!manages(ctx) && !isFinalApprover(actor, ctx.reviewers, so)) return forbidden('abandon the sign-off', true);
      if (st === 'Abandoned') return invalid(st, 'cancel the abandon to restore it, or reset it to start a new round');
      return ok({ ...so, status: 'Abandoned', abandonedFrom: st, abandonedAt: now, abandonedBy: actor.id });
    }

    case 'cancelAbandon': {
      if (!manages(ctx) && !isFinalApprover(actor, ctx.reviewers, so)) return forbidden('cancel the abandon', true);
      if (st !== 'Abandoned') return invalid(st, 'only an Abandoned sign-off can be restored');
      const restored = so.abandonedFrom ?? inferOpenStatus(so);
      return ok({ ...omit(so, ...ABANDON_BOOKKEEPING), status: restored });
    }

    case 'reset': {
      if (!manages(ctx)) return forbidden('reset the sign-off');
      return ok(newRound(so, now));
    }

    case 'scheduleReset': {
      if (!manages(ctx)) return forbidden('schedule a reset');
      if (a.at === undefined && a.every === undefined) {
        return err('VALIDATION', 'Give a time (at) or a recurrence (every, an ISO 8601 duration such as P90D) for the reset.', [
          { path: ['at'], message: 'at or every required' },
        ]);
      }
      if (a.every !== undefined) {
        const d = parseDuration(a.every);
        if (!d.ok) return err('VALIDATION', d.error.message, [{ path: ['every'], message: d.error.message }]);
      }
      if (a.at !== undefined && Date.parse(a.at) <= Date.parse(now)) {
        return err('VALIDATION', `The reset time ${a.at} is not in the future.`, [{ path: ['at'], message: 'must be in the future' }]);
      }
      const schedule: NonNullable<Signoff['resetSchedule']> = { createdBy: actor.id, createdAt: now };
      if (a.at !== undefined) schedule.at = a.at;
      if (a.every !== undefined) {
        schedule.every = a.every;
        schedule.anchor = now;
      }
      return ok({ ...so, resetSchedule: schedule });
    }

    case 'cancelScheduledReset': {
      if (!manages(ctx)) return forbidden('cancel a scheduled reset');
      if (!so.resetSchedule) return invalid(st, 'there is no scheduled reset to cancel');
      return ok(omit(so, 'resetSchedule'));
    }

    case 'expire': {
      if (actor.kind !== 'system') {
        return err('FORBIDDEN', 'Only the scheduler expires a sign-off; the owner or an admin can reset it instead.');
      }
      const next = newRound(so, now);
      const sched = so.resetSchedule;
      if (sched?.at !== undefined && Date.parse(sched.at) <= Date.parse(now)) {
        if (sched.every === undefined) delete next.resetSchedule;
        else next.resetSchedule = omit(sched, 'at');
      }
      return ok(next);
    }
  }
}
