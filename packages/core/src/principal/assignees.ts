/*
 * Who may review: matching a principal against the project's sign-off reviewers and the
 * sign-off's delegations. Pure.
 */
import type { Assignee, Principal } from '../schemas/principal.js';
import type { SignoffReviewers } from '../schemas/project.js';
import type { Delegation, Signoff } from '../signoff/schema.js';

/** The scope of a review: a feedback group id, or `final` for the final approval. */
export type ReviewScope = string;
export const FINAL_SCOPE = 'final';

/**
 * Does `assignee` designate `principal`? A user assignee by user id, a group by membership, a
 * role by the user's roles, an API key by its id. The system principal is nobody's assignee.
 */
export function matchesAssignee(principal: Principal, assignee: Assignee): boolean {
  switch (assignee.kind) {
    case 'user':
      return principal.kind === 'user' && principal.id === assignee.id;
    case 'group':
      return principal.kind === 'user' && principal.groups.includes(assignee.id);
    case 'role':
      return principal.kind === 'user' && principal.roles.includes(assignee.id);
    case 'apiKey':
      return principal.kind === 'apiKey' && principal.id === assignee.id;
  }
}

/** The assignees of a scope, from the project's reviewers. */
export function assigneesOf(reviewers: SignoffReviewers, scope: ReviewScope): readonly Assignee[] {
  if (scope === FINAL_SCOPE) return reviewers.finalApprovers;
  return reviewers.feedbackGroups.find((g) => g.groupId === scope)?.assignees ?? [];
}

/** Directly assigned to `scope` by the project (not through a delegation). */
export function isDirectlyAssigned(principal: Principal, reviewers: SignoffReviewers, scope: ReviewScope): boolean {
  return assigneesOf(reviewers, scope).some((a) => matchesAssignee(principal, a));
}

/** The delegation of the current round that makes `principal` a reviewer of `scope`, if any. */
export function delegationTo(principal: Principal, signoff: Pick<Signoff, 'delegations'>, scope: ReviewScope): Delegation | undefined {
  if (principal.kind !== 'user') return undefined;
  return signoff.delegations.find((d) => d.scope === scope && d.to === principal.id);
}

/** May `principal` review `scope`: assigned by the project, or a delegate for that scope. */
export function isAssignedTo(principal: Principal, reviewers: SignoffReviewers, scope: ReviewScope, signoff: Pick<Signoff, 'delegations'>): boolean {
  return isDirectlyAssigned(principal, reviewers, scope) || delegationTo(principal, signoff, scope) !== undefined;
}

/** May `principal` give feedback in feedback group `groupId` of this sign-off. */
export function isAssignedFeedback(principal: Principal, reviewers: SignoffReviewers, groupId: string, signoff: Pick<Signoff, 'delegations'>): boolean {
  if (groupId === FINAL_SCOPE) return false;
  return isAssignedTo(principal, reviewers, groupId, signoff);
}

/** May `principal` give (or edit) the final approval of this sign-off. */
export function isFinalApprover(principal: Principal, reviewers: SignoffReviewers, signoff: Pick<Signoff, 'delegations'>): boolean {
  return isAssignedTo(principal, reviewers, FINAL_SCOPE, signoff);
}

/**
 * When `principal` reviews `scope` only through a delegation: whom they act for (the delegator).
 * Undefined when they are assigned themselves.
 */
export function onBehalfOf(principal: Principal, reviewers: SignoffReviewers, scope: ReviewScope, signoff: Pick<Signoff, 'delegations'>): Assignee | undefined {
  if (isDirectlyAssigned(principal, reviewers, scope)) return undefined;
  const d = delegationTo(principal, signoff, scope);
  if (!d) return undefined;
  const fromApiKey = assigneesOf(reviewers, scope).some((a) => a.kind === 'apiKey' && a.id === d.from);
  return { kind: fromApiKey ? 'apiKey' : 'user', id: d.from };
}
