import type { Request, Response, Router } from 'express';
import type { Assignee, GovernanceService, Item, Principal, Project, QualificationDecision, Result, SignoffError, SignoffReviewers, StepUpdate, WorkflowTemplate } from '@signoff/core';
import { actor, doneNotice, errorText, field, httpStatus, must, page, pageContext, queryString, sendPage, untilNextWrite, type UiEnv } from '../env.js';
import { badge, time } from '../format.js';
import { isAdmin, STANDARD_GROUPS, stepChange } from '../guards.js';
import { html, qs, safeUrl, type Html } from '../html.js';
import { csrfField, layout, type PageContext } from '../layout.js';
import { matrixSvg } from './matrix.js';
import {
  assigneeLabel,
  decodeAssignee,
  encodeAssignee,
  progress,
  readFields,
  signoffStatusOf,
  who,
  workflowList,
  type Directory,
} from './common.js';

const PAGE_SIZE = 50;
const ITEMS_PAGE = 50;
const DECISIONS: QualificationDecision[] = ['Undecided', 'Go', 'No go', 'On hold'];
const SIGNOFF_STATES = ['Not started', 'Waiting for feedback', 'Waiting for final approval', 'Approved', 'Rejected', 'Abandoned'];

export async function directory(service: GovernanceService, me: Principal): Promise<Directory> {
  const [users, groups, keys] = await Promise.all([service.listUsers(me), service.listGroups(me), isAdmin(me) ? service.listApiKeys(me) : Promise.resolve(undefined)]);
  return {
    users: new Map((users.ok ? users.value : []).map((u) => [u.id, u])),
    groups: new Map((groups.ok ? groups.value : []).map((g) => [g.id, g])),
    apiKeys: new Map((keys?.ok ? keys.value : []).map((k) => [k.id, { id: k.id, name: k.name }])),
  };
}

export function templateMap(templates: readonly WorkflowTemplate[]): Map<string, WorkflowTemplate> {
  return new Map(templates.map((t) => [t.id, t]));
}

/** Step fields that mirror the project's qualification: edited with the qualification form. */
const QUALIFICATION_KEYS = new Set(['value', 'risk', 'feasibility', 'decision', 'comments', 'plan']);
const mirrorsQualification = (def: { fields: readonly { id: string }[] } | undefined) =>
  def !== undefined && def.fields.length > 0 && def.fields.every((f) => QUALIFICATION_KEYS.has(f.id));

const isOwnerOrAdmin = (me: Principal, p: Project) => isAdmin(me) || (me.kind === 'user' && me.id === p.owner);

interface ProjectFilter {
  q: string;
  decision: string;
  status: string;
  mine: boolean;
}

function readFilter(req: Request): ProjectFilter {
  return { q: queryString(req, 'q').trim().toLowerCase(), decision: queryString(req, 'decision'), status: queryString(req, 'status'), mine: queryString(req, 'mine') === '1' };
}

function filterForm(action: string, f: ProjectFilter): Html {
  return html`<form method="get" action="${action}" class="panel row" role="search" aria-label="Filter projects" data-autosubmit>
<div class="field"><label for="f-q">Name or key contains</label><input type="search" id="f-q" name="q" value="${f.q}"></div>
<div class="field"><label for="f-decision">Qualification decision</label><select id="f-decision" name="decision"><option value="">Any</option>${DECISIONS.map((d) => html`<option${d === f.decision ? html` selected` : ''}>${d}</option>`)}</select></div>
<div class="field"><label for="f-status">Has an item whose sign-off is</label><select id="f-status" name="status"><option value="">Any</option>${SIGNOFF_STATES.map((d) => html`<option${d === f.status ? html` selected` : ''}>${d}</option>`)}</select></div>
<div class="field"><label class="check"><input type="checkbox" name="mine" value="1"${f.mine ? html` checked` : ''}> Owned by me</label></div>
<button type="submit">Filter</button></form>`;
}

