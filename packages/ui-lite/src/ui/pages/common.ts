import type { Assignee, FieldDefinition, FieldValue, Group, Item, StepDefinition, StepState, User, WorkflowTemplate } from '@signoff/core';
import { badge, time } from '../format.js';
import { html, type Html } from '../html.js';
import { csrfField, type PageContext } from '../layout.js';

export interface Directory {
  users: Map<string, User>;
  groups: Map<string, Group>;
  apiKeys: Map<string, { id: string; name: string }>;
}

export function who(dir: Directory, id: string): string {
  const u = dir.users.get(id);
  if (u) return u.displayName;
  const k = dir.apiKeys.get(id);
  if (k) return `API key ${k.name}`;
  return id === 'system' ? 'system' : id;
}

export function assigneeLabel(dir: Directory, a: Assignee): string {
  switch (a.kind) {
    case 'user': {
      const u = dir.users.get(a.id);
      return u ? `${u.displayName} (${u.username})` : `user ${a.id}`;
    }
    case 'group':
      return `group ${dir.groups.get(a.id)?.name ?? a.id}`;
    case 'role':
      return `role ${a.id}`;
    case 'apiKey':
      return `API key ${dir.apiKeys.get(a.id)?.name ?? a.id}`;
  }
}

export const encodeAssignee = (a: Assignee): string => `${a.kind}:${a.id}`;

export function decodeAssignee(s: string): Assignee | undefined {
  const i = s.indexOf(':');
  if (i < 0) return undefined;
  const kind = s.slice(0, i);
  const id = s.slice(i + 1).trim();
  if (!id || (kind !== 'user' && kind !== 'group' && kind !== 'role' && kind !== 'apiKey')) return undefined;
  return { kind, id };
}

export function signoffStatusOf(item: Item): string {
  const first = Object.values(item.signoffs)[0];
  return first?.status ?? 'Not started';
}

export function currentStep(steps: readonly StepState[], template: WorkflowTemplate | undefined): string {
  const cur = steps.find((s) => s.status !== 'Finished') ?? steps.at(-1);
  if (!cur) return '';
  return template?.steps.find((d) => d.id === cur.id)?.name ?? cur.id;
}

export function progress(steps: readonly StepState[], template: WorkflowTemplate | undefined): Html {
  const done = steps.filter((s) => s.status === 'Finished').length;
  return html`<span>${currentStep(steps, template)}</span> <span class="muted">(${done}/${steps.length} finished)</span>`;
}

function fieldInput(id: string, def: FieldDefinition, value: FieldValue | undefined, disabled: boolean): Html {
  const name = `field.${def.id}`;
  const v = value === null || value === undefined ? '' : String(value);
  const dis = disabled ? html` disabled` : '';
  switch (def.type) {
    case 'longtext':
      return html`<div class="field"><label for="${id}">${def.label}</label><textarea id="${id}" name="${name}"${dis}>${v}</textarea></div>`;
    case 'select':
      return html`<div class="field"><label for="${id}">${def.label}</label><select id="${id}" name="${name}"${dis}><option value="">(none)</option>${(def.options ?? []).map(
        (o) => html`<option${o === v ? html` selected` : ''}>${o}</option>`,
      )}</select></div>`;
    case 'boolean':
      return html`<div class="field"><label class="check"><input type="checkbox" name="${name}" value="true"${value === true ? html` checked` : ''}${dis}> ${def.label}</label></div>`;
    case 'number':
      return html`<div class="field"><label for="${id}">${def.label}</label><input type="number" step="any" id="${id}" name="${name}" value="${v}"${dis}></div>`;
    case 'date':
      return html`<div class="field"><label for="${id}">${def.label}</label><input type="date" id="${id}" name="${name}" value="${v}"${dis}></div>`;
    case 'text':
      return html`<div class="field"><label for="${id}">${def.label}</label><input type="text" id="${id}" name="${name}" value="${v}"${dis}></div>`;
  }
}

