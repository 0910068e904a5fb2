/*
 * "May the viewer take this action now?" computed with the very pure functions the service
 * applies (the sign-off transition and the workflow step update), so the UI never offers an
 * action the server would refuse. Each candidate action is tried on the current state and
 * kept when the pure function accepts it; nothing is written.
 */
import * as core from '@signoff/core';
import type {
  Item,
  Principal,
  Project,
  Signoff,
  SignoffAction,
  StepDefinition,
  TransitionContext,
  WorkflowState,
  WorkflowTemplate,
  FeedbackGroupDefinition,
} from '@signoff/core';


/** The standard feedback groups, used when a template defines none (as the service does). */
export const STANDARD_GROUPS: readonly FeedbackGroupDefinition[] = core.STANDARD_FEEDBACK_GROUPS;

export function isAdmin(p: Principal): boolean {
  return core.isAdmin(p);
}

export function feedbackGroupsOf(def: StepDefinition | undefined): readonly FeedbackGroupDefinition[] {
  return def?.signoff?.feedbackGroups ?? STANDARD_GROUPS;
}

/** The context the service builds for a transition (service.ts transitionContext). */
export function transitionContext(actor: Principal, item: Item, project: Project, def: StepDefinition | undefined, now: string): TransitionContext {
  return {
    actor,
    now,
    creator: item.createdBy,
    digests: item.digests,
    feedbackGroups: feedbackGroupsOf(def),
    separationOfDuties: def?.signoff?.separationOfDuties ?? true,
    reviewers: project.reviewers,
    actorIsOwner: (actor.kind === 'user' && actor.id === project.owner) || (actor.kind !== 'system' && actor.id === item.createdBy),
    actorIsAdmin: core.isAdmin(actor),
  };
}

export function mayTransition(so: Signoff, action: SignoffAction, ctx: TransitionContext): boolean {
  try {
    return core.transition(so, action, ctx).ok;
  } catch {
    return false;
  }
}

export interface SignoffOptions {
  requestFeedback: boolean;
  requestFinalApproval: boolean;
  backToFeedback: boolean;
  finalApprove: boolean;
  finalReject: boolean;
  editFinalApproval: boolean;
  abandon: boolean;
  cancelAbandon: boolean;
  reset: boolean;
  scheduleReset: boolean;
  cancelScheduledReset: boolean;
  /** Feedback groups the viewer may review now. */
  reviewGroups: Set<string>;
  /** Scopes (group ids or `final`) the viewer may delegate. */
  delegate: Set<string>;
  /** Reviews the viewer may edit / delete. */
  editReview: Set<string>;
  deleteReview: Set<string>;
}

const PROBE_ID = 'probe-ui';

/** Every action of the sign-off panel the viewer may take in the current state. */
export function signoffOptions(so: Signoff, ctx: TransitionContext, canAct: boolean, now: Date): SignoffOptions {
  const may = (a: SignoffAction) => canAct && mayTransition(so, a, ctx);
  const reviewGroups = new Set<string>();
  const delegate = new Set<string>();
  for (const g of ctx.feedbackGroups) {
    if (may({ type: 'submitFeedback', reviewId: PROBE_ID, groupId: g.id, status: 'Approved', comment: '' })) reviewGroups.add(g.id);
    if (may({ type: 'delegate', delegationId: PROBE_ID, scope: g.id, to: PROBE_ID, comment: '' })) delegate.add(g.id);
  }
  if (may({ type: 'delegate', delegationId: PROBE_ID, scope: 'final', to: PROBE_ID, comment: '' })) delegate.add('final');
  const editReview = new Set<string>();
  const deleteReview = new Set<string>();
  for (const r of so.feedback) {
    if (may({ type: 'editFeedback', reviewId: r.id, comment: r.comment })) editReview.add(r.id);
    if (may({ type: 'deleteFeedback', reviewId: r.id })) deleteReview.add(r.id);
  }
  const later = new Date(now.getTime() + 86_400_000).toISOString();
  return {
    requestFeedback: may({ type: 'requestFeedback', notify: [] }),
    requestFinalApproval: may({ type: 'requestFinalApproval', notify: [] }),
    backToFeedback: may({ type: 'backToFeedback' }),
    finalApprove: may({ type: 'finalApproval', status: 'Approved', comment: '' }),
    finalReject: may({ type: 'finalApproval', status: 'Rejected', comment: '' }),
    // A comment-only edit: the form always sends the comment (an edit with neither is refused).
    editFinalApproval: may({ type: 'editFinalApproval', comment: so.finalApproval?.comment ?? '' }),
    abandon: may({ type: 'abandon', comment: '' }),
    cancelAbandon: may({ type: 'cancelAbandon' }),
    reset: may({ type: 'reset', comment: '' }),
    scheduleReset: may({ type: 'scheduleReset', at: later }),
    cancelScheduledReset: may({ type: 'cancelScheduledReset' }),
    reviewGroups,
    delegate,
    editReview,
    deleteReview,
  };
}

/**
 * Whether a workflow step may be set to `status`, and the service's reason when not
 * (e.g. a mandatory sign-off that is not approved).
 */
export function stepChange(
  item: { workflow: WorkflowState; signoffs: Record<string, Signoff> },
  template: WorkflowTemplate | undefined,
  stepId: string,
  status: 'Ongoing' | 'Finished' | 'Not started',
  actor: Principal,
  now: string,
): { ok: true } | { ok: false; reason: string } {
  try {
    const r = core.updateStep({ workflow: item.workflow, template, signoffs: item.signoffs, stepId, update: { status }, actor, now });
    return r.ok ? { ok: true } : { ok: false, reason: r.error.message };
  } catch {
    return { ok: true };
  }
}
