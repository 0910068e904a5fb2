/**
 * "No action offered that the server would refuse", and none hidden that it would accept: for
 * bundles in every sign-off state and for every kind of viewer (owner and creator, reviewers,
 * the final approver, an administrator), the item page's forms are read as a browser without
 * JavaScript reads them. Each offered form is submitted on a fresh item in the same state and
 * must be accepted (303 back to the item); each sign-off action or step change the page does not
 * offer is posted by hand and must be refused with a message, leaving the item unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal, type Item, type Principal, type Project, type SignoffAction } from '@signoff/core';
import { FormSession, startUiServer, type UiServer } from './support/ui-server.js';
import { formData, hiddenValue, parseForms, type ParsedForm } from './support/ui-forms.js';

const GROUPS = ['it-operations', 'risk-compliance', 'business'] as const;
const VIEWERS = ['olivia', 'bob', 'ivan', 'fiona', 'admin'] as const;
type Viewer = (typeof VIEWERS)[number];
type Recipe = { steps: boolean; actions: [Viewer | 'rita', SignoffAction][] };

const rid = (n: number) => `rev_ui_${n}`;
const request: [Viewer, SignoffAction] = ['olivia', { type: 'requestFeedback', notify: [] }];
const bobReview = (id: number): [Viewer, SignoffAction] => ['bob', { type: 'submitFeedback', reviewId: rid(id), groupId: 'business', status: 'Minor issues', comment: 'Check the drift monitor' }];
const toFinal: [Viewer, SignoffAction] = ['olivia', { type: 'requestFinalApproval', notify: [] }];

/** States of a bundle's Review sign-off, each as the actions that lead there. */
const STATES: Record<string, (n: number) => Recipe> = {
  'registered, no step started': () => ({ steps: false, actions: [] }),
  'Review ongoing, sign-off not started': () => ({ steps: true, actions: [] }),
  'waiting for feedback': () => ({ steps: true, actions: [request] }),
  'waiting for feedback, one review': (n) => ({ steps: true, actions: [request, bobReview(n)] }),
  'waiting for feedback, a delegated group': () => ({ steps: true, actions: [request, ['ivan', { type: 'delegate', delegationId: 'dlg_ui', scope: 'it-operations', to: 'USER:bob', comment: 'Please cover for me' }]] }),
  'waiting for final approval': (n) => ({ steps: true, actions: [request, bobReview(n), toFinal] }),
  rejected: (n) => ({ steps: true, actions: [request, bobReview(n), toFinal, ['fiona', { type: 'finalApproval', status: 'Rejected', comment: 'No rollback plan' }]] }),
  approved: (n) => ({ steps: true, actions: [request, bobReview(n), toFinal, ['fiona', { type: 'finalApproval', status: 'Approved', comment: 'Fine' }]] }),
  abandoned: (n) => ({ steps: true, actions: [request, bobReview(n), ['olivia', { type: 'abandon', comment: 'Superseded' }]] }),
  'reset scheduled': () => ({ steps: true, actions: [request, ['olivia', { type: 'scheduleReset', every: 'P30D' }]] }),
};

/** A key naming one candidate action, the same for a form read from the page and a hand-made post. */
function formKey(form: ParsedForm, reviewIndex: Map<string, number>): string[] {
  const action = hiddenValue(form, 'action') ?? `unknown form ${form.action}`;
  if (form.action.includes('/steps/')) {
    const stepId = form.action.split('/steps/')[1]!;
    return form.buttons.filter((b) => !b.disabled).map((b) => `step:${stepId}:${b.value || 'notes'}`);
  }
  switch (action) {
    case 'submitFeedback':
      return [`submitFeedback:${hiddenValue(form, 'groupId')}`];
    case 'delegate':
      return [`delegate:${hiddenValue(form, 'scope')}`];
    case 'editFeedback':
    case 'deleteFeedback':
      return [`${action}:${reviewIndex.get(hiddenValue(form, 'reviewId') ?? '') ?? '?'}`];
    case 'finalApproval':
      return form.controls.filter((c) => c.name === 'status' && c.type === 'radio').map((c) => `finalApproval:${c.value}`);
    default:
      return [action];
  }
}