/** Per project, how many of its items are in each sign-off state (one scan of the items, reused until the next write). */
function signoffCounts(env: UiEnv, me: Principal): Promise<Result<Map<string, Map<string, number>>>> {
  return untilNextWrite(env, 'signoff-counts', async () => {
    const items = await env.service.listItems(me);
    if (!items.ok) return items;
    const byProject = new Map<string, Map<string, number>>();
    for (const it of items.value) {
      let m = byProject.get(it.projectId);
      if (!m) {
        m = new Map<string, number>();
        byProject.set(it.projectId, m);
      }
      const s = signoffStatusOf(it);
      m.set(s, (m.get(s) ?? 0) + 1);
    }
    return { ok: true, value: byProject };
  });
}

async function filteredProjects(env: UiEnv, me: Principal, f: ProjectFilter) {
  const projects = must(await env.service.listProjects(me));
  const byProject = must(await signoffCounts(env, me));
  const list = projects
    .filter((p) => !f.q || p.name.toLowerCase().includes(f.q) || p.key.includes(f.q))
    .filter((p) => !f.decision || p.qualification.decision === f.decision)
    .filter((p) => !f.status || (byProject.get(p.id)?.get(f.status) ?? 0) > 0)
    .filter((p) => !f.mine || (me.kind === 'user' && p.owner === me.id))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { list, byProject };
}

function renderProjectList(env: UiEnv, req: Request) {
  return async () => {
    const me = actor(req);
    const f = readFilter(req);
    const { list, byProject } = await filteredProjects(env, me, f);
    const templates = templateMap(must(await env.service.listTemplates(me)));
    const dir = await directory(env.service, me);
    const pageNo = Math.max(1, Number.parseInt(queryString(req, 'page') || '1', 10) || 1);
    const shown = list.slice((pageNo - 1) * PAGE_SIZE, pageNo * PAGE_SIZE);
    const base = { q: f.q, decision: f.decision, status: f.status, mine: f.mine ? '1' : undefined };
    return html`<h1>Governed projects</h1>
<p><a class="button" href="/projects/new">Create a governed project</a> <a href="/projects/matrix${qs(base)}">Matrix view (value × risk)</a></p>
${filterForm('/projects', f)}
<p role="status">${list.length} project${list.length === 1 ? '' : 's'}${list.length > PAGE_SIZE ? `, page ${pageNo} of ${Math.ceil(list.length / PAGE_SIZE)}` : ''}.</p>
<table><thead><tr><th scope="col">Project</th><th scope="col">Owner</th><th scope="col">Workflow</th><th scope="col">Decision</th><th scope="col">Sign-off of its items</th></tr></thead><tbody>${shown.map((p) => {
      const counts = byProject.get(p.id);
      return html`<tr><td><a href="/projects/${p.key}">${p.name}</a> <span class="muted mono">${p.key}</span></td><td>${who(dir, p.owner)}</td><td>${progress(p.workflow.steps, templates.get(p.workflow.templateId))}</td><td>${badge(p.qualification.decision)}</td><td>${
        counts && counts.size > 0
          ? html`<ul class="reviews">${[...counts].map(([s, n]) => html`<li>${badge(s)} × ${n}</li>`)}</ul>`
          : html`<span class="muted">no items</span>`
      }</td></tr>`;
    })}</tbody></table>
${pager('/projects', base, pageNo, list.length, PAGE_SIZE)}`;
  };
}

export function pager(path: string, base: Record<string, string | undefined>, pageNo: number, total: number, size: number, param = 'page', label = 'Pages'): Html {
  const pages = Math.ceil(total / size);
  if (pages <= 1) return html``;
  return html`<nav class="pager" aria-label="${label}">${pageNo > 1 ? html`<a href="${path}${qs({ ...base, [param]: pageNo - 1 })}">Previous page</a>` : ''}<span>Page ${pageNo} of ${pages}</span>${
    pageNo < pages ? html`<a href="${path}${qs({ ...base, [param]: pageNo + 1 })}">Next page</a>` : ''
  }</nav>`;
}

