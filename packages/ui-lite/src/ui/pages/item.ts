import type { Request, Response, Router } from 'express';
import { randomId } from '@signoff/core';
import type { Assignee, DeploymentTarget, FeedbackStatus, FinalStatus, Item, Principal, Project, Signoff, SignoffAction, SignoffError, StepUpdate, WorkflowTemplate } from '@signoff/core';
import { actor, doneNotice, DONE, errorText, field, fields, httpStatus, must, page, pageContext, sendPage, type UiEnv } from '../env.js';
import { badge, time } from '../format.js';
import { feedbackGroupsOf, isAdmin, signoffOptions, stepChange, transitionContext, type SignoffOptions } from '../guards.js';
import { html, safeUrl, type Html } from '../html.js';
import { csrfField, layout, type PageContext } from '../layout.js';
import { assigneeLabel, decodeAssignee, encodeAssignee, readFields, who, workflowList, type Directory } from './common.js';
import { directory, templateMap } from './projects.js';
import { registerSubscriptionRoute, subscriptionSection } from '../../notify/subscription-ui.js';

const FEEDBACK: FeedbackStatus[] = ['Approved', 'Minor issues', 'Major issues'];

function canUseSignoff(p: Principal): boolean {
  return p.kind === 'user' || (p.kind === 'apiKey' && (p.scopes.includes('reviews:write') || p.scopes.includes('admin')));
}

interface PanelInput {
  ctx: PageContext;
  item: Item;
  project: Project;
  stepId: string;
  stepName: string;
  so: Signoff;
  opts: SignoffOptions;
  groups: readonly { id: string; name: string }[];
  dir: Directory;
  me: Principal;
}

function hidden(ctx: PageContext, stepId: string, action: SignoffAction['type']): Html {
  return html`${csrfField(ctx)}<input type="hidden" name="step" value="${stepId}"><input type="hidden" name="action" value="${action}">`;
}

function notifyChoices(idp: string, dir: Directory, list: readonly Assignee[]): Html {
  if (list.length === 0) return html`<p class="muted">No reviewers are assigned in the project; the request is still recorded.</p>`;
  return html`<fieldset><legend>Whom to notify (reviewers of this sign-off)</legend>${list.map(
    (a, i) => html`<label class="check"><input type="checkbox" name="notify" value="${encodeAssignee(a)}" id="${idp}-${i}"> ${assigneeLabel(dir, a)}</label>`,
  )}</fieldset>`;
}

function userSelect(id: string, dir: Directory, me: Principal): Html {
  return html`<div class="field"><label for="${id}">Delegate to</label><select id="${id}" name="to" required><option value="">(choose a user)</option>${[...dir.users.values()]
    .filter((u) => !u.disabled && u.id !== me.id)
    .map((u) => html`<option value="${u.id}">${u.displayName} (${u.username})</option>`)}</select></div>`;
}

