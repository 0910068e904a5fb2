/*
 * Pure workflow step updates with the governance guards: a mandatory sign-off blocks finishing
 * its step, a Rejected sign-off locks the steps after it, field values match their definitions.
 */
import { z } from 'zod';
import { err, issuesFromZod, ok, type FieldIssue, type Result } from '../result.js';
import { Link } from '../schemas/common.js';
import type { Principal } from '../schemas/principal.js';
import type { Signoff } from '../signoff/schema.js';
import {
  FieldValue,
  StepStatus,
  type FieldDefinition,
  type StepState,
  type WorkflowState,
  type WorkflowTemplate,
} from './schema.js';

/** What a step update may change. Absent properties stay as they are; `fields` merge. */
export const WorkflowStepUpdate = z
  .object({
    status: StepStatus.optional(),
    notes: z.string().max(20_000).optional(),
    links: z.array(Link).max(100).optional(),
    /** Field values to set; `null` clears a value. Fields not named keep their value. */
    fields: z.record(z.string(), FieldValue).optional(),
  })
  .strict();
export type WorkflowStepUpdate = z.infer<typeof WorkflowStepUpdate>;

export interface UpdateStepInput {
  workflow: WorkflowState;
  template: WorkflowTemplate | undefined;
  signoffs: Readonly<Record<string, Signoff>>;
  stepId: string;
  update: WorkflowStepUpdate;
  now: string;
  /** The actor, as a principal or its id. */
  actor?: Principal;
  actorId?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isCalendarDate(v: string): boolean {
  const d = new Date(`${v}T00:00:00.000Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
}

/** Check one field value against its definition; a message when it does not fit. */
export function checkFieldValue(def: FieldDefinition, value: FieldValue): string | undefined {
  if (value === null) return undefined;
  switch (def.type) {
    case 'text':
      if (typeof value !== 'string') return `"${def.label}" takes text`;
      if (value.length > 2000) return `"${def.label}" takes at most 2000 characters (use a long text field)`;
      return undefined;
    case 'longtext':
      return typeof value === 'string' ? undefined : `"${def.label}" takes text`;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `"${def.label}" takes a number`;
      if (def.min !== undefined && value < def.min) return `"${def.label}" must be at least ${def.min}`;
      if (def.max !== undefined && value > def.max) return `"${def.label}" must be at most ${def.max}`;
      return undefined;
    case 'select':
      if (typeof value !== 'string' || !(def.options ?? []).includes(value)) {
        return `"${def.label}" must be one of: ${(def.options ?? []).join(', ')}`;
      }
      return undefined;
    case 'date': {
      if (typeof value !== 'string') return `"${def.label}" takes a date (YYYY-MM-DD)`;
      const okDate = DATE.test(value) ? isCalendarDate(value) : z.iso.datetime().safeParse(value).success;
      return okDate ? undefined : `"${def.label}" takes a date (YYYY-MM-DD) or an ISO timestamp`;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `"${def.label}" takes true or false`;
  }
}

/**
 * Apply `update` to step `stepId`. Guards, in order: the step exists (NOT_FOUND); the update and
 * each field value are valid for the template (VALIDATION, with paths); finishing a step needs its
 * required fields and, for a mandatory sign-off, an Approved sign-off (SIGNOFF_REQUIRED); while a
 * sign-off of the item is Rejected, no step after the step carrying it may become Ongoing or
 * Finished (WORKFLOW_LOCKED). Setting a status a step already has is not a change and is allowed.
 */
export function updateStep(input: UpdateStepInput): Result<WorkflowState>;
export function updateStep(
  workflow: WorkflowState,
  template: WorkflowTemplate | undefined,
  signoffs: Readonly<Record<string, Signoff>>,
  stepId: string,
  update: WorkflowStepUpdate,
  now: string,
  actorId: string,
): Result<WorkflowState>;
export function updateStep(
  a: WorkflowState | UpdateStepInput,
  template?: WorkflowTemplate,
  signoffs?: Readonly<Record<string, Signoff>>,
  stepId?: string,
  update?: WorkflowStepUpdate,
  now?: string,
  actorId?: string,
): Result<WorkflowState> {
  if ('workflow' in a) {
    return apply(a.workflow, a.template, a.signoffs, a.stepId, a.update, a.now, a.actorId ?? a.actor?.id ?? 'system');
  }
  return apply(a, template, signoffs ?? {}, stepId ?? '', update ?? {}, now ?? '', actorId ?? 'system');
}

function apply(
  workflow: WorkflowState,
  template: WorkflowTemplate | undefined,
  signoffs: Readonly<Record<string, Signoff>>,
  stepId: string,
  rawUpdate: WorkflowStepUpdate,
  now: string,
  actorId: string,
): Result<WorkflowState> {
  const index = workflow.steps.findIndex((s) => s.id === stepId);
  const current = workflow.steps[index];
  if (index < 0 || !current) {
    const known = workflow.steps.map((s) => s.id).join(', ');
    return err('NOT_FOUND', `This workflow has no step "${stepId}" (its steps: ${known}).`, [
      { path: ['stepId'], message: `unknown step "${stepId}"` },
    ]);
  }
  const parsed = WorkflowStepUpdate.safeParse(rawUpdate);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues);
    return err('VALIDATION', `The step update is invalid: ${issues[0]?.path.join('.')}: ${issues[0]?.message}.`, issues);
  }
  const update = parsed.data;
  const def = template?.steps.find((s) => s.id === stepId);
  const stepName = def?.name ?? stepId;

  const fieldIssues: FieldIssue[] = [];
  for (const [fieldId, value] of Object.entries(update.fields ?? {})) {
    const fd = def?.fields.find((f) => f.id === fieldId);
    if (!fd) {
      const known = (def?.fields ?? []).map((f) => f.id);
      fieldIssues.push({
        path: ['fields', fieldId],
        message: `step "${stepName}" has no field "${fieldId}"${known.length > 0 ? ` (its fields: ${known.join(', ')})` : ' (it has no fields)'}`,
      });
      continue;
    }
    const problem = checkFieldValue(fd, value);
    if (problem) fieldIssues.push({ path: ['fields', fieldId], message: problem });
  }
  if (fieldIssues.length > 0) {
    return err('VALIDATION', `Step "${stepName}": ${fieldIssues[0]?.message}.`, fieldIssues);
  }

  const fields = { ...current.fields };
  for (const [k, v] of Object.entries(update.fields ?? {})) {
    if (v === null) delete fields[k];
    else fields[k] = v;
  }

  const status = update.status ?? current.status;
  if (status !== current.status && status === 'Finished') {
    const missing = (def?.fields ?? []).filter((f) => f.required && (fields[f.id] === undefined || fields[f.id] === ''));
    if (missing.length > 0) {
      return err(
        'VALIDATION',
        `Step "${stepName}" cannot be finished: fill in ${missing.map((f) => `"${f.label}"`).join(', ')} first.`,
        missing.map((f) => ({ path: ['fields', f.id], message: 'required to finish the step' })),
      );
    }
    if (def?.signoff?.mandatory) {
      const so = signoffs[stepId];
      const st = so?.status ?? 'Not started';
      if (st !== 'Approved') {
        return err(
          'SIGNOFF_REQUIRED',
          `Step "${stepName}" cannot be finished: its mandatory sign-off is "${st}"; it must be Approved by a final approver first.`,
          [{ path: ['status'], message: `the sign-off of step "${stepName}" is ${st}` }],
        );
      }
    }
  }
  if (status !== current.status && (status === 'Ongoing' || status === 'Finished') && template) {
    const lockedBy = template.steps.findIndex((s, i) => i < index && s.signoff !== undefined && signoffs[s.id]?.status === 'Rejected');
    const locker = template.steps[lockedBy];
    if (locker) {
      return err(
        'WORKFLOW_LOCKED',
        `Step "${stepName}" cannot become ${status}: the sign-off of step "${locker.name}" is Rejected; reset the sign-off to start a new round.`,
        [{ path: ['status'], message: `locked by the Rejected sign-off of step "${locker.name}"` }],
      );
    }
  }

  const next: StepState = {
    ...current,
    status,
    fields,
    updatedAt: now,
    updatedBy: actorId,
  };
  if (update.notes !== undefined) next.notes = update.notes;
  if (update.links !== undefined) next.links = update.links;
  return ok({ ...workflow, steps: workflow.steps.map((s, i) => (i === index ? next : s)) });
}

/**
 * After an admitted deployment to a production infrastructure: the template's production step
 * becomes Ongoing (unless it is already Ongoing or Finished) and every earlier step Finished.
 * Returns undefined when the template has no production step or nothing changes. When `signoffs`
 * are given, a step whose mandatory sign-off is not Approved is left as it is (a deploy under an
 * `always` or `warn` policy does not finish a review that never approved it).
 */
export function advanceToProduction(
  workflow: WorkflowState,
  template: WorkflowTemplate,
  now: string,
  signoffs?: Readonly<Record<string, Signoff>>,
): WorkflowState | undefined;
export function advanceToProduction(
  workflow: WorkflowState,
  template: WorkflowTemplate,
  actor: Principal,
  now: string,
  signoffs?: Readonly<Record<string, Signoff>>,
): WorkflowState | undefined;
export function advanceToProduction(
  workflow: WorkflowState,
  template: WorkflowTemplate,
  a: string | Principal,
  b?: string | Readonly<Record<string, Signoff>>,
  c?: Readonly<Record<string, Signoff>>,
): WorkflowState | undefined {
  const now = typeof a === 'string' ? a : (b as string);
  const actorId = typeof a === 'string' ? 'system' : a.id;
  const signoffs = typeof a === 'string' ? (b as Readonly<Record<string, Signoff>> | undefined) : c;
  const prodIndex = template.steps.findIndex((s) => s.production);
  const prod = template.steps[prodIndex];
  if (!prod) return undefined;
  const order = new Map(template.steps.map((s, i) => [s.id, i]));
  let changed = false;
  const steps = workflow.steps.map((s) => {
    const i = order.get(s.id);
    if (i === undefined || i > prodIndex) return s;
    let target: StepState['status'];
    if (i === prodIndex) target = s.status === 'Not started' ? 'Ongoing' : s.status;
    else {
      const def = template.steps[i];
      const blocked = signoffs !== undefined && def?.signoff?.mandatory === true && signoffs[s.id]?.status !== 'Approved';
      target = blocked ? s.status : 'Finished';
    }
    if (target === s.status) return s;
    changed = true;
    return { ...s, status: target, updatedAt: now, updatedBy: actorId };
  });
  return changed ? { ...workflow, steps } : undefined;
}