describe('reviewer UI: offered actions are exactly the accepted ones', () => {
  let server: UiServer;
  let shop: Project;
  const principals = new Map<string, Principal>();
  const userIds = new Map<string, string>();
  const sessions = new Map<Viewer, { s: FormSession; csrf: string }>();
  let counter = 0;

  beforeAll(async () => {
    server = await startUiServer({ memory: true });
    const users = await server.service.listUsers(systemPrincipal);
    if (!users.ok) throw new Error(users.error.message);
    for (const u of users.value) {
      userIds.set(u.username, u.id);
      const p = await server.service.principalForUser(u.id);
      if (p.ok) principals.set(u.username, p.value);
    }
    const project = await server.service.getProject(systemPrincipal, 'shop');
    if (!project.ok) throw new Error(project.error.message);
    shop = project.value;
    for (const v of VIEWERS) {
      const s = new FormSession(server.url);
      sessions.set(v, { s, csrf: await s.signIn(v) });
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  const must = <T,>(r: { ok: true; value: T } | { ok: false; error: { message: string } }, what: string): T => {
    if (!r.ok) throw new Error(`${what}: ${r.error.message}`);
    return r.value;
  };

  /** A new bundle of `shop`, registered by Olivia, brought to the state of `recipe`. */
  async function fresh(recipe: Recipe): Promise<Item> {
    const n = ++counter;
    const svc = server.service;
    const olivia = principals.get('olivia')!;
    let item = must(
      await svc.registerItem(olivia, { kind: 'bundle', projectId: shop.id, name: 'gate', version: `r${n}`, artifacts: { images: [`registry.example.com/gate@sha256:${n.toString(16).padStart(64, '0')}`] }, importance: 'High' }),
      'register',
    );
    if (recipe.steps) {
      for (const [stepId, status] of [['development', 'Ongoing'], ['development', 'Finished'], ['review', 'Ongoing']] as const) {
        item = must(await svc.updateStep(olivia, { kind: 'item', id: item.id }, stepId, { status }), `step ${stepId}`) as Item;
      }
    }
    for (const [who, action] of recipe.actions) {
      const a = action.type === 'delegate' ? { ...action, to: userIds.get(action.to.replace('USER:', '')) ?? action.to } : action;
      item = must(await svc.signoffAction(principals.get(who)!, item.id, a), `${who} ${action.type}`);
    }
    return item;
  }

  const getItem = async (id: string) => must(await server.service.getItem(systemPrincipal, id), 'get item');

  for (const [state, recipeOf] of Object.entries(STATES)) {
    it(`${state}: every viewer's offered actions are accepted, the others refused`, async () => {
      const recipe = recipeOf(0);
      const item = await fresh(recipe);
      const reviews = item.signoffs.review?.feedback ?? [];
      const reviewIndex = new Map(reviews.map((r, i) => [r.id, i]));
      const summary: string[] = [];

      // Ivan (IT & Operations) is a reviewer like Bob; he is needed where he delegated his group.
      for (const viewer of VIEWERS.filter((v) => v !== 'ivan' || state.includes('delegated'))) {
        const { s, csrf } = sessions.get(viewer)!;
        const page = await s.get(`/items/${item.id}`);
        expect(page.status, `${viewer} opens the item`).toBe(200);
        const forms = parseForms(page.text).filter((f) => f.method === 'post' && f.action.startsWith(`/items/${item.id}/`));
        const offered = new Map<string, ParsedForm>();
        for (const f of forms) for (const k of formKey(f, reviewIndex)) offered.set(k, f);
        summary.push(`${viewer}: ${[...offered.keys()].sort().join(', ') || 'nothing'}`);

        // Every offered form, submitted as the page has it, on a fresh item in the same state.
        for (const [key, form] of offered) {
          const copy = await fresh(recipeOf(counter + 1));
          const copyReviews = copy.signoffs.review?.feedback ?? [];
          const fill: Record<string, string | string[] | null> = {};
          const [kind, arg] = key.split(':');
          if (kind === 'finalApproval' || kind === 'submitFeedback') fill.status = kind === 'finalApproval' ? arg! : 'Approved';
          if (kind === 'editFeedback' || kind === 'deleteFeedback') fill.reviewId = copyReviews[Number(arg)]!.id;
          if (kind === 'scheduleReset') fill.every = 'P30D';
          if (kind === 'delegate') fill.to = form.controls.find((c) => c.name === 'to')!.options.find((o) => o !== '')!;
          const button = kind === 'step' ? form.buttons.find((b) => (b.value || 'notes') === key.split(':')[2]) : form.buttons[0];
          const action = form.action.replace(item.id, copy.id);
          const r = await s.post(action, formData(form, button, fill));
          expect(r.status, `${viewer} on "${state}": offered ${key} was refused: ${/class="msg error"[^>]*>(.*?)<\/div>/.exec(r.text)?.[1] ?? ''}`).toBe(303);
          expect(r.headers.get('location')).toMatch(new RegExp(`^/items/${copy.id}\\?done=`));
        }

        // Every candidate the page does not offer, posted by hand, is refused and changes nothing.
        const otherUser = viewer === 'bob' ? 'rita' : 'bob';
        const candidates: [string, Record<string, string>][] = [
          ['requestFeedback', { action: 'requestFeedback' }],
          ['requestFinalApproval', { action: 'requestFinalApproval' }],
          ['backToFeedback', { action: 'backToFeedback' }],
          ['finalApproval:Approved', { action: 'finalApproval', status: 'Approved', comment: '' }],
          ['finalApproval:Rejected', { action: 'finalApproval', status: 'Rejected', comment: '' }],
          ['editFinalApproval', { action: 'editFinalApproval', status: 'Approved', comment: 'edited' }],
          ['abandon', { action: 'abandon', comment: 'x' }],
          ['cancelAbandon', { action: 'cancelAbandon' }],
          ['reset', { action: 'reset', comment: 'x' }],
          ['scheduleReset', { action: 'scheduleReset', every: 'P30D' }],
          ['cancelScheduledReset', { action: 'cancelScheduledReset' }],
          ...GROUPS.map((g): [string, Record<string, string>] => [`submitFeedback:${g}`, { action: 'submitFeedback', groupId: g, status: 'Approved', comment: '' }]),
          ...[...GROUPS, 'final'].map((g): [string, Record<string, string>] => [`delegate:${g}`, { action: 'delegate', scope: g, to: userIds.get(otherUser)!, comment: '' }]),
          ...reviews.flatMap((r, i): [string, Record<string, string>][] => [
            [`editFeedback:${i}`, { action: 'editFeedback', reviewId: r.id, status: 'Approved', comment: 'edited' }],
            [`deleteFeedback:${i}`, { action: 'deleteFeedback', reviewId: r.id }],
          ]),
        ];
        const before = JSON.stringify(await getItem(item.id));
        for (const [key, body] of candidates) {
          if (offered.has(key)) continue;
          const r = await s.post(`/items/${item.id}/signoff`, { _csrf: csrf, step: 'review', ...body });
          expect([400, 403, 409], `${viewer} on "${state}": ${key} is not offered but answered ${r.status}`).toContain(r.status);
          expect(r.text).toContain('class="msg error"');
        }
        // Step changes: a disabled button, or no step form at all, means the server refuses it.
        const stepForms = forms.filter((f) => f.action.includes('/steps/'));
        const stepCandidates = stepForms.length
          ? stepForms.flatMap((f) => f.buttons.filter((b) => b.disabled).map((b) => [f.action, b.value ?? ''] as const))
          : (['development', 'review'] as const).map((id) => [`/items/${item.id}/steps/${id}`, 'Finished'] as const);
        for (const [action, status] of stepCandidates) {
          const r = await s.post(action, { _csrf: csrf, notes: '', status });
          expect([400, 403, 409], `${viewer} on "${state}": ${action} ${status} is not offered but answered ${r.status}`).toContain(r.status);
        }
        expect(JSON.stringify(await getItem(item.id)), `${viewer} on "${state}": a refused post changed the item`).toBe(before);
      }
      // The offers differ between viewers and states (a page offering nothing to anyone tests nothing).
      expect(summary.some((l) => !l.endsWith('nothing')), summary.join('\n')).toBe(true);
    });
  }
});
