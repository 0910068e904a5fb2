import { describe, expect, it } from 'vitest';
import { Signoff } from '../signoff/schema.js';
import { WorkflowState, WorkflowTemplate } from './schema.js';
import {
  BUILTIN_CREATED_AT,
  STANDARD_FEEDBACK_GROUPS,
  builtinTemplates,
  feedbackGroupsOf,
  newSignoff,
  newWorkflowState,
  signoffsFor,
  validateTemplate,
} from './templates.js';

const NOW = '2026-01-01T00:00:00.000Z';
const project = builtinTemplates.find((t) => t.id === 'standard-project');
const item = builtinTemplates.find((t) => t.id === 'standard-item');

function custom(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'custom',
    name: 'Custom',
    appliesTo: ['bundle'],
    createdAt: NOW,
    steps: [
      { id: 'a', name: 'A', fields: [{ id: 'f', label: 'F', type: 'text' }] },
      { id: 'b', name: 'B', signoff: { mandatory: false, feedbackGroups: [{ id: 'g', name: 'G', quorum: 2 }], expiresAfter: 'P90D' } },
    ],
    ...over,
  };
}

describe('builtin templates', () => {
  it('are valid templates with the fixed creation time', () => {
    expect(builtinTemplates.map((t) => t.id)).toEqual(['standard-project', 'standard-item']);
    for (const t of builtinTemplates) {
      expect(WorkflowTemplate.parse(t)).toEqual(t);
      expect(validateTemplate(t).ok).toBe(true);
      expect(t.builtin).toBe(true);
      expect(t.createdAt).toBe(BUILTIN_CREATED_AT);
    }
  });

  it('standard-project has the five project steps and qualification fields', () => {
    expect(project?.appliesTo).toEqual(['project']);
    expect(project?.steps.map((s) => s.name)).toEqual([
      'Exploration',
      'Qualification',
      'In Progress',
      'Validation and Roll-out',
      'Delivered',
    ]);
    const q = project?.steps.find((s) => s.id === 'qualification');
    expect(q?.fields.map((f) => f.id)).toEqual(['value', 'risk', 'feasibility', 'decision', 'comments', 'plan']);
    expect(q?.fields.find((f) => f.id === 'decision')?.options).toEqual(['Undecided', 'Go', 'No go', 'On hold']);
    expect(q?.fields.find((f) => f.id === 'risk')).toMatchObject({ type: 'number', min: 1, max: 5 });
    expect(project?.steps.some((s) => s.signoff)).toBe(false);
  });

  it('standard-item: Development, Review (mandatory sign-off, SoD, standard groups), Signed-off, Production', () => {
    expect(item?.appliesTo).toEqual(['bundle', 'modelVersion']);
    expect(item?.steps.map((s) => s.name)).toEqual(['Development', 'Review', 'Signed-off', 'Production']);
    const review = item?.steps[1];
    expect(review?.signoff).toEqual({ mandatory: true, separationOfDuties: true, feedbackGroups: [...STANDARD_FEEDBACK_GROUPS] });
    expect(STANDARD_FEEDBACK_GROUPS.map((g) => [g.id, g.name])).toEqual([
      ['it-operations', 'IT & Operations'],
      ['risk-compliance', 'Risk & Compliance'],
      ['business', 'Business'],
    ]);
    expect(item?.steps.filter((s) => s.production).map((s) => s.id)).toEqual(['production']);
  });

  it('are frozen so no caller can change them for everyone', () => {
    expect(() => {
      (item?.steps as unknown as unknown[]).push({});
    }).toThrow();
    expect(Object.isFrozen(STANDARD_FEEDBACK_GROUPS[0])).toBe(true);
  });
});

