import { describe, expect, it } from 'vitest';
import type { Signoff, SignoffStatus } from '../signoff/schema.js';
import type { Principal } from '../schemas/principal.js';
import { WorkflowState, type WorkflowTemplate } from './schema.js';
import { STANDARD_ITEM_TEMPLATE, STANDARD_PROJECT_TEMPLATE, newSignoff, newWorkflowState, validateTemplate } from './templates.js';
import { advanceToProduction, updateStep } from './steps.js';

const NOW = '2026-03-01T10:00:00.000Z';
const item = STANDARD_ITEM_TEMPLATE;
const project = STANDARD_PROJECT_TEMPLATE;
const so = (status: SignoffStatus): Record<string, Signoff> => ({ review: { ...newSignoff(NOW), status } });

function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('updateStep', () => {
  it('sets status, notes, links and fields, stamping who and when, without touching the input', () => {
    const w = newWorkflowState(project);
    const before = structuredClone(w);
    const r = must(
      updateStep(w, project, {}, 'qualification', {
        status: 'Ongoing',
        notes: 'looks promising',
        links: [{ title: 'Plan', url: 'https://example.com/plan' }],
        fields: { value: 4, risk: 2, decision: 'Go', plan: 'ship in Q3' },
      }, NOW, 'olivia'),
    );
    expect(w).toEqual(before);
    expect(WorkflowState.parse(r)).toEqual(r);
    const q = r.steps[1];
    expect(q).toMatchObject({ status: 'Ongoing', notes: 'looks promising', updatedAt: NOW, updatedBy: 'olivia' });
    expect(q?.fields).toEqual({ value: 4, risk: 2, decision: 'Go', plan: 'ship in Q3' });
    expect(r.steps[0]).toEqual(w.steps[0]);
    // fields merge; null clears
    const r2 = must(updateStep(r, project, {}, 'qualification', { fields: { risk: null, feasibility: 5 } }, NOW, 'olivia'));
    expect(r2.steps[1]?.fields).toEqual({ value: 4, decision: 'Go', plan: 'ship in Q3', feasibility: 5 });
    expect(r2.steps[1]?.notes).toBe('looks promising');
  });

  it('accepts the object form with a principal', () => {
    const actor: Principal = { kind: 'user', id: 'olivia', username: 'olivia', displayName: 'Olivia', roles: [], groups: [] };
    const r = must(updateStep({ workflow: newWorkflowState(project), template: project, signoffs: {}, stepId: 'exploration', update: { status: 'Finished' }, actor, now: NOW }));
    expect(r.steps[0]).toMatchObject({ status: 'Finished', updatedBy: 'olivia' });
  });

  it('unknown step: NOT_FOUND with the path', () => {
    const r = updateStep(newWorkflowState(project), project, {}, 'nope', { status: 'Ongoing' }, NOW, 'u');
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', issues: [{ path: ['stepId'] }] } });
  });

  const badFields: [string, Record<string, unknown>, string][] = [
    ['unknown field', { colour: 'red' }, 'has no field "colour"'],
    ['number as text', { value: 'high' }, 'takes a number'],
    ['rating above max', { value: 6 }, 'at most 5'],
    ['rating below min', { risk: 0 }, 'at least 1'],
    ['select outside options', { decision: 'Maybe' }, 'must be one of'],
    ['longtext as number', { plan: 3 }, 'takes text'],
  ];
  it.each(badFields)('field check: %s → VALIDATION naming the field', (_n, fields, message) => {
    const r = updateStep(newWorkflowState(project), project, {}, 'qualification', { fields } as never, NOW, 'u');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('VALIDATION');
      expect(r.error.issues?.[0]?.path).toEqual(['fields', Object.keys(fields)[0]]);
      expect(r.error.message).toContain(message);
    }
  });

  it('checks text, date and boolean fields and required fields on finish', () => {
    const t = must(
      validateTemplate({
        id: 'c',
        name: 'C',
        appliesTo: ['bundle'],
        createdAt: NOW,
        steps: [
          {
            id: 's',
            name: 'S',
            fields: [
              { id: 't', label: 'T', type: 'text' },
              { id: 'd', label: 'D', type: 'date', required: true },
              { id: 'b', label: 'B', type: 'boolean' },
            ],
          },
        ],
      }),
    );
    const w = newWorkflowState(t);
    const code = (fields: Record<string, unknown>) => {
      const r = updateStep(w, t, {}, 's', { fields } as never, NOW, 'u');
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code({ t: 'x'.repeat(2000) })).toBe('ok');
    expect(code({ t: 'x'.repeat(2001) })).toBe('VALIDATION');
    expect(code({ d: '2026-02-28' })).toBe('ok');
    expect(code({ d: '2026-02-30' })).toBe('VALIDATION');
    expect(code({ d: NOW })).toBe('ok');
    expect(code({ d: 'tomorrow' })).toBe('VALIDATION');
    expect(code({ b: true })).toBe('ok');
    expect(code({ b: 'yes' })).toBe('VALIDATION');
    const fin = updateStep(w, t, {}, 's', { status: 'Finished' }, NOW, 'u');
    expect(fin).toMatchObject({ ok: false, error: { code: 'VALIDATION', issues: [{ path: ['fields', 'd'] }] } });
    expect(updateStep(w, t, {}, 's', { status: 'Finished', fields: { d: '2026-01-01' } }, NOW, 'u').ok).toBe(true);
  });

  it('refuses unknown update properties and bad links', () => {
    const w = newWorkflowState(project);
    expect(updateStep(w, project, {}, 'exploration', { colour: 'red' } as never, NOW, 'u')).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const r = updateStep(w, project, {}, 'exploration', { links: [{ title: 'x', url: 'ftp://x' }] }, NOW, 'u');
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION', issues: [{ path: ['links', 0, 'url'] }] } });
  });

  const statuses: SignoffStatus[] = ['Not started', 'Waiting for feedback', 'Waiting for final approval', 'Approved', 'Rejected', 'Abandoned'];
  it.each(statuses)('mandatory sign-off %s: Review may finish only when Approved', (st) => {
    const r = updateStep(newWorkflowState(item), item, so(st), 'review', { status: 'Finished' }, NOW, 'u');
    if (st === 'Approved') expect(r.ok).toBe(true);
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('SIGNOFF_REQUIRED');
        expect(r.error.message).toContain(`mandatory sign-off is "${st}"`);
        expect(r.error.message).toContain('Review');
      }
    }
    // Ongoing is always fine for the Review step itself
    expect(updateStep(newWorkflowState(item), item, so(st), 'review', { status: 'Ongoing' }, NOW, 'u').ok).toBe(true);
  });

  it('a missing sign-off record counts as Not started', () => {
    const r = updateStep(newWorkflowState(item), item, {}, 'review', { status: 'Finished' }, NOW, 'u');
    expect(r).toMatchObject({ ok: false, error: { code: 'SIGNOFF_REQUIRED' } });
  });

  it('a non-mandatory sign-off does not block finishing', () => {
    const t = must(validateTemplate({ id: 'c', name: 'C', appliesTo: ['bundle'], createdAt: NOW, steps: [{ id: 'review', name: 'R', signoff: { mandatory: false } }] }));
    expect(updateStep(newWorkflowState(t), t, so('Waiting for feedback'), 'review', { status: 'Finished' }, NOW, 'u').ok).toBe(true);
  });

  it.each(['signed-off', 'production'])('Rejected locks step %s after Review (Ongoing and Finished), not earlier steps', (stepId) => {
    const w = newWorkflowState(item);
    for (const status of ['Ongoing', 'Finished'] as const) {
      const r = updateStep(w, item, so('Rejected'), stepId, { status }, NOW, 'u');
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('WORKFLOW_LOCKED');
        expect(r.error.message).toContain('reset the sign-off to start a new round');
      }
    }
    expect(updateStep(w, item, so('Rejected'), stepId, { status: 'Not started', notes: 'blocked' }, NOW, 'u').ok).toBe(true);
    expect(updateStep(w, item, so('Rejected'), 'development', { status: 'Finished' }, NOW, 'u').ok).toBe(true);
    expect(updateStep(w, item, so('Approved'), stepId, { status: 'Finished' }, NOW, 'u').ok).toBe(true);
    expect(updateStep(w, item, so('Waiting for feedback'), stepId, { status: 'Ongoing' }, NOW, 'u').ok).toBe(true);
  });

  it('re-setting the status a step already has is not a change (notes stay editable)', () => {
    const w = must(updateStep(newWorkflowState(item), item, so('Approved'), 'signed-off', { status: 'Ongoing' }, NOW, 'u'));
    const r = updateStep(w, item, so('Rejected'), 'signed-off', { status: 'Ongoing', notes: 'n' }, NOW, 'u');
    expect(r.ok).toBe(true);
  });
});