function signoffPanel(x: PanelInput): Html {
  const { ctx, so, opts, dir, stepId } = x;
  const action = `/items/${x.item.id}/signoff`;
  const sid = stepId;
  const reviewers = x.project.reviewers;
  const delegationsTo = (scope: string) => so.delegations.filter((d) => d.scope === scope);
  const delegationList = (scope: string) => {
    const ds = delegationsTo(scope);
    return ds.length ? html`<p class="muted">Delegated: ${ds.map((d, i) => html`${i ? ', ' : ''}${who(dir, d.from)} → ${who(dir, d.to)}${d.comment ? html` (“${d.comment}”)` : ''}`)}</p>` : '';
  };
  const delegateForm = (scope: string, label: string) =>
    opts.delegate.has(scope)
      ? html`<details><summary>Delegate ${label}</summary><form method="post" action="${action}">${hidden(ctx, sid, 'delegate')}<input type="hidden" name="scope" value="${scope}">${userSelect(`dl-${sid}-${scope}`, dir, x.me)}<div class="field"><label for="dlc-${sid}-${scope}">Note to the delegate</label><input type="text" id="dlc-${sid}-${scope}" name="comment" maxlength="2000"></div><button type="submit">Delegate</button></form></details>`
      : '';

  const groupTile = (g: { id: string; name: string }) => {
    const assigned = reviewers.feedbackGroups.find((a) => a.groupId === g.id)?.assignees ?? [];
    const reviews = so.feedback.filter((r) => r.groupId === g.id);
    return html`<div class="tile" id="group-${sid}-${g.id}"><h3>${g.name}</h3><p class="muted">Reviewers: ${assigned.length ? assigned.map((a, i) => html`${i ? ', ' : ''}${assigneeLabel(dir, a)}`) : 'none assigned'}</p>${delegationList(g.id)}${
      reviews.length === 0
        ? html`<p class="muted">No review yet.</p>`
        : html`<ul class="reviews">${reviews.map(
            (r) => html`<li>${badge(r.status)} by <strong>${who(dir, r.author)}</strong>${r.onBehalfOf ? html` on behalf of ${assigneeLabel(dir, r.onBehalfOf)}` : ''}, ${time(r.updatedAt, ctx.now)}${
              r.comment ? html`<blockquote>${r.comment}</blockquote>` : ''
            }${
              opts.editReview.has(r.id)
                ? html`<details><summary>Edit this review</summary><form method="post" action="${action}">${hidden(ctx, sid, 'editFeedback')}<input type="hidden" name="reviewId" value="${r.id}"><div class="field"><label for="es-${r.id}">Edited status</label><select id="es-${r.id}" name="status">${FEEDBACK.map((s) => html`<option${s === r.status ? html` selected` : ''}>${s}</option>`)}</select></div><div class="field"><label for="ec-${r.id}">Edited comment</label><textarea id="ec-${r.id}" name="comment">${r.comment}</textarea></div><button type="submit">Save review</button></form></details>`
                : ''
            }${
              opts.deleteReview.has(r.id)
                ? html`<form method="post" action="${action}" class="inline" data-confirm="Delete this review?">${hidden(ctx, sid, 'deleteFeedback')}<input type="hidden" name="reviewId" value="${r.id}"><button type="submit" class="secondary">Delete review</button></form>`
                : ''
            }</li>`,
          )}</ul>`
    }${
      opts.reviewGroups.has(g.id)
        ? html`<details${reviews.length === 0 ? html` open` : ''}><summary>Review for ${g.name}</summary><form method="post" action="${action}">${hidden(ctx, sid, 'submitFeedback')}<input type="hidden" name="groupId" value="${g.id}"><fieldset><legend>Status</legend>${FEEDBACK.map(
            (s, i) => html`<label class="check"><input type="radio" name="status" value="${s}"${i === 0 ? html` required` : ''}> ${s}</label>`,
          )}</fieldset><div class="field"><label for="fc-${sid}-${g.id}">Comment for ${g.name}</label><textarea id="fc-${sid}-${g.id}" name="comment"></textarea></div><button type="submit">Submit review</button></form></details>`
        : ''
    }${delegateForm(g.id, `the ${g.name} review`)}</div>`;
  };

  const fa = so.finalApproval;
  const finalStatuses: FinalStatus[] = [...(opts.finalApprove ? (['Approved'] as const) : []), ...(opts.finalReject ? (['Rejected'] as const) : [])];
  const finalTile = html`<div class="tile" id="final-${sid}"><h3>Final approval</h3><p class="muted">Final approvers: ${
    reviewers.finalApprovers.length ? reviewers.finalApprovers.map((a, i) => html`${i ? ', ' : ''}${assigneeLabel(dir, a)}`) : 'none assigned'
  }</p>${delegationList('final')}${
    fa
      ? html`<p>${badge(fa.status)} by <strong>${who(dir, fa.author)}</strong>, ${time(fa.updatedAt, ctx.now)}</p>${fa.comment ? html`<blockquote>${fa.comment}</blockquote>` : ''}`
      : html`<p class="muted">No final approval given.</p>`
  }${
    finalStatuses.length
      ? html`<details open><summary>Review (final approval)</summary><form method="post" action="${action}">${hidden(ctx, sid, 'finalApproval')}<fieldset><legend>Status</legend>${finalStatuses.map(
          (s, i) => html`<label class="check"><input type="radio" name="status" value="${s}"${i === 0 ? html` required` : ''}> ${s}</label>`,
        )}</fieldset><div class="field"><label for="fac-${sid}">Final approval comment</label><textarea id="fac-${sid}" name="comment"></textarea></div><button type="submit">Submit final review</button></form></details>`
      : ''
  }${
    opts.editFinalApproval && fa
      ? html`<details><summary>Edit the final approval</summary><form method="post" action="${action}">${hidden(ctx, sid, 'editFinalApproval')}<div class="field"><label for="efs-${sid}">Edited final status</label><select id="efs-${sid}" name="status">${(['Approved', 'Rejected'] as const).map((s) => html`<option${s === fa.status ? html` selected` : ''}>${s}</option>`)}</select></div><div class="field"><label for="efc-${sid}">Edited final comment</label><textarea id="efc-${sid}" name="comment">${fa.comment}</textarea></div><button type="submit">Save final approval</button></form></details>`
      : ''
  }${delegateForm('final', 'the final approval')}</div>`;

  const allFeedbackAssignees = reviewers.feedbackGroups.flatMap((g) => g.assignees).filter((a, i, arr) => arr.findIndex((b) => b.kind === a.kind && b.id === a.id) === i);
  const actions: Html[] = [];
  if (opts.requestFeedback)
    actions.push(html`<details><summary>Request feedback</summary><form method="post" action="${action}" class="panel">${hidden(ctx, sid, 'requestFeedback')}${notifyChoices(`nf-${sid}`, dir, allFeedbackAssignees)}<button type="submit">Request feedback</button></form></details>`);
  if (opts.requestFinalApproval)
    actions.push(html`<details><summary>Request final approval</summary><form method="post" action="${action}" class="panel">${hidden(ctx, sid, 'requestFinalApproval')}${notifyChoices(`na-${sid}`, dir, reviewers.finalApprovers)}<button type="submit">Request final approval</button></form></details>`);
  if (opts.backToFeedback) actions.push(html`<form method="post" action="${action}">${hidden(ctx, sid, 'backToFeedback')}<button type="submit" class="secondary">Go back to feedback stage</button></form>`);
  if (opts.cancelAbandon) actions.push(html`<form method="post" action="${action}">${hidden(ctx, sid, 'cancelAbandon')}<button type="submit">Cancel abandon</button></form>`);
  if (opts.abandon)
    actions.push(html`<details><summary>Abandon</summary><form method="post" action="${action}" class="panel" data-confirm="Abandon this sign-off?">${hidden(ctx, sid, 'abandon')}<div class="field"><label for="ab-${sid}">Reason to abandon</label><input type="text" id="ab-${sid}" name="comment"></div><button type="submit" class="danger">Abandon sign-off</button></form></details>`);
  if (opts.reset)
    actions.push(html`<details><summary>Reset</summary><form method="post" action="${action}" class="panel" data-confirm="Reset this sign-off? The reviews of this round are cleared (the audit log keeps them).">${hidden(ctx, sid, 'reset')}<div class="field"><label for="rs-${sid}">Reason to reset</label><input type="text" id="rs-${sid}" name="comment"></div><button type="submit" class="danger">Reset sign-off</button></form></details>`);
  if (opts.scheduleReset)
    actions.push(html`<details><summary>Schedule a reset</summary><form method="post" action="${action}" class="panel">${hidden(ctx, sid, 'scheduleReset')}<div class="field"><label for="sa-${sid}">Reset at (UTC)</label><input type="datetime-local" id="sa-${sid}" name="at"></div><div class="field"><label for="se-${sid}">or every (ISO 8601 duration, e.g. P90D)</label><input type="text" id="se-${sid}" name="every" pattern="P.*"></div><button type="submit">Schedule reset</button></form></details>`);
  if (opts.cancelScheduledReset) actions.push(html`<form method="post" action="${action}">${hidden(ctx, sid, 'cancelScheduledReset')}<button type="submit" class="secondary">Cancel scheduled reset</button></form>`);

  return html`<section class="panel" id="signoff" aria-labelledby="so-${sid}"><h2 id="so-${sid}">Sign-off (${x.stepName} step): ${badge(so.status)}</h2>
<p class="muted">Round ${so.round}${so.feedbackRequestedAt ? html` · feedback requested ${time(so.feedbackRequestedAt, ctx.now)}` : ''}${so.finalApprovalRequestedAt ? html` · final approval requested ${time(so.finalApprovalRequestedAt, ctx.now)}` : ''}</p>
${so.status === 'Abandoned' ? html`<p class="msg note">Abandoned${so.abandonedBy ? html` by ${who(dir, so.abandonedBy)}` : ''}${so.abandonedAt ? html`, ${time(so.abandonedAt, ctx.now)}` : ''}${so.abandonedFrom ? html`; it was “${so.abandonedFrom}”. Cancel abandon restores every review.` : ''}</p>` : ''}
${so.resetSchedule ? html`<p class="msg note">Reset scheduled${so.resetSchedule.at ? html` at ${time(so.resetSchedule.at, ctx.now)}` : ''}${so.resetSchedule.every ? html`, every ${so.resetSchedule.every}` : ''}.</p>` : ''}
${so.status === 'Approved' && so.approvedDigests?.length ? html`<p>The approval covers: <span class="mono">${so.approvedDigests.join(', ')}</span></p>` : ''}
<div class="grid">${x.groups.map(groupTile)}${finalTile}</div>
<h3>Actions</h3>${actions.length ? html`<div class="actions">${actions}</div>` : html`<p class="muted">No sign-off action is open to you in this state.</p>`}</section>`;
}