/** Reads `field.<id>` form fields back into typed values for the step's definitions. */
export function readFields(body: Record<string, unknown>, def: StepDefinition | undefined): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of def?.fields ?? []) {
    const raw = body[`field.${f.id}`];
    const s = typeof raw === 'string' ? raw : '';
    if (f.type === 'boolean') out[f.id] = s === 'true';
    else if (f.type === 'number') out[f.id] = s === '' ? null : Number(s);
    else out[f.id] = s === '' ? null : s;
  }
  return out;
}

export interface StepView {
  state: StepState;
  def: StepDefinition | undefined;
  /** May the viewer edit this workflow at all. */
  editable: boolean;
  /** Whether Ongoing / Finished are possible now, with the reason when not. */
  ongoing: { ok: true } | { ok: false; reason: string };
  finished: { ok: true } | { ok: false; reason: string };
  extra?: Html;
  /** The step's fields are edited elsewhere on the page (the project's qualification form). */
  hideFields?: boolean;
}

/** The workflow as an ordered list; each step with status, notes, fields and its buttons. */
export function workflowList(ctx: PageContext, action: string, steps: StepView[], dir: Directory): Html {
  return html`<ol class="steps">${steps.map((s, i) => {
    const name = s.def?.name ?? s.state.id;
    const hid = `step-${s.state.id}`;
    const reasonId = `why-${s.state.id}`;
    const fin = s.finished;
    return html`<li class="st-${s.state.status.replace(' ', '')}" id="${hid}"><h3>${i + 1}. ${name} ${badge(s.state.status)}${
      s.def?.signoff ? html` <span class="muted">(${s.def.signoff.mandatory ? 'mandatory sign-off' : 'optional sign-off'})</span>` : ''
    }</h3>${s.def?.description ? html`<p class="muted">${s.def.description}</p>` : ''}${
      s.state.updatedAt ? html`<p class="muted">Updated ${time(s.state.updatedAt, ctx.now)}${s.state.updatedBy ? html` by ${who(dir, s.state.updatedBy)}` : ''}</p>` : ''
    }${
      s.editable
        ? html`<form method="post" action="${action}/${s.state.id}">${csrfField(ctx)}
<div class="field"><label for="notes-${s.state.id}">Notes for ${name}</label><textarea id="notes-${s.state.id}" name="notes">${s.state.notes}</textarea></div>
${s.hideFields ? '' : (s.def?.fields ?? []).map((f) => fieldInput(`f-${s.state.id}-${f.id}`, f, s.state.fields[f.id], false))}
<div class="actions"><button type="submit" name="status" value="" class="secondary">Save notes</button>${
            s.state.status === 'Not started'
              ? html`<button type="submit" name="status" value="Ongoing"${s.ongoing.ok ? '' : html` disabled`}>Set as Ongoing</button>`
              : ''
          }${
            s.state.status !== 'Finished'
              ? html`<button type="submit" name="status" value="Finished"${fin.ok ? '' : html` disabled aria-describedby="${reasonId}"`}>Set as Finished</button>`
              : html`<button type="submit" name="status" value="Ongoing" class="secondary">Reopen (set as Ongoing)</button>`
          }</div>${!fin.ok && s.state.status !== 'Finished' ? html`<p class="msg note" id="${reasonId}">Cannot finish ${name}: ${fin.reason}</p>` : ''}</form>`
        : html`${s.state.notes ? html`<p>${s.state.notes}</p>` : ''}${
            (s.def?.fields ?? []).length && !s.hideFields
              ? html`<dl class="kv">${(s.def?.fields ?? []).map((f) => html`<dt>${f.label}</dt><dd>${s.state.fields[f.id] === undefined || s.state.fields[f.id] === null ? '—' : String(s.state.fields[f.id])}</dd>`)}</dl>`
              : ''
          }`
    }${s.extra ?? ''}</li>`;
  })}</ol>`;
}