describe('validateTemplate', () => {
  it('accepts a custom template and applies defaults', () => {
    const r = validateTemplate(custom());
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.builtin).toBe(false);
      expect(r.value.steps[1]?.signoff?.separationOfDuties).toBe(true);
    }
  });

  const cases: [string, Record<string, unknown>, (string | number)[]][] = [
    ['duplicate step ids', { steps: [{ id: 'a', name: 'A' }, { id: 'a', name: 'A2' }] }, ['steps', 1, 'id']],
    [
      'duplicate field ids',
      { steps: [{ id: 'a', name: 'A', fields: [{ id: 'f', label: 'F', type: 'text' }, { id: 'f', label: 'G', type: 'number' }] }] },
      ['steps', 0, 'fields', 1, 'id'],
    ],
    [
      'duplicate group ids',
      { steps: [{ id: 'a', name: 'A', signoff: { mandatory: true, feedbackGroups: [{ id: 'g', name: 'G' }, { id: 'g', name: 'H' }] } }] },
      ['steps', 0, 'signoff', 'feedbackGroups', 1, 'id'],
    ],
    [
      'negative quorum',
      { steps: [{ id: 'a', name: 'A', signoff: { mandatory: true, feedbackGroups: [{ id: 'g', name: 'G', quorum: -1 }] } }] },
      ['steps', 0, 'signoff', 'feedbackGroups', 0, 'quorum'],
    ],
    [
      'two production steps',
      { steps: [{ id: 'a', name: 'A', production: true }, { id: 'b', name: 'B', production: true }] },
      ['steps', 1, 'production'],
    ],
    [
      'bad expiresAfter',
      { steps: [{ id: 'a', name: 'A', signoff: { mandatory: true, expiresAfter: '90 days' } }] },
      ['steps', 0, 'signoff', 'expiresAfter'],
    ],
    [
      'zero expiresAfter',
      { steps: [{ id: 'a', name: 'A', signoff: { mandatory: true, expiresAfter: 'P0D' } }] },
      ['steps', 0, 'signoff', 'expiresAfter'],
    ],
    [
      'select without options',
      { steps: [{ id: 'a', name: 'A', fields: [{ id: 'f', label: 'F', type: 'select' }] }] },
      ['steps', 0, 'fields', 0, 'options'],
    ],
    [
      'min above max',
      { steps: [{ id: 'a', name: 'A', fields: [{ id: 'f', label: 'F', type: 'number', min: 5, max: 1 }] }] },
      ['steps', 0, 'fields', 0, 'min'],
    ],
    ['no steps', { steps: [] }, ['steps']],
    ['bad step id', { steps: [{ id: 'Not An Id', name: 'A' }] }, ['steps', 0, 'id']],
  ];
  it.each(cases)('refuses %s with the path', (_name, over, path) => {
    const r = validateTemplate(custom(over));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('VALIDATION');
      expect(r.error.issues?.map((i) => i.path)).toContainEqual(path);
      expect(r.error.message).toContain(path.join('.'));
    }
  });
});

describe('fresh states', () => {
  it('newWorkflowState: every step Not started', () => {
    const w = newWorkflowState(project as WorkflowTemplate);
    expect(WorkflowState.parse(w)).toEqual(w);
    expect(w.templateId).toBe('standard-project');
    expect(w.steps.map((s) => s.status)).toEqual(Array(5).fill('Not started'));
  });

  it('newSignoff: Not started, round 1', () => {
    const s = newSignoff(NOW);
    expect(Signoff.parse(s)).toEqual(s);
    expect(s).toMatchObject({ status: 'Not started', round: 1, feedback: [], updatedAt: NOW });
  });

  it('signoffsFor: one per step with a sign-off', () => {
    expect(Object.keys(signoffsFor(item as WorkflowTemplate, NOW))).toEqual(['review']);
    expect(signoffsFor(project as WorkflowTemplate, NOW)).toEqual({});
    const r = validateTemplate(custom());
    if (!r.ok) throw new Error('invalid');
    expect(Object.keys(signoffsFor(r.value, NOW))).toEqual(['b']);
    expect(feedbackGroupsOf(r.value.steps[1])).toEqual([{ id: 'g', name: 'G', quorum: 2 }]);
    expect(feedbackGroupsOf(r.value.steps[0])).toBe(STANDARD_FEEDBACK_GROUPS);
  });
});
