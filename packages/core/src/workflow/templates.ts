/*
 * Workflow templates as data: the two builtin templates, template validation, and fresh
 * workflow / sign-off states for a newly governed project or item.
 */
import { err, issuesFromZod, ok, type FieldIssue, type Result } from '../result.js';
import type { Signoff } from '../signoff/schema.js';
import { parseDuration } from '../signoff/duration.js';
import {
  WorkflowTemplate,
  type FeedbackGroupDefinition,
  type StepDefinition,
  type WorkflowState,
} from './schema.js';

/** Builtin records carry a fixed creation time so that they are identical everywhere. */
export const BUILTIN_CREATED_AT = '1970-01-01T00:00:00.000Z';
export const STANDARD_PROJECT_TEMPLATE_ID = 'standard-project';
export const STANDARD_ITEM_TEMPLATE_ID = 'standard-item';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The default feedback groups of a sign-off (Dataiku Govern's three), no quorum. */
export const STANDARD_FEEDBACK_GROUPS: readonly FeedbackGroupDefinition[] = deepFreeze([
  { id: 'it-operations', name: 'IT & Operations', quorum: 0 },
  { id: 'risk-compliance', name: 'Risk & Compliance', quorum: 0 },
  { id: 'business', name: 'Business', quorum: 0 },
]);
/** Alias of {@link STANDARD_FEEDBACK_GROUPS}. */
export const standardFeedbackGroups = STANDARD_FEEDBACK_GROUPS;

const rating = (id: string, label: string) =>
  ({ id, label, type: 'number', required: false, min: 1, max: 5 }) as const;

const step = (s: Partial<StepDefinition> & Pick<StepDefinition, 'id' | 'name'>): StepDefinition => ({
  description: '',
  fields: [],
  production: false,
  ...s,
});

/** Exploration → Qualification → In Progress → Validation and Roll-out → Delivered. */
export const STANDARD_PROJECT_TEMPLATE: WorkflowTemplate = deepFreeze({
  id: STANDARD_PROJECT_TEMPLATE_ID,
  name: 'Standard project workflow',
  description: 'The standard workflow of a governed project.',
  appliesTo: ['project'],
  builtin: true,
  createdAt: BUILTIN_CREATED_AT,
  steps: [
    step({ id: 'exploration', name: 'Exploration', description: 'Explore the idea, the data and the stakeholders.' }),
    step({
      id: 'qualification',
      name: 'Qualification',
      description: 'Qualify the project to prioritise work: value, risk and feasibility, then decide.',
      fields: [
        rating('value', 'Value rating (1-5)'),
        rating('risk', 'Risk rating (1-5)'),
        rating('feasibility', 'Feasibility rating (1-5)'),
        {
          id: 'decision',
          label: 'Resulting decision',
          type: 'select',
          options: ['Undecided', 'Go', 'No go', 'On hold'],
          required: false,
        },
        { id: 'comments', label: 'Comments on the decision', type: 'longtext', required: false },
        { id: 'plan', label: 'Project plan', type: 'longtext', required: false },
      ],
    }),
    step({ id: 'in-progress', name: 'In Progress', description: 'Build the project.' }),
    step({
      id: 'validation-rollout',
      name: 'Validation and Roll-out',
      description: 'Validate the results and roll the project out.',
    }),
    step({ id: 'delivered', name: 'Delivered', description: 'The project is delivered.' }),
  ],
});

/** Development → Review (mandatory sign-off) → Signed-off → Production, for bundles and model versions. */
export const STANDARD_ITEM_TEMPLATE: WorkflowTemplate = deepFreeze({
  id: STANDARD_ITEM_TEMPLATE_ID,
  name: 'Standard bundle and model version workflow',
  description: 'Development, a Review step with a mandatory sign-off, Signed-off, Production.',
  appliesTo: ['bundle', 'modelVersion'],
  builtin: true,
  createdAt: BUILTIN_CREATED_AT,
  steps: [
    step({ id: 'development', name: 'Development', description: 'The artifact is being built.' }),
    step({
      id: 'review',
      name: 'Review',
      description: 'Feedback from the reviewers, then the final approval.',
      signoff: {
        mandatory: true,
        feedbackGroups: STANDARD_FEEDBACK_GROUPS.map((g) => ({ ...g })),
        separationOfDuties: true,
      },
    }),
    step({ id: 'signed-off', name: 'Signed-off', description: 'Approved, ready to deploy.' }),
    step({
      id: 'production',
      name: 'Production',
      description: 'Deployed to a production infrastructure.',
      production: true,
    }),
  ],
});

export const builtinTemplates: readonly WorkflowTemplate[] = Object.freeze([
  STANDARD_PROJECT_TEMPLATE,
  STANDARD_ITEM_TEMPLATE,
]);

function firstDuplicates<T>(values: readonly T[]): number[] {
  const seen = new Set<T>();
  const dup: number[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) dup.push(i);
    seen.add(v);
  });
  return dup;
}

