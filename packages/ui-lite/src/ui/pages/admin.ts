import type { Request, Router } from 'express';
import { defaultUnmatched } from '@signoff/core';
import type { Infrastructure, Policy, UnmatchedAction } from '@signoff/core';
import { actor, doneNotice, errorText, field, httpStatus, lastSeq, must, page, pageContext, queryString, sendPage, type UiEnv } from '../env.js';
import { badge, time } from '../format.js';
import { isAdmin } from '../guards.js';
import { html, qs, type Html } from '../html.js';
import { csrfField, layout, type PageContext } from '../layout.js';
import { who } from './common.js';
import { directory, pager } from './projects.js';

const AUDIT_PAGE = 50;
const POLICIES: Policy[] = ['prevent', 'warn', 'always'];
const UNMATCHED: UnmatchedAction[] = ['deny', 'warn', 'allow'];
const POLICY_TEXT: Record<Policy, string> = {
  prevent: 'Prevent the deployment of unapproved packages',
  warn: 'Warn and ask for confirmation before deploying unapproved packages',
  always: 'Always deploy without checking',
};

/** `owner/repo: environment` lines; a line without a colon is kept whole so the service names it. */
function readGithubEnvironments(text: string): { repository: string; environment: string }[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const k = l.indexOf(':');
      return k < 0 ? { repository: l, environment: '' } : { repository: l.slice(0, k).trim(), environment: l.slice(k + 1).trim() };
    });
}