async function renderItem(env: UiEnv, req: Request, res: Response, id: string, error?: { message: string; status: number }): Promise<void> {
  const me = actor(req);
  const item = must(await env.service.getItem(me, id));
  const [projectR, templatesR, dir, ctx, deploymentsR, auditR] = await Promise.all([
    env.service.getProject(me, item.projectId),
    env.service.listTemplates(me),
    directory(env.service, me),
    pageContext(env, req),
    env.service.listDeployments(me, { itemId: item.id, limit: 50 }),
    env.service.listAudit(me, { subject: `items/${item.id}`, limit: 100 }),
  ]);
  const project = must(projectR);
  const template: WorkflowTemplate | undefined = templateMap(must(templatesR)).get(item.workflow.templateId);
  const now = ctx.now.toISOString();
  const editable = isAdmin(me) || (me.kind === 'user' && me.id === project.owner);
  const ref = `${project.key}/${item.name}@${item.version}`;

  const panels = Object.entries(item.signoffs).map(([stepId, so]) => {
    const def = template?.steps.find((d) => d.id === stepId);
    const tctx = transitionContext(me, item, project, def, now);
    const opts = signoffOptions(so, tctx, canUseSignoff(me), ctx.now);
    return { stepId, html: signoffPanel({ ctx, item, project, stepId, stepName: def?.name ?? stepId, so, opts, groups: feedbackGroupsOf(def), dir, me }) };
  });

  const workflow = workflowList(
    ctx,
    `/items/${item.id}/steps`,
    item.workflow.steps.map((st) => ({
      state: st,
      def: template?.steps.find((d) => d.id === st.id),
      editable,
      ongoing: stepChange(item, template, st.id, 'Ongoing', me, now),
      finished: stepChange(item, template, st.id, 'Finished', me, now),
    })),
    dir,
  );

  const a = item.artifacts;
  const details = html`<dl class="kv"><dt>Project</dt><dd><a href="/projects/${project.key}">${project.name}</a></dd><dt>Kind</dt><dd>${item.kind === 'bundle' ? 'Bundle' : 'Model version'}</dd><dt>Version</dt><dd>${item.version}</dd><dt>Importance</dt><dd>${badge(item.importance)}</dd><dt>Registered</dt><dd>${time(item.createdAt, ctx.now)} by ${who(dir, item.createdBy)}</dd>${
    item.description ? html`<dt>Description</dt><dd>${item.description}</dd>` : ''
  }<dt>Images</dt><dd>${a.images.length ? html`<ul>${a.images.map((i) => html`<li class="mono">${i}</li>`)}</ul>` : html`<span class="muted">none</span>`}</dd>${
    a.storage.length ? html`<dt>Storage</dt><dd><ul>${a.storage.map((s) => html`<li class="mono">${s.uri}${s.checksum ? ` (${s.checksum})` : ''}</li>`)}</ul></dd>` : ''
  }${a.checksum ? html`<dt>Bundle checksum</dt><dd class="mono">${a.checksum}</dd>` : ''}<dt>Digests</dt><dd>${item.digests.length ? html`<ul>${item.digests.map((d) => html`<li class="mono">${d}</li>`)}</ul>` : html`<span class="muted">none</span>`}</dd>${
    item.links.length ? html`<dt>Links</dt><dd><ul>${item.links.map((l) => html`<li><a href="${safeUrl(l.url)}" rel="noopener noreferrer">${l.title}</a></li>`)}</ul></dd>` : ''
  }</dl>`;

  const deployments = deploymentsR.ok ? deploymentsR.value : [];
  const deploymentsHtml = html`<section aria-labelledby="h-dep"><h2 id="h-dep">Deployments and decisions</h2>${
    !deploymentsR.ok
      ? html`<p class="msg error">${deploymentsR.error.message}</p>`
      : deployments.length === 0
        ? html`<p class="muted">No deployment recorded.</p>`
        : html`<table><thead><tr><th scope="col">When</th><th scope="col">Infrastructure</th><th scope="col">Target</th><th scope="col">Decision</th><th scope="col">Sign-off then</th><th scope="col">By</th></tr></thead><tbody>${deployments.map(
            (d) => html`<tr><td>${time(d.at, ctx.now)}</td><td>${d.infrastructureId} ${badge(d.policy)}</td><td class="mono">${targetText(d.target)}</td><td>${badge(d.outcome)}${d.confirmation ? html` <span class="muted">confirmed: ${d.confirmation.reason}</span>` : ''}</td><td>${d.signoffStatus}</td><td>${who(dir, d.actor)}</td></tr>`,
          )}</tbody></table>`
  }</section>`;
  const audit = auditR.ok ? auditR.value : [];
  const auditHtml = html`<section aria-labelledby="h-aud"><h2 id="h-aud">History</h2>${
    !auditR.ok
      ? html`<p class="msg error">${auditR.error.message}</p>`
      : audit.length === 0
        ? html`<p class="muted">No history.</p>`
        : html`<table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th></tr></thead><tbody>${[...audit].reverse().map(
            (e) => html`<tr><td>${e.seq}</td><td>${time(e.at, ctx.now)}</td><td>${who(dir, e.actor)}</td><td>${e.action}${auditSummary(e.change)}</td></tr>`,
          )}</tbody></table>`
  }</section>`;

  const firstStatus = Object.values(item.signoffs)[0]?.status;
  const subscription = await subscriptionSection(env, ctx, me, item.id);
  const body = html`<p><a href="/projects">Governed projects</a> › <a href="/projects/${project.key}">${project.name}</a> › ${item.name}@${item.version}</p>
<h1>${item.kind === 'bundle' ? 'Bundle' : 'Model version'} ${ref}${firstStatus ? html` ${badge(firstStatus)}` : ''}</h1>
${details}<section aria-labelledby="h-wf"><h2 id="h-wf">Workflow</h2>${workflow}</section>${panels.map((p) => p.html)}${subscription}${deploymentsHtml}${auditHtml}`;
  const notice = doneNotice(req);
  sendPage(res, error?.status ?? 200, layout(ctx, { title: ref, body, ...(error ? { error: error.message } : {}), ...(notice && !error ? { notice } : {}) }).value);
}