/** Renders the project page; `error` carries a service message from a failed form. */
async function renderProject(env: UiEnv, req: Request, res: Response, key: string, error?: { message: string; status: number }): Promise<void> {
  const me = actor(req);
  const p = must(await env.service.getProject(me, key));
  const [templatesR, itemsR, modelsR, dir, ctx] = await Promise.all([
    env.service.listTemplates(me),
    env.service.listItems(me, { projectId: p.id }),
    env.service.listModels(me, p.id),
    directory(env.service, me),
    pageContext(env, req),
  ]);
  const templates = templateMap(must(templatesR));
  const items = must(itemsR);
  const models = must(modelsR);
  const template = templates.get(p.workflow.templateId);
  const editable = isOwnerOrAdmin(me, p);
  const now = ctx.now.toISOString();
  const itemGroups = new Map<string, string>(STANDARD_GROUPS.map((g) => [g.id, g.name]));
  for (const t of [templates.get(p.itemTemplates.bundle), templates.get(p.itemTemplates.modelVersion)]) {
    for (const s of t?.steps ?? []) for (const g of s.signoff?.feedbackGroups ?? []) itemGroups.set(g.id, g.name);
  }
  const base = `/projects/${p.key}`;
  const q = p.qualification;
  const itemsPage = Math.max(1, Number.parseInt(queryString(req, 'ipage') || '1', 10) || 1);
  const sortedItems = [...items].sort((a, b) => a.name.localeCompare(b.name) || b.createdAt.localeCompare(a.createdAt));
  const shownItems = sortedItems.slice((itemsPage - 1) * ITEMS_PAGE, itemsPage * ITEMS_PAGE);

  const assigneeOptions = html`<optgroup label="Users">${[...dir.users.values()].filter((u) => !u.disabled).map((u) => html`<option value="user:${u.id}">${u.displayName} (${u.username})</option>`)}</optgroup>
<optgroup label="Groups">${[...dir.groups.values()].map((g) => html`<option value="group:${g.id}">${g.name}</option>`)}</optgroup>${
    dir.apiKeys.size ? html`<optgroup label="API keys">${[...dir.apiKeys.values()].map((k) => html`<option value="apiKey:${k.id}">${k.name}</option>`)}</optgroup>` : ''
  }`;
  const assigneeEditor = (scope: string, label: string, list: readonly Assignee[]) => html`<div class="tile"><h3 id="rv-${scope}">${label}</h3>${
    list.length === 0
      ? html`<p class="muted">Nobody assigned.</p>`
      : html`<ul class="reviews" aria-labelledby="rv-${scope}">${list.map(
          (a) => html`<li>${assigneeLabel(dir, a)}${
            editable
              ? html` <form method="post" action="${base}/reviewers" class="inline">${csrfField(ctx)}<input type="hidden" name="scope" value="${scope}"><input type="hidden" name="remove" value="${encodeAssignee(a)}"><button type="submit" class="secondary" aria-label="Remove ${assigneeLabel(dir, a)} from ${label}">Remove</button></form>`
              : ''
          }</li>`,
        )}</ul>`
  }${
    editable
      ? html`<details><summary>+ Add to ${label}</summary><form method="post" action="${base}/reviewers">${csrfField(ctx)}<input type="hidden" name="scope" value="${scope}">
<div class="field"><label for="add-${scope}">User, group or API key</label><select id="add-${scope}" name="add"><option value="">(choose)</option>${assigneeOptions}</select></div>
<div class="field"><label for="role-${scope}">or a role name</label><input type="text" id="role-${scope}" name="role" pattern="[a-z0-9][a-z0-9_-]*"></div>${
        dir.apiKeys.size ? '' : html`<div class="field"><label for="key-${scope}">or an API key id (an administrator lists them)</label><input type="text" id="key-${scope}" name="apiKey" class="mono"></div>`
      }
<button type="submit">Add</button></form></details>`
      : ''
  }</div>`;

  const groupsInUse = [...itemGroups.keys()].filter((g) => !p.reviewers.feedbackGroups.some((x) => x.groupId === g));
  const reviewers = html`<section aria-labelledby="h-reviewers"><h2 id="h-reviewers">Sign-off reviewers and approvers</h2>
<p class="muted">They apply to every bundle and model version of this project.</p>
<div class="grid">${[...p.reviewers.feedbackGroups, ...groupsInUse.map((g) => ({ groupId: g, assignees: [] as Assignee[] }))].map((g) =>
    assigneeEditor(`g:${g.groupId}`, `${itemGroups.get(g.groupId) ?? g.groupId} reviewers`, g.assignees),
  )}${assigneeEditor('final', 'Final approvers', p.reviewers.finalApprovers)}</div></section>`;

  const ratingSelect = (name: 'value' | 'risk' | 'feasibility', label: string) =>
    html`<div class="field"><label for="q-${name}">${label}</label><select id="q-${name}" name="${name}"${editable ? '' : html` disabled`}><option value="">(not rated)</option>${[1, 2, 3, 4, 5].map(
      (n) => html`<option value="${n}"${q[name] === n ? html` selected` : ''}>${n}</option>`,
    )}</select></div>`;
  const qualification = html`<section aria-labelledby="h-qual"><h4 id="h-qual">Qualification form</h4>
<form method="post" action="${base}/qualification" class="panel">${csrfField(ctx)}<div class="row">${ratingSelect('value', 'Value (1–5)')}${ratingSelect('risk', 'Risk (1–5)')}${ratingSelect('feasibility', 'Feasibility (1–5)')}
<div class="field"><label for="q-decision">Resulting decision</label><select id="q-decision" name="decision"${editable ? '' : html` disabled`}>${DECISIONS.map((d) => html`<option${d === q.decision ? html` selected` : ''}>${d}</option>`)}</select></div></div>
<div class="field"><label for="q-comments">Comments</label><textarea id="q-comments" name="comments"${editable ? '' : html` readonly`}>${q.comments}</textarea></div>
<div class="field"><label for="q-plan">Plan</label><textarea id="q-plan" name="plan"${editable ? '' : html` readonly`}>${q.plan}</textarea></div>
${editable ? html`<button type="submit">Save qualification</button>` : ''}</form></section>`;

  const workflow = html`<section aria-labelledby="h-wf"><h2 id="h-wf">Workflow</h2>${workflowList(
    ctx,
    `${base}/steps`,
    p.workflow.steps.map((st) => {
      const def = template?.steps.find((d) => d.id === st.id);
      const mirrored = mirrorsQualification(def);
      return {
      state: st,
      def,
      editable,
      hideFields: mirrored,
      ...(mirrored ? { extra: qualification } : {}),
      ongoing: stepChange({ workflow: p.workflow, signoffs: {} }, template, st.id, 'Ongoing', me, now),
      finished: stepChange({ workflow: p.workflow, signoffs: {} }, template, st.id, 'Finished', me, now),
      };
    }),
    dir,
  )}</section>`;
  const qualificationShown = p.workflow.steps.some((st) => mirrorsQualification(template?.steps.find((d) => d.id === st.id)));

  const itemRow = (it: Item) => {
    const t = templates.get(it.workflow.templateId);
    return html`<tr><td><a href="/items/${it.id}">${it.name}@${it.version}</a></td><td>${it.kind === 'bundle' ? 'Bundle' : 'Model version'}</td><td>${badge(it.importance)}</td><td>${progress(it.workflow.steps, t)}</td><td>${badge(signoffStatusOf(it))}</td></tr>`;
  };
  const itemsSection = html`<section aria-labelledby="h-items"><h2 id="h-items">Bundles and model versions</h2>${
    items.length === 0
      ? html`<p class="muted">No bundles or model versions yet.</p>`
      : html`<table><thead><tr><th scope="col">Item</th><th scope="col">Kind</th><th scope="col">Importance</th><th scope="col">Workflow</th><th scope="col">Sign-off</th></tr></thead><tbody>${shownItems.map(itemRow)}</tbody></table>${pager(base, {}, itemsPage, items.length, ITEMS_PAGE, 'ipage')}`
  }${
    editable
      ? html`<details><summary>Register a bundle or model version</summary><form method="post" action="${base}/items" class="panel">${csrfField(ctx)}
<div class="row"><div class="field"><label for="i-kind">Kind</label><select id="i-kind" name="kind"><option value="bundle">Bundle</option><option value="modelVersion">Model version</option></select></div>
<div class="field"><label for="i-name">Name (bundle name or model name)</label><input type="text" id="i-name" name="name" required></div>
<div class="field"><label for="i-version">Version</label><input type="text" id="i-version" name="version" required></div>
<div class="field"><label for="i-importance">Importance</label><select id="i-importance" name="importance"><option>Critical</option><option>High</option><option selected>Moderate</option><option>Low</option></select></div></div>
<div class="field"><label for="i-images">Images pinned by digest (one per line)</label><textarea id="i-images" name="images" class="mono"></textarea></div>
<div class="field"><label for="i-storage">Storage URIs (one per line, e.g. s3://bucket/path)</label><textarea id="i-storage" name="storage" class="mono"></textarea></div>
<div class="field"><label for="i-desc">Description</label><textarea id="i-desc" name="description"></textarea></div>
<button type="submit">Register</button></form></details>`
      : ''
  }${
    models.length ? html`<h3>Governed models</h3><ul>${models.map((m) => html`<li>${m.name}${m.description ? html` — ${m.description}` : ''}</li>`)}</ul>` : ''
  }${
    editable
      ? html`<details><summary>Create a governed model</summary><form method="post" action="${base}/models" class="panel">${csrfField(ctx)}<div class="field"><label for="m-name">Name of the new model</label><input type="text" id="m-name" name="name" required></div><button type="submit">Create model</button></form></details>`
      : ''
  }</section>`;

  const overview = html`<section aria-labelledby="h-overview"><h2 id="h-overview">Overview</h2><dl class="kv"><dt>Key</dt><dd class="mono">${p.key}</dd><dt>Owner</dt><dd>${who(dir, p.owner)}</dd><dt>Created</dt><dd>${time(p.createdAt, ctx.now)}</dd><dt>Decision</dt><dd>${badge(q.decision)}</dd><dt>Description</dt><dd>${p.description || html`<span class="muted">none</span>`}</dd><dt>Links</dt><dd>${
    p.links.length ? html`<ul>${p.links.map((l) => html`<li><a href="${safeUrl(l.url)}" rel="noopener noreferrer">${l.title}</a></li>`)}</ul>` : html`<span class="muted">none</span>`
  }</dd></dl>${
    editable
      ? html`<details><summary>Edit overview</summary><form method="post" action="${base}/edit" class="panel">${csrfField(ctx)}<div class="field"><label for="p-name">Name</label><input type="text" id="p-name" name="name" value="${p.name}" required></div><div class="field"><label for="p-desc">Description</label><textarea id="p-desc" name="description">${p.description}</textarea></div><div class="field"><label for="p-links">Links (one per line: title, a space, the http(s) URL)</label><textarea id="p-links" name="links">${p.links.map((l) => `${l.title} ${l.url}`).join('\n')}</textarea></div><button type="submit">Save</button></form></details>`
      : ''
  }</section>`;

  const body = html`<p><a href="/projects">Governed projects</a> › ${p.name}</p><h1>${p.name}</h1>${overview}${reviewers}${workflow}${qualificationShown ? '' : qualification}${itemsSection}
<section aria-labelledby="h-hist"><h2 id="h-hist">History</h2><p><a href="/audit?subject=projects/${p.id}">Audit history of this project</a></p></section>`;
  const notice = doneNotice(req);
  sendPage(res, error?.status ?? 200, layout(ctx, { title: p.name, body, ...(error ? { error: error.message } : {}), ...(notice && !error ? { notice } : {}) }).value);
}

/** Runs a project form action; on failure re-renders the page with the service's message. */
function projectAction(env: UiEnv, run: (me: Principal, p: Project, req: Request) => Promise<{ ok: true; done: string } | { ok: false; error: SignoffError }>) {
  return page(env, async (req, res) => {
    const me = actor(req);
    const key = String(req.params.key);
    const p = must(await env.service.getProject(me, key));
    const r = await run(me, p, req);
    if (r.ok) {
      res.redirect(303, `/projects/${p.key}?done=${r.done}`);
      return;
    }
    await renderProject(env, req, res, p.key, { message: errorText(r.error), status: httpStatus(r.error) });
  });
}

const lines = (s: string) =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** `title url` lines (the URL is the last word); a bare URL is its own title. */
function readLinks(text: string): { title: string; url: string }[] {
  return lines(text).map((l) => {
    const k = l.lastIndexOf(' ');
    return k < 0 ? { title: l, url: l } : { title: l.slice(0, k).trim(), url: l.slice(k + 1) };
  });
}

export function registerProjects(router: Router, env: UiEnv): void {
  router.get(
    '/projects',
    page(env, async (req, res) => {
      const ctx = await pageContext(env, req);
      const body = await renderProjectList(env, req)();
      sendPage(res, 200, layout(ctx, { title: 'Governed projects', body }).value);
    }),
  );

  router.get(
    '/projects/matrix',
    page(env, async (req, res) => {
      const me = actor(req);
      const ctx = await pageContext(env, req);
      const f = readFilter(req);
      const { list } = await filteredProjects(env, me, f);
      const body = html`<h1>Matrix: value × risk</h1><p><a href="/projects">Back to the list</a></p>${filterForm('/projects/matrix', f)}${matrixSvg(list)}`;
      sendPage(res, 200, layout(ctx, { title: 'Matrix', body }).value);
    }),
  );

  const newForm = (ctx: PageContext, values: { key: string; name: string; description: string }) => html`<h1>Create a governed project</h1>
<form method="post" action="/projects" class="panel">${csrfField(ctx)}
<div class="field"><label for="n-name">Name</label><input type="text" id="n-name" name="name" value="${values.name}" required maxlength="200"></div>
<div class="field"><label for="n-key">Key (lowercase letters, digits, “.”, “_” or “-”; used in references such as key/bundle@v1)</label><input type="text" id="n-key" name="key" value="${values.key}" required maxlength="64" pattern="[a-z0-9][a-z0-9._-]*"></div>
<div class="field"><label for="n-desc">Description</label><textarea id="n-desc" name="description">${values.description}</textarea></div>
<p class="muted">The project uses the standard workflow (Exploration → Qualification → In Progress → Validation and Roll-out → Delivered); its bundles and model versions get the standard sign-off.</p>
<button type="submit">Create</button></form>`;

  router.get(
    '/projects/new',
    page(env, async (req, res) => {
      actor(req);
      const ctx = await pageContext(env, req);
      sendPage(res, 200, layout(ctx, { title: 'Create a governed project', body: newForm(ctx, { key: '', name: '', description: '' }) }).value);
    }),
  );

  router.post(
    '/projects',
    page(env, async (req, res) => {
      const me = actor(req);
      const values = { key: field(req, 'key').trim(), name: field(req, 'name').trim(), description: field(req, 'description') };
      const r = await env.service.createProject(me, { key: values.key, name: values.name, ...(values.description ? { description: values.description } : {}) });
      if (r.ok) {
        res.redirect(303, `/projects/${r.value.key}?done=created`);
        return;
      }
      const ctx = await pageContext(env, req);
      sendPage(res, httpStatus(r.error), layout(ctx, { title: 'Create a governed project', error: errorText(r.error), body: newForm(ctx, values) }).value);
    }),
  );

  router.get(
    '/projects/:key',
    page(env, async (req, res) => {
      await renderProject(env, req, res, String(req.params.key));
    }),
  );

  router.post(
    '/projects/:key/edit',
    projectAction(env, async (me, p, req) => {
      const r = await env.service.updateProject(me, p.id, { name: field(req, 'name').trim(), description: field(req, 'description'), links: readLinks(field(req, 'links')) });
      return r.ok ? { ok: true, done: 'saved' } : r;
    }),
  );

  router.post(
    '/projects/:key/reviewers',
    projectAction(env, async (me, p, req) => {
      const scope = field(req, 'scope');
      const remove = decodeAssignee(field(req, 'remove'));
      const role = field(req, 'role').trim();
      const apiKey = field(req, 'apiKey').trim();
      const add: Assignee | undefined = role ? { kind: 'role', id: role } : apiKey ? { kind: 'apiKey', id: apiKey } : decodeAssignee(field(req, 'add'));
      if (!remove && !add) return { ok: false, error: { code: 'VALIDATION', message: 'Choose a user, group or API key, or type a role name, to add.' } };
      const same = (a: Assignee, b: Assignee) => a.kind === b.kind && a.id === b.id;
      const edit = (list: readonly Assignee[]): Assignee[] => {
        let out = [...list];
        if (remove) out = out.filter((a) => !same(a, remove));
        if (add && !out.some((a) => same(a, add))) out.push(add);
        return out;
      };
      const next: SignoffReviewers = { feedbackGroups: p.reviewers.feedbackGroups.map((g) => ({ ...g, assignees: [...g.assignees] })), finalApprovers: [...p.reviewers.finalApprovers] };
      if (scope === 'final') next.finalApprovers = edit(next.finalApprovers);
      else if (scope.startsWith('g:')) {
        const gid = scope.slice(2);
        const g = next.feedbackGroups.find((x) => x.groupId === gid);
        if (g) g.assignees = edit(g.assignees);
        else next.feedbackGroups.push({ groupId: gid, assignees: edit([]) });
      } else return { ok: false, error: { code: 'VALIDATION', message: 'Unknown reviewer list.' } };
      const r = await env.service.setReviewers(me, p.id, next);
      return r.ok ? { ok: true, done: 'reviewers' } : r;
    }),
  );

  router.post(
    '/projects/:key/qualification',
    projectAction(env, async (me, p, req) => {
      const rating = (n: string) => {
        const v = field(req, n);
        return v === '' ? undefined : Number(v);
      };
      const input: Record<string, unknown> = { decision: field(req, 'decision'), comments: field(req, 'comments'), plan: field(req, 'plan') };
      for (const n of ['value', 'risk', 'feasibility']) {
        const v = rating(n);
        if (v !== undefined) input[n] = v;
      }
      const r = await env.service.setQualification(me, p.id, input);
      return r.ok ? { ok: true, done: 'qualification' } : r;
    }),
  );

  router.post(
    '/projects/:key/steps/:stepId',
    projectAction(env, async (me, p, req) => {
      const templates = templateMap(must(await env.service.listTemplates(me)));
      const stepId = String(req.params.stepId);
      const def = templates.get(p.workflow.templateId)?.steps.find((d) => d.id === stepId);
      const update: StepUpdate = { notes: field(req, 'notes'), fields: readFields((req.body ?? {}) as Record<string, unknown>, def) };
      const status = field(req, 'status');
      if (status === 'Ongoing' || status === 'Finished' || status === 'Not started') update.status = status;
      if (!def?.fields.length || mirrorsQualification(def)) delete update.fields;
      const r = await env.service.updateStep(me, { kind: 'project', id: p.id }, stepId, update);
      return r.ok ? { ok: true, done: 'step' } : r;
    }),
  );

  router.post(
    '/projects/:key/items',
    projectAction(env, async (me, p, req) => {
      const kind = field(req, 'kind') === 'modelVersion' ? 'modelVersion' : 'bundle';
      const name = field(req, 'name').trim();
      let modelId: string | undefined;
      if (kind === 'modelVersion') {
        const models = must(await env.service.listModels(me, p.id));
        modelId = models.find((m) => m.name === name)?.id;
        if (!modelId) return { ok: false, error: { code: 'VALIDATION', message: `No governed model named "${name}" in this project: create the model first.` } };
      }
      const importance = field(req, 'importance');
      const r = await env.service.registerItem(me, {
        kind,
        projectId: p.id,
        ...(modelId ? { modelId } : {}),
        name,
        version: field(req, 'version').trim(),
        ...(field(req, 'description') ? { description: field(req, 'description') } : {}),
        importance: importance as Item['importance'],
        artifacts: { images: lines(field(req, 'images')), storage: lines(field(req, 'storage')).map((uri) => ({ uri })) },
      });
      if (r.ok) return { ok: true, done: 'registered' };
      return r;
    }),
  );

  router.post(
    '/projects/:key/models',
    projectAction(env, async (me, p, req) => {
      const r = await env.service.createModel(me, { projectId: p.id, name: field(req, 'name').trim() });
      return r.ok ? { ok: true, done: 'model' } : r;
    }),
  );
}

