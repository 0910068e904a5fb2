/*
 * The pure domain functions the service applies, gathered in one place so that the service
 * reads as orchestration. Everything here is implemented by the pure modules beside it
 * (signoff/, workflow/, principal/, decision/, refs/); this file only adapts their shapes.
 */
import type { Result } from '../result.js';
import type { Principal } from '../schemas/principal.js';
import type { SignoffReviewers } from '../schemas/project.js';
import type { Artifacts, Item } from '../schemas/item.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import type { Decision, DecisionRequest } from '../decision/schema.js';
import type { FeedbackGroupDefinition, WorkflowState, WorkflowTemplate } from '../workflow/schema.js';
import type { Signoff } from '../signoff/schema.js';
import type { SignoffAction, TransitionContext } from '../signoff/actions.js';
import type { StoreReader } from '../store/types.js';
import type { DecideContext } from '../decision/decide.js';
import type { StepUpdate } from './types.js';
import { transition as pureTransition } from '../signoff/transition.js';
import { builtinTemplates as builtins, newWorkflowState, signoffsFor, standardFeedbackGroups as standardGroups } from '../workflow/templates.js';
import { updateStep, advanceToProduction } from '../workflow/steps.js';
import { isAssignedFeedback, isFinalApprover } from '../principal/assignees.js';
import { isResetDue } from '../signoff/schedule.js';
import { decide as pureDecide } from '../decision/decide.js';
import { itemApproval } from '../decision/approval.js';
import { matchItem, type MatchResult } from '../decision/match.js';
import { formatItemRef, parseItemRef } from '../refs/item-ref.js';
import { itemDigestKeys } from '../refs/artifact.js';

export const DEFAULT_PROJECT_TEMPLATE = 'standard-project';
export const DEFAULT_ITEM_TEMPLATE = 'standard-item';
export const standardFeedbackGroups: readonly FeedbackGroupDefinition[] = standardGroups;

export function builtinTemplates(): WorkflowTemplate[] {
  return [...builtins];
}
export function builtinTemplateById(id: string): WorkflowTemplate | undefined {
  return builtins.find((t) => t.id === id);
}

export function parseRef(s: string): { project: string; name: string; version: string } | undefined {
  return parseItemRef(s);
}
export function formatRef(project: string, name: string, version: string): string {
  return formatItemRef(project, name, version);
}
export function digestKeys(a: Artifacts): string[] {
  return itemDigestKeys(a);
}

export function newWorkflow(t: WorkflowTemplate, now: string): WorkflowState {
  return newWorkflowState(t, now);
}
export function newSignoffs(t: WorkflowTemplate, now: string): Record<string, Signoff> {
  return signoffsFor(t, now);
}

export function updateWorkflowStep(input: {
  workflow: WorkflowState;
  template: WorkflowTemplate | undefined;
  signoffs: Record<string, Signoff>;
  stepId: string;
  update: StepUpdate;
  actor: Principal;
  now: string;
}): Result<WorkflowState> {
  return updateStep(input);
}

export function toProduction(w: WorkflowState, t: WorkflowTemplate, actor: Principal, now: string, signoffs: Readonly<Record<string, Signoff>>): WorkflowState | undefined {
  return advanceToProduction(w, t, actor, now, signoffs);
}

export function transition(so: Signoff, action: SignoffAction, ctx: TransitionContext): Result<Signoff> {
  return pureTransition(so, action, ctx);
}

export function assignedFeedback(actor: Principal, reviewers: SignoffReviewers, groupId: string, so: Signoff): boolean {
  return isAssignedFeedback(actor, reviewers, groupId, so);
}
export function finalApprover(actor: Principal, reviewers: SignoffReviewers, so: Signoff): boolean {
  return isFinalApprover(actor, reviewers, so);
}
export function resetDue(so: Signoff, now: Date, expiresAfter?: string): boolean {
  return isResetDue(so, now, expiresAfter);
}

export async function matchRequest(request: DecisionRequest, store: StoreReader): Promise<MatchResult> {
  return matchItem(request, store);
}

export function decide(infra: Infrastructure, item: Item | undefined, request: DecisionRequest, ctx: DecideContext): Decision {
  return pureDecide(infra, item, request, ctx);
}

/** Whether the item's mandatory sign-offs are approved (cached per sign-off state, see itemApproval). */
export function signedOff(item: Item, mandatorySteps: readonly string[] | undefined): boolean {
  return itemApproval(item, mandatorySteps).approved;
}

const mandatoryByTemplate = new WeakMap<WorkflowTemplate, readonly string[]>();

/** The ids of a template's steps whose sign-off is mandatory; one array per template object (records are immutable). */
export function mandatorySignoffSteps(t: WorkflowTemplate): readonly string[] {
  let steps = mandatoryByTemplate.get(t);
  if (steps === undefined) mandatoryByTemplate.set(t, (steps = t.steps.filter((st) => st.signoff?.mandatory).map((st) => st.id)));
  return steps;
}