/**
 * Validate a template (builtin or custom): the zod schema, then unique step ids, unique field ids
 * per step, unique feedback group ids per sign-off, select fields with options, number bounds in
 * order, non-negative quorums, at most one production step, and `expiresAfter` as an ISO 8601
 * duration. Returns the parsed template (defaults applied) or every issue with its path.
 */
export function validateTemplate(t: unknown): Result<WorkflowTemplate> {
  const parsed = WorkflowTemplate.safeParse(t);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues);
    return err('VALIDATION', `The workflow template is invalid: ${describe(issues[0])}.`, issues);
  }
  const tpl = parsed.data;
  const issues: FieldIssue[] = [];
  for (const i of firstDuplicates(tpl.steps.map((s) => s.id))) {
    issues.push({ path: ['steps', i, 'id'], message: `step id "${tpl.steps[i]?.id}" is used by another step` });
  }
  tpl.steps.forEach((s, i) => {
    for (const j of firstDuplicates(s.fields.map((f) => f.id))) {
      issues.push({ path: ['steps', i, 'fields', j, 'id'], message: `field id "${s.fields[j]?.id}" is used twice in step "${s.id}"` });
    }
    s.fields.forEach((f, j) => {
      if (f.type === 'select' && (f.options === undefined || f.options.length === 0)) {
        issues.push({ path: ['steps', i, 'fields', j, 'options'], message: 'a select field needs at least one option' });
      }
      if (f.min !== undefined && f.max !== undefined && f.min > f.max) {
        issues.push({ path: ['steps', i, 'fields', j, 'min'], message: `min ${f.min} is greater than max ${f.max}` });
      }
    });
    const so = s.signoff;
    if (so) {
      const groups = so.feedbackGroups ?? [];
      for (const j of firstDuplicates(groups.map((g) => g.id))) {
        issues.push({
          path: ['steps', i, 'signoff', 'feedbackGroups', j, 'id'],
          message: `feedback group id "${groups[j]?.id}" is used twice`,
        });
      }
      groups.forEach((g, j) => {
        if (!(g.quorum >= 0)) {
          issues.push({ path: ['steps', i, 'signoff', 'feedbackGroups', j, 'quorum'], message: 'quorum must be 0 or more' });
        }
      });
      if (so.expiresAfter !== undefined) {
        const d = parseDuration(so.expiresAfter);
        if (!d.ok) issues.push({ path: ['steps', i, 'signoff', 'expiresAfter'], message: d.error.message });
      }
    }
  });
  const production = tpl.steps.flatMap((s, i) => (s.production ? [i] : []));
  for (const i of production.slice(1)) {
    issues.push({ path: ['steps', i, 'production'], message: 'only one step may be the production step' });
  }
  if (issues.length > 0) {
    return err('VALIDATION', `The workflow template is invalid: ${describe(issues[0])}.`, issues);
  }
  return ok(tpl);
}

function describe(issue: FieldIssue | undefined): string {
  if (!issue) return 'unknown problem';
  return `${issue.path.join('.')}: ${issue.message}`;
}

/** A fresh workflow for `template`: every step Not started, no notes, links or field values. */
export function newWorkflowState(template: WorkflowTemplate, _now?: string): WorkflowState {
  return {
    templateId: template.id,
    steps: template.steps.map((s) => ({ id: s.id, status: 'Not started', notes: '', links: [], fields: {} })),
  };
}

/** A fresh sign-off: Not started, round 1, nothing reviewed. */
export function newSignoff(now: string): Signoff {
  return { status: 'Not started', round: 1, feedback: [], delegations: [], notified: [], updatedAt: now };
}

/** One fresh sign-off per step of `template` that carries one, keyed by step id. */
export function signoffsFor(template: WorkflowTemplate, now: string): Record<string, Signoff> {
  const out: Record<string, Signoff> = {};
  for (const s of template.steps) if (s.signoff) out[s.id] = newSignoff(now);
  return out;
}

/** The feedback groups a step's sign-off uses: its own, or the standard three. */
export function feedbackGroupsOf(step: StepDefinition | undefined): readonly FeedbackGroupDefinition[] {
  return step?.signoff?.feedbackGroups ?? STANDARD_FEEDBACK_GROUPS;
}