function targetText(t: DeploymentTarget): string {
  switch (t.kind) {
    case 'kubernetes':
      return `${t.namespace}/${t.name} (${t.resource})`;
    case 'github':
      return `${t.repository}${t.environment ? ` → ${t.environment}` : ''}${t.runId ? ` run ${t.runId}` : ''}`;
    case 'other':
      return t.description;
  }
}

function auditSummary(change: unknown): Html {
  if (!change || typeof change !== 'object') return html``;
  const c = change as Record<string, unknown>;
  if (typeof c.from === 'string' && typeof c.to === 'string') return html` <span class="muted">(${c.from} → ${c.to})</span>`;
  if (typeof c.stepId === 'string') return html` <span class="muted">(step ${c.stepId})</span>`;
  return html``;
}

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(local) ? local : `${local}Z`);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

/** Builds the sign-off action from the form; ids of new records are generated here. */
function actionFromForm(req: Request): SignoffAction | SignoffError {
  const type = field(req, 'action');
  const comment = field(req, 'comment');
  const notify = () => fields(req, 'notify').map(decodeAssignee).filter((a): a is Assignee => a !== undefined);
  switch (type) {
    case 'requestFeedback':
      return { type, notify: notify() };
    case 'requestFinalApproval':
      return { type, notify: notify() };
    case 'submitFeedback':
      return { type, reviewId: randomId('rev'), groupId: field(req, 'groupId'), status: field(req, 'status') as FeedbackStatus, comment };
    case 'editFeedback':
      return { type, reviewId: field(req, 'reviewId'), status: field(req, 'status') as FeedbackStatus, comment };
    case 'deleteFeedback':
      return { type, reviewId: field(req, 'reviewId') };
    case 'delegate':
      return { type, delegationId: randomId('dlg'), scope: field(req, 'scope'), to: field(req, 'to'), comment };
    case 'backToFeedback':
    case 'cancelAbandon':
    case 'cancelScheduledReset':
      return { type };
    case 'finalApproval':
      return { type, status: field(req, 'status') as FinalStatus, comment };
    case 'editFinalApproval':
      return { type, status: field(req, 'status') as FinalStatus, comment };
    case 'abandon':
    case 'reset':
      return { type, comment };
    case 'scheduleReset': {
      const at = toIso(field(req, 'at'));
      const every = field(req, 'every').trim();
      if (!at && !every) return { code: 'VALIDATION', message: 'Give a time or a recurrence for the reset.' };
      return { type, ...(at ? { at } : {}), ...(every ? { every } : {}) };
    }
    default:
      return { code: 'VALIDATION', message: 'Unknown sign-off action.' };
  }
}

