import type { Router } from 'express';
import type { ReviewTask, WorkflowTemplate } from '@signoff/core';
import { actor, doneNotice, must, page, pageContext, queryString, reviewsOf, sendPage, type UiEnv } from '../env.js';
import { age, badge, IMPORTANCE_ORDER } from '../format.js';
import { STANDARD_GROUPS } from '../guards.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { pager } from './projects.js';

export function groupNamer(templates: readonly WorkflowTemplate[]): (id: string) => string {
  const names = new Map<string, string>(STANDARD_GROUPS.map((g) => [g.id, g.name]));
  for (const t of templates) for (const s of t.steps) for (const g of s.signoff?.feedbackGroups ?? []) names.set(g.id, g.name);
  return (id) => (id === 'final' ? 'Final approval' : (names.get(id) ?? id));
}

/** Rows per section: the most important and oldest requests first, the rest on further pages. */
const PAGE = 50;

const SECTIONS: { kind: ReviewTask['kind']; title: string; empty: string }[] = [
  { kind: 'feedback', title: 'Feedback requested of me', empty: 'No feedback requested of you.' },
  { kind: 'finalApproval', title: 'Final approvals requested of me', empty: 'No final approval requested of you.' },
  { kind: 'delegated', title: 'Delegated to me', empty: 'Nothing delegated to you.' },
];

export function registerHome(router: Router, env: UiEnv): void {
  router.get(
    '/',
    page(env, async (req, res) => {
      const me = actor(req);
      const tasks = must(await reviewsOf(env, me));
      const templates = must(await env.service.listTemplates(me));
      const groupName = groupNamer(templates);
      const ctx = await pageContext(env, req, false);
      ctx.reviewCount = tasks.length;
      const sorted = [...tasks].sort(
        (a, b) => IMPORTANCE_ORDER[a.item.importance] - IMPORTANCE_ORDER[b.item.importance] || (a.requestedAt ?? '').localeCompare(b.requestedAt ?? ''),
      );
      const body = html`<h1>My reviews</h1>
<p>${tasks.length === 0 ? 'Nothing awaits you.' : `${tasks.length} review${tasks.length === 1 ? '' : 's'} await${tasks.length === 1 ? 's' : ''} you.`}</p>
${SECTIONS.map((s) => {
  const all = sorted.filter((t) => t.kind === s.kind);
  const param = `${s.kind}Page`;
  const pageNo = Math.max(1, Math.min(Math.ceil(all.length / PAGE) || 1, Number.parseInt(queryString(req, param) || '1', 10) || 1));
  const rows = all.slice((pageNo - 1) * PAGE, pageNo * PAGE);
  const others = Object.fromEntries(SECTIONS.filter((o) => o.kind !== s.kind).map((o) => [`${o.kind}Page`, queryString(req, `${o.kind}Page`) || undefined]));
  return html`<section aria-labelledby="h-${s.kind}"><h2 id="h-${s.kind}">${s.title} <span class="muted">(${all.length})</span></h2>${
    rows.length === 0
      ? html`<p class="muted">${s.empty}</p>`
      : html`<table><thead><tr><th scope="col">Item</th><th scope="col">Review for</th><th scope="col">Importance</th><th scope="col">Sign-off</th><th scope="col">Requested</th></tr></thead><tbody>${rows.map(
          (t) => html`<tr><td><a href="/items/${t.item.id}#signoff">${t.ref}</a> <span class="muted">${t.item.kind === 'bundle' ? 'bundle' : 'model version'}</span></td><td>${t.groupId ? groupName(t.groupId) : 'Final approval'}</td><td>${badge(t.item.importance)}</td><td>${badge(t.signoffStatus)}</td><td>${t.requestedAt ? html`<time datetime="${t.requestedAt}">${age(t.requestedAt, ctx.now)}</time>` : html`<span class="muted">unknown</span>`}</td></tr>`,
        )}</tbody></table>${pager('/', others, pageNo, all.length, PAGE, param, `Pages of ${s.title.toLowerCase()}`)}`
  }</section>`;
})}`;
      sendPage(res, 200, layout(ctx, { title: 'My reviews', body, ...(doneNotice(req) ? { notice: doneNotice(req) } : {}) }).value);
    }),
  );
}