describe('advanceToProduction', () => {
  it('finishes earlier steps and starts the production step', () => {
    const w = advanceToProduction(newWorkflowState(item), item, NOW);
    expect(w?.steps.map((s) => s.status)).toEqual(['Finished', 'Finished', 'Finished', 'Ongoing']);
    expect(w?.steps[3]).toMatchObject({ updatedAt: NOW, updatedBy: 'system' });
  });

  it('accepts an actor, keeps a finished production step, returns undefined when nothing changes', () => {
    const actor: Principal = { kind: 'system', id: 'system' };
    const w = advanceToProduction(newWorkflowState(item), item, actor, NOW);
    expect(w).toBeDefined();
    if (!w) return;
    expect(advanceToProduction(w, item, NOW)).toBeUndefined();
    const finished = { ...w, steps: w.steps.map((s) => ({ ...s, status: 'Finished' as const })) };
    expect(advanceToProduction(finished, item, NOW)).toBeUndefined();
  });

  it('leaves a mandatory review that is not Approved when the sign-offs are given', () => {
    const w = advanceToProduction(newWorkflowState(item), item, NOW, so('Rejected'));
    expect(w?.steps.map((s) => s.status)).toEqual(['Finished', 'Not started', 'Finished', 'Ongoing']);
    const a = advanceToProduction(newWorkflowState(item), item, NOW, so('Approved'));
    expect(a?.steps.map((s) => s.status)).toEqual(['Finished', 'Finished', 'Finished', 'Ongoing']);
  });

  it('undefined without a production step', () => {
    expect(advanceToProduction(newWorkflowState(project), project, NOW)).toBeUndefined();
  });
});

export type { WorkflowTemplate };