export function registerItems(router: Router, env: UiEnv): void {
  registerSubscriptionRoute(router, env);
  router.get(
    '/items/:id',
    page(env, async (req, res) => {
      await renderItem(env, req, res, String(req.params.id));
    }),
  );

  router.post(
    '/items/:id/signoff',
    page(env, async (req, res) => {
      const me = actor(req);
      const id = String(req.params.id);
      const a = actionFromForm(req);
      const step = field(req, 'step') || undefined;
      const r = 'type' in a ? await env.service.signoffAction(me, id, a, step) : { ok: false as const, error: a };
      if (r.ok) {
        res.redirect(303, `/items/${r.value.id}?done=${'type' in a && a.type in DONE ? a.type : 'saved'}#signoff`);
        return;
      }
      await renderItem(env, req, res, id, { message: errorText(r.error), status: httpStatus(r.error) });
    }),
  );

  router.post(
    '/items/:id/steps/:stepId',
    page(env, async (req, res) => {
      const me = actor(req);
      const id = String(req.params.id);
      const item = must(await env.service.getItem(me, id));
      const template = templateMap(must(await env.service.listTemplates(me))).get(item.workflow.templateId);
      const stepId = String(req.params.stepId);
      const def = template?.steps.find((d) => d.id === stepId);
      const update: StepUpdate = { notes: field(req, 'notes') };
      if (def?.fields.length) update.fields = readFields((req.body ?? {}) as Record<string, unknown>, def);
      const status = field(req, 'status');
      if (status === 'Ongoing' || status === 'Finished' || status === 'Not started') update.status = status;
      const r = await env.service.updateStep(me, { kind: 'item', id: item.id }, stepId, update);
      if (r.ok) {
        res.redirect(303, `/items/${item.id}?done=step`);
        return;
      }
      await renderItem(env, req, res, id, { message: errorText(r.error), status: httpStatus(r.error) });
    }),
  );
}