function infraRow(ctx: PageContext, i: Infrastructure, admin: boolean): Html {
  return html`<div class="tile" id="infra-${i.id}"><h3>${i.name} <span class="muted mono">${i.id}</span>${i.production ? html` <span class="badge s-warn">production</span>` : ''}</h3>
${i.description ? html`<p>${i.description}</p>` : ''}
<dl class="kv"><dt>Govern policy</dt><dd>${badge(i.policy)} ${POLICY_TEXT[i.policy]}</dd><dt>Require confirmation</dt><dd>${i.requireConfirmation ? 'Yes (under warn, a deployer must confirm with a reason)' : 'No'}</dd>
<dt>Unmatched artifacts</dt><dd>${i.unmatched ? badge(i.unmatched) : html`${badge(defaultUnmatched(i.policy))} <span class="muted">(the default under ${i.policy})</span>`}</dd><dt>Moves items to Production</dt><dd>${i.advanceWorkflowOnDeploy ? 'Yes' : 'No'}</dd>
<dt>Kubernetes namespaces</dt><dd>${i.namespaces.length ? i.namespaces.map((n, k) => html`${k ? ', ' : ''}<span class="mono">${n}</span>`) : html`<span class="muted">none</span>`}</dd>
<dt>GitHub environments</dt><dd>${i.githubEnvironments.length ? i.githubEnvironments.map((g, k) => html`${k ? ', ' : ''}<span class="mono">${g.repository} → ${g.environment}</span>`) : html`<span class="muted">none</span>`}</dd></dl>
<p><a href="/deployments${qs({ infrastructure: i.id })}">Deployments to ${i.name}</a></p>${
    admin
      ? html`<details><summary>Edit ${i.name}</summary><form method="post" action="/infrastructures/${i.id}" class="panel">${csrfField(ctx)}
<div class="field"><label for="pol-${i.id}">Govern policy</label><select id="pol-${i.id}" name="policy">${POLICIES.map((p) => html`<option value="${p}"${p === i.policy ? html` selected` : ''}>${p}: ${POLICY_TEXT[p]}</option>`)}</select></div>
<div class="field"><label class="check"><input type="checkbox" name="requireConfirmation" value="true"${i.requireConfirmation ? html` checked` : ''}> Require confirmation (warn)</label></div>
<div class="field"><label for="um-${i.id}">Unmatched artifacts</label><select id="um-${i.id}" name="unmatched">${i.unmatched === undefined ? html`<option value="">policy default (${defaultUnmatched(i.policy)})</option>` : ''}${UNMATCHED.map((u) => html`<option${u === i.unmatched ? html` selected` : ''}>${u}</option>`)}</select></div>
<div class="field"><label class="check"><input type="checkbox" name="production" value="true"${i.production ? html` checked` : ''}> Production</label></div>
<div class="field"><label class="check"><input type="checkbox" name="advanceWorkflowOnDeploy" value="true"${i.advanceWorkflowOnDeploy ? html` checked` : ''}> Move items to their production step after an admitted deployment</label></div>
<div class="field"><label for="ns-${i.id}">Kubernetes namespaces (comma separated)</label><input type="text" id="ns-${i.id}" name="namespaces" value="${i.namespaces.join(', ')}"></div>
<div class="field"><label for="gh-${i.id}">GitHub environments (one per line: owner/repository or owner/*, a colon, the environment)</label><textarea id="gh-${i.id}" name="githubEnvironments" class="mono">${i.githubEnvironments.map((g) => `${g.repository}: ${g.environment}`).join('\n')}</textarea></div>
<button type="submit">Save ${i.name}</button></form></details>`
      : ''
  }</div>`;
}

export function registerAdmin(router: Router, env: UiEnv): void {
  const infraPage = async (req: Request, error?: { message: string; status: number }) => {
    const me = actor(req);
    const infras = must(await env.service.listInfrastructures(me));
    const ctx = await pageContext(env, req);
    const admin = isAdmin(me);
    const body = html`<h1>Infrastructures</h1><p>What happens when someone deploys an artifact that is not approved.${admin ? '' : ' Only administrators may change these settings.'}</p>
<div class="grid">${infras.map((i) => infraRow(ctx, i, admin))}</div>${infras.length === 0 ? html`<p class="muted">No infrastructure defined.</p>` : ''}`;
    const notice = doneNotice(req);
    return { status: error?.status ?? 200, page: layout(ctx, { title: 'Infrastructures', body, ...(error ? { error: error.message } : {}), ...(notice && !error ? { notice } : {}) }).value };
  };
  router.get(
    '/infrastructures',
    page(env, async (req, res) => {
      const r = await infraPage(req);
      sendPage(res, r.status, r.page);
    }),
  );
  router.post(
    '/infrastructures/:id',
    page(env, async (req, res) => {
      const me = actor(req);
      const unmatched = field(req, 'unmatched');
      const r = await env.service.updateInfrastructure(me, String(req.params.id), {
        policy: field(req, 'policy') as Policy,
        requireConfirmation: field(req, 'requireConfirmation') === 'true',
        production: field(req, 'production') === 'true',
        advanceWorkflowOnDeploy: field(req, 'advanceWorkflowOnDeploy') === 'true',
        githubEnvironments: readGithubEnvironments(field(req, 'githubEnvironments')),
        namespaces: field(req, 'namespaces')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        ...(unmatched ? { unmatched: unmatched as UnmatchedAction } : {}),
      });
      if (r.ok) {
        res.redirect(303, `/infrastructures?done=infrastructure#infra-${r.value.id}`);
        return;
      }
      const p = await infraPage(req, { message: errorText(r.error), status: httpStatus(r.error) });
      sendPage(res, p.status, p.page);
    }),
  );

  router.get(
    '/deployments',
    page(env, async (req, res) => {
      const me = actor(req);
      const ctx = await pageContext(env, req);
      const f = { item: queryString(req, 'item').trim(), infrastructure: queryString(req, 'infrastructure'), since: queryString(req, 'since'), until: queryString(req, 'until') };
      const infras = must(await env.service.listInfrastructures(me));
      let itemId: string | undefined;
      let error: string | undefined;
      if (f.item) {
        const it = await env.service.getItem(me, f.item);
        if (it.ok) itemId = it.value.id;
        else error = errorText(it.error);
      }
      const day = (d: string, end: boolean) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : undefined);
      const since = day(f.since, false);
      const until = day(f.until, true);
      const r = error
        ? undefined
        : await env.service.listDeployments(me, { ...(itemId ? { itemId } : {}), ...(f.infrastructure ? { infrastructureId: f.infrastructure } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}), limit: 1000 });
      if (r && !r.ok) error = errorText(r.error);
      const list = r?.ok ? [...r.value].sort((a, b) => b.at.localeCompare(a.at)) : [];
      const pageNo = Math.max(1, Number.parseInt(queryString(req, 'page') || '1', 10) || 1);
      const shown = list.slice((pageNo - 1) * 50, pageNo * 50);
      const dir = await directory(env.service, me);
      const body = html`<h1>Deployment registry</h1>
<form method="get" action="/deployments" class="panel row" role="search" aria-label="Filter deployments">
<div class="field"><label for="d-item">Item (id or project/name@version)</label><input type="search" id="d-item" name="item" value="${f.item}"></div>
<div class="field"><label for="d-infra">Infrastructure</label><select id="d-infra" name="infrastructure"><option value="">Any</option>${infras.map((i) => html`<option value="${i.id}"${i.id === f.infrastructure ? html` selected` : ''}>${i.name}</option>`)}</select></div>
<div class="field"><label for="d-since">From (date)</label><input type="date" id="d-since" name="since" value="${f.since}"></div>
<div class="field"><label for="d-until">Until (date)</label><input type="date" id="d-until" name="until" value="${f.until}"></div>
<button type="submit">Filter</button></form>
<p role="status">${list.length} deployment${list.length === 1 ? '' : 's'}.</p>${
        shown.length
          ? html`<table><thead><tr><th scope="col">When</th><th scope="col">Item</th><th scope="col">Infrastructure</th><th scope="col">Decision</th><th scope="col">Sign-off</th><th scope="col">By</th></tr></thead><tbody>${shown.map(
              (d) => html`<tr><td>${time(d.at, ctx.now)}</td><td>${d.itemId ? html`<a href="/items/${d.itemId}">${d.itemRef ?? d.itemId}</a>` : html`<span class="muted">unmatched</span>`}</td><td>${d.infrastructureId} ${badge(d.policy)}</td><td>${badge(d.outcome)}${d.confirmation ? html` <span class="muted">confirmed: ${d.confirmation.reason}</span>` : ''}</td><td>${d.signoffStatus}</td><td>${who(dir, d.actor)}</td></tr>`,
            )}</tbody></table>`
          : ''
      }${pager('/deployments', { item: f.item, infrastructure: f.infrastructure, since: f.since, until: f.until }, pageNo, list.length, 50)}`;
      sendPage(res, error ? 400 : 200, layout(ctx, { title: 'Deployments', body, ...(error ? { error } : {}) }).value);
    }),
  );

  router.get(
    '/audit',
    page(env, async (req, res) => {
      const me = actor(req);
      const ctx = await pageContext(env, req);
      const subject = queryString(req, 'subject');
      const verify = queryString(req, 'verify') === '1';
      const afterRaw = queryString(req, 'after');
      const after = /^\d+$/.test(afterRaw) ? Number(afterRaw) : undefined;
      // Without `after`: the latest events; with it: the events after that sequence number.
      let shown;
      if (after !== undefined) shown = must(await env.service.listAudit(me, { ...(subject ? { subject } : {}), afterSeq: after, limit: AUDIT_PAGE }));
      else if (subject) shown = must(await env.service.listAudit(me, { subject, limit: 10_000 })).slice(-AUDIT_PAGE);
      else {
        const head = must(await lastSeq(env, me));
        shown = must(await env.service.listAudit(me, { afterSeq: Math.max(0, head - AUDIT_PAGE), limit: AUDIT_PAGE }));
      }
      const first = shown[0]?.seq;
      const last = shown.at(-1)?.seq;
      const v = verify ? await env.service.verifyAudit(me) : undefined;
      const dir = await directory(env.service, me);
      const body = html`<h1>Audit log${subject ? html` of <span class="mono">${subject}</span>` : ''}</h1>
<form method="get" action="/audit" class="row">${subject ? html`<input type="hidden" name="subject" value="${subject}">` : ''}<input type="hidden" name="verify" value="1"><button type="submit">Verify the chain</button></form>${
        v === undefined
          ? ''
          : !v.ok
            ? html`<div class="msg error" role="alert">${v.error.message}</div>`
            : v.value.ok
              ? html`<div class="msg ok" role="status"><strong>Chain intact:</strong> ${v.value.count} events, each linked to the previous one by its hash${v.value.headHash ? html` (head <span class="mono">${v.value.headHash.slice(0, 16)}…</span>)` : ''}.</div>`
              : html`<div class="msg error" role="alert"><strong>Chain broken</strong> at event ${v.value.firstBadSeq ?? '?'}: ${v.value.problem ?? 'an event was changed, removed or reordered'}.</div>`
      }
<p>${shown.length ? `Events ${first ?? ''} to ${last ?? ''}` : 'No events'}${after === undefined ? ' (the latest)' : ''}.</p>
<nav class="pager" aria-label="Audit pages">${first !== undefined && first > 1 ? html`<a href="/audit${qs({ subject, after: Math.max(0, first - 1 - AUDIT_PAGE) })}">Earlier events</a>` : ''}${after !== undefined && shown.length === AUDIT_PAGE ? html`<a href="/audit${qs({ subject, after: last })}">Later events</a>` : ''}${after !== undefined ? html`<a href="/audit${qs({ subject })}">Latest events</a>` : ''}</nav>
<table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Change</th></tr></thead><tbody>${[...shown].reverse().map(
        (e) => html`<tr><td>${e.seq}</td><td>${time(e.at, ctx.now)}</td><td>${who(dir, e.actor)}</td><td>${e.action}</td><td class="mono">${subjectLink(e.subject)}</td><td><pre class="change">${truncate(JSON.stringify(e.change))}</pre></td></tr>`,
      )}</tbody></table>`;
      sendPage(res, 200, layout(ctx, { title: 'Audit log', body }).value);
    }),
  );
}

function subjectLink(subject: string): Html {
  const [col, id] = subject.split('/');
  if (col === 'items' && id) return html`<a href="/items/${id}">${subject}</a>`;
  return html`${subject}`;
}

function truncate(s: string | undefined): string {
  if (!s) return '';
  return s.length > 160 ? `${s.slice(0, 160)}…` : s;
}
