/**
 * The reviewer UI's pages over real HTTP, read like a browser without JavaScript: every form
 * carries the session's CSRF token and is refused without it, no page has inline script or
 * style, and each page shows what the issue lists (My reviews with delegations, age and
 * importance; projects with workflow progress and sign-off states; the matrix and its filters;
 * reviewers of every kind; the item's version, digests, deployments, decisions and history;
 * infrastructures and the deployment registry with filters; the login rate limit).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionNames, createMemoryStore, systemPrincipal, type Item, type Principal } from '@signoff/core';
import { FormSession, startUiServer, type UiServer } from './support/ui-server.js';
import { formData, hiddenValue, parseForms } from './support/ui-forms.js';

describe('reviewer UI pages', () => {
  let server: UiServer;
  const ids = new Map<string, string>();
  const principals = new Map<string, Principal>();
  let v2: Item;
  let v1: Item;

  const must = <T,>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };

  beforeAll(async () => {
    server = await startUiServer();
    for (const u of must(await server.service.listUsers(systemPrincipal))) {
      ids.set(u.username, u.id);
      principals.set(u.username, must(await server.service.principalForUser(u.id)));
    }
    v1 = must(await server.service.getItem(systemPrincipal, 'shop/web-bundle@v1'));
    v2 = must(await server.service.getItem(systemPrincipal, 'shop/web-bundle@v2'));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('every form on every page carries the session CSRF token, is refused without it, and no page has inline script or style', async () => {
    const audit = async () => must(await server.service.listAudit(systemPrincipal, { limit: 10_000 })).length;
    const fraud = must(await server.service.getItem(systemPrincipal, 'fraud/fraud-model@3'));
    const seen = new Set<string>();
    for (const who of ['admin', 'olivia', 'fiona', 'bob'] as const) {
      const s = new FormSession(server.url);
      const csrf = await s.signIn(who);
      const paths = ['/', '/projects', '/projects/matrix', '/projects/new', '/projects/shop', '/projects/fraud', `/items/${v1.id}`, `/items/${v2.id}`, `/items/${fraud.id}`, '/deployments', '/infrastructures', ...(who === 'admin' ? ['/audit', '/audit?verify=1'] : [])];
      for (const path of paths) {
        const page = await s.get(path);
        expect(page.status, `${who} ${path}`).toBe(200);
        expect(page.headers.get('content-security-policy'), path).toMatch(/script-src 'self'; style-src 'self'/);
        expect(page.headers.get('cache-control'), path).toBe('no-store');
        expect(page.text, `${path}: inline script`).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=/i);
        expect(page.text, `${path}: inline style`).not.toMatch(/<style|\sstyle=/i);
        for (const form of parseForms(page.text)) {
          if (form.method !== 'post') continue;
          expect(hiddenValue(form, '_csrf'), `${who} ${path}: form ${form.action}`).toBe(csrf);
          // The same form without its token: refused, nothing written.
          const key = `${form.action} ${hiddenValue(form, 'action') ?? ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const before = await audit();
          const r = await s.post(form.action, formData(form, form.buttons.find((b) => !b.disabled), { _csrf: null }));
          expect(r.status, `${who} ${key} without its token`).toBe(403);
          expect(await audit(), `${who} ${key} without its token wrote something`).toBe(before);
        }
      }
    }
    // Every kind of form was met: sign-out, project, reviewers, qualification, steps, items, models, sign-off, infrastructures.
    const kinds = [...seen].join('\n');
    for (const k of ['/logout', '/projects ', '/reviewers', '/qualification', '/steps/', '/items ', '/models', '/signoff backToFeedback', '/signoff finalApproval', '/signoff reset', '/signoff delegate', '/signoff editFinalApproval', '/infrastructures/production']) expect(kinds, k).toContain(k);
  });

  it("a workflow step's fields of every type are shown with labels and saved typed with its notes", async () => {
    must(
      await server.service.createTemplate(principals.get('admin')!, {
        id: 'checklist',
        name: 'Checklist',
        description: '',
        appliesTo: ['project'],
        steps: [
          {
            id: 'design',
            name: 'Design',
            description: 'Design review',
            production: false,
            fields: [
              { id: 'ticket', label: 'Ticket', type: 'text', required: false },
              { id: 'notes-long', label: 'Risk notes', type: 'longtext', required: false },
              { id: 'score', label: 'Score', type: 'number', required: false, min: 1, max: 10 },
              { id: 'env', label: 'Environment', type: 'select', options: ['dev', 'prod'], required: false },
              { id: 'due', label: 'Due date', type: 'date', required: false },
              { id: 'signed', label: 'Signed by security', type: 'boolean', required: false },
            ],
          },
        ],
      }),
    );
    must(await server.service.createProject(principals.get('olivia')!, { key: 'fields', name: 'Fields project', templateId: 'checklist' }));
    const s = new FormSession(server.url);
    await s.signIn('olivia');
    const page = (await s.get('/projects/fields')).text;
    for (const label of ['Ticket', 'Risk notes', 'Score', 'Environment', 'Due date']) expect(page).toMatch(new RegExp(`<label for="f-design-[a-z-]+">${label}</label>`));
    expect(page).toContain('<input type="checkbox" name="field.signed" value="true"> Signed by security</label>');
    const form = parseForms(page).find((f) => f.action === '/projects/fields/steps/design')!;
    const save = form.buttons.find((b) => b.text === 'Set as Ongoing')!;
    const r = await s.post(form.action, formData(form, save, { notes: 'Kick-off done', 'field.ticket': 'SEC-42', 'field.notes-long': 'Two\nlines', 'field.score': '7', 'field.env': 'prod', 'field.due': '2026-12-01', 'field.signed': 'true' }));
    expect(r.status).toBe(303);
    const step = must(await server.service.getProject(systemPrincipal, 'fields')).workflow.steps[0]!;
    expect(step).toMatchObject({ status: 'Ongoing', notes: 'Kick-off done', fields: { ticket: 'SEC-42', 'notes-long': 'Two\nlines', score: 7, env: 'prod', due: '2026-12-01', signed: true } });
    // An out-of-range number is refused with the field named, nothing saved.
    const again = parseForms((await s.get('/projects/fields')).text).find((f) => f.action === '/projects/fields/steps/design')!;
    const bad = await s.post(again.action, formData(again, again.buttons[0], { 'field.score': '11' }));
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/class="msg error"[^>]*><strong>Error:<\/strong> [^<]*score/i);
    expect(must(await server.service.getProject(systemPrincipal, 'fields')).workflow.steps[0]!.fields.score).toBe(7);
  });

  it('requesting feedback lets the owner choose whom to notify among the reviewers', async () => {
    const olivia = principals.get('olivia')!;
    const item = must(await server.service.registerItem(olivia, { kind: 'bundle', projectId: v1.projectId, name: 'notify', version: '1', artifacts: { images: [`registry.example.com/notify@sha256:${'e'.repeat(64)}`] }, importance: 'Low' }));
    const s = new FormSession(server.url);
    await s.signIn('olivia');
    const form = parseForms((await s.get(`/items/${item.id}`)).text).find((f) => hiddenValue(f, 'action') === 'requestFeedback')!;
    const choices = form.controls.filter((c) => c.name === 'notify').map((c) => c.value);
    expect(choices).toEqual(['group:it-operations', 'group:risk-compliance', 'group:business']);
    expect(form.html).toContain('<legend>Whom to notify (reviewers of this sign-off)</legend>');
    const r = await s.post(form.action, formData(form, form.buttons[0], { notify: ['group:business', 'group:risk-compliance'] }));
    expect(r.status).toBe(303);
    const after = must(await server.service.getItem(systemPrincipal, item.id)).signoffs.review!;
    expect(after.status).toBe('Waiting for feedback');
    expect(after.notified).toEqual([{ kind: 'group', id: 'business' }, { kind: 'group', id: 'risk-compliance' }]);
  });

  it('My reviews lists feedback, final approvals and delegations with age and importance, and the header counts them', async () => {
    // Ivan delegates his IT & Operations review of a new bundle to Rita.
    const olivia = principals.get('olivia')!;
    let item = must(await server.service.registerItem(olivia, { kind: 'bundle', projectId: v1.projectId, name: 'queue', version: '1', artifacts: { images: [`registry.example.com/queue@sha256:${'d'.repeat(64)}`] }, importance: 'Critical' }));
    item = must(await server.service.signoffAction(olivia, item.id, { type: 'requestFeedback', notify: [] }));
    const ivan = new FormSession(server.url);
    const csrf = await ivan.signIn('ivan');
    const page = await ivan.get(`/items/${item.id}`);
    const form = parseForms(page.text).find((f) => hiddenValue(f, 'action') === 'delegate' && hiddenValue(f, 'scope') === 'it-operations')!;
    expect(form, 'Ivan may delegate his group').toBeDefined();
    const r = await ivan.post(form.action, formData(form, form.buttons[0], { to: ids.get('rita')!, comment: 'On leave' }));
    expect(r.status).toBe(303);
    expect(csrf).toBeTruthy();

    const rita = new FormSession(server.url);
    await rita.signIn('rita');
    const home = await rita.get('/');
    const section = (title: string) => home.text.split(`${title} <span class="muted">`)[1]!.split('</section>')[0]!;
    const delegated = section('Delegated to me');
    expect(delegated).toContain('shop/queue@1');
    expect(delegated).toContain('IT &amp; Operations');
    expect(delegated).toContain('<span class="badge s-bad">Critical</span>');
    expect(delegated).toMatch(/<time datetime="[^"]+">(just now|\d+ min ago)<\/time>/);
    expect(section('Feedback requested of me')).toContain('shop/queue@1');
    const count = Number(/<span class="count">(\d+)<\/span>/.exec(home.text)![1]);
    expect(count).toBe((home.text.match(/<tr><td><a href="\/items\//g) ?? []).length);

    // The header's count follows writes made elsewhere (here: the service, as the API would).
    const before = Number(/<span class="count">(\d+)<\/span>/.exec((await rita.get('/projects')).text)![1]);
    must(await server.service.signoffAction(principals.get('rita')!, item.id, { type: 'submitFeedback', reviewId: 'rev_rita', groupId: 'risk-compliance', status: 'Approved', comment: '' }));
    const after = Number(/<span class="count">(\d+)<\/span>/.exec((await rita.get('/projects')).text)![1]);
    expect(after).toBe(before - 1);
  });

  it('projects list workflow progress and the sign-off states of their items; the matrix filters and labels its dots', async () => {
    const s = new FormSession(server.url);
    await s.signIn('olivia');
    const list = await s.get('/projects');
    const shopRow = /<tr><td><a href="\/projects\/shop">Web shop<\/a>[\s\S]*?<\/tr>/.exec(list.text)![0];
    expect(shopRow).toContain('In Progress</span> <span class="muted">(2/5 finished)</span>');
    expect(shopRow).toContain('<span class="badge s-ok">Go</span>');
    expect(shopRow).toMatch(/<span class="badge s-bad">Rejected<\/span> × 1/);
    expect(shopRow).toMatch(/<span class="badge s-ok">Approved<\/span> × 2/);
    const waiting = await s.get('/projects?status=Waiting+for+final+approval');
    expect(waiting.text).toContain('href="/projects/fraud"');
    expect(waiting.text).not.toContain('href="/projects/shop"');

    must(await server.service.createProject(principals.get('olivia')!, { key: 'unrated', name: 'Unrated project' }));
    const all = await s.get('/projects/matrix');
    expect(all.text).toContain('<title>Web shop: value 4, risk 3, feasibility 4, decision Go</title>');
    expect(all.text).toMatch(/<desc id="mx-desc">\d+ projects? placed by value[^<]*\. \d+ projects? not yet rated/);
    const go = await s.get('/projects/matrix?decision=Undecided');
    expect(go.text).not.toContain('<title>Web shop');
    expect(go.text).toContain('<a href="/projects/unrated">Unrated project</a>');
    expect(go.text).toContain('<option selected>Undecided</option>');
  });

  it('the owner adds and removes users, groups, roles and API keys as reviewers', async () => {
    const s = new FormSession(server.url);
    const csrf = await s.signIn('olivia');
    const admin = principals.get('admin')!;
    const key = must(await server.service.createApiKey(admin, { name: 'ci-reviewer', scopes: ['reviews:write'] })).key;
    const post = (body: Record<string, string>) => s.post('/projects/fraud/reviewers', { _csrf: csrf, ...body });
    expect((await post({ scope: 'g:business', add: `user:${ids.get('ivan')!}` })).status).toBe(303);
    expect((await post({ scope: 'g:business', add: 'group:risk-compliance' })).status).toBe(303);
    expect((await post({ scope: 'final', role: 'release-managers' })).status).toBe(303);
    expect((await post({ scope: 'final', apiKey: key.id })).status).toBe(303);
    let reviewers = must(await server.service.getProject(systemPrincipal, 'fraud')).reviewers;
    expect(reviewers.feedbackGroups.find((g) => g.groupId === 'business')!.assignees).toEqual(expect.arrayContaining([{ kind: 'user', id: ids.get('ivan') }, { kind: 'group', id: 'risk-compliance' }]));
    expect(reviewers.finalApprovers).toEqual(expect.arrayContaining([{ kind: 'role', id: 'release-managers' }, { kind: 'apiKey', id: key.id }]));
    const page = (await s.get('/projects/fraud')).text;
    expect(page).toContain('aria-label="Remove role release-managers from Final approvers"');
    expect(page).toContain('aria-label="Remove group Risk &amp; Compliance from Business reviewers"');
    // An unknown API key is refused with the service's message, nothing saved.
    const bad = await post({ scope: 'final', apiKey: 'key_nope' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('No apiKey &quot;key_nope&quot;');
    // The administrator picks API keys from the list.
    const adminPage = new FormSession(server.url);
    await adminPage.signIn('admin');
    expect((await adminPage.get('/projects/fraud')).text).toContain(`<option value="apiKey:${key.id}">ci-reviewer</option>`);
    for (const remove of [`role:release-managers`, `apiKey:${key.id}`]) expect((await post({ scope: 'final', remove })).status).toBe(303);
    expect((await post({ scope: 'g:business', remove: 'group:risk-compliance' })).status).toBe(303);
    reviewers = must(await server.service.getProject(systemPrincipal, 'fraud')).reviewers;
    expect(reviewers.finalApprovers).toEqual([{ kind: 'user', id: ids.get('fiona') }]);
    expect(reviewers.feedbackGroups.find((g) => g.groupId === 'business')!.assignees).not.toContainEqual({ kind: 'group', id: 'risk-compliance' });
    // Overview links.
    expect((await s.post('/projects/fraud/edit', { _csrf: csrf, name: 'Fraud detection', description: 'd', links: 'Runbook https://runbooks.example.com/fraud' })).status).toBe(303);
    expect((await s.get('/projects/fraud')).text).toContain('<a href="https://runbooks.example.com/fraud" rel="noopener noreferrer">Runbook</a>');
  });

  it('the item page shows version, digests, importance, the deployments and decisions, and the history; authors edit and delete their reviews', async () => {
    const deployer = must(await server.service.createApiKey(principals.get('admin')!, { name: 'deployer', scopes: ['decisions:read', 'deployments:write'] }));
    const keyPrincipal = must(await server.service.authenticateApiKey(deployer.secret));
    const allowed = must(await server.service.decide(keyPrincipal, { namespace: 'shop-prod', item: 'shop/web-bundle@v2', artifacts: v2.artifacts.images, dryRun: false, target: { kind: 'kubernetes', namespace: 'shop-prod', name: 'web', resource: 'deployments', operation: 'CREATE' } }));
    const denied = must(await server.service.decide(keyPrincipal, { namespace: 'shop-prod', item: 'shop/web-bundle@v1', artifacts: v1.artifacts.images, dryRun: false, target: { kind: 'kubernetes', namespace: 'shop-prod', name: 'web', resource: 'deployments', operation: 'UPDATE' } }));
    expect([allowed.decision.outcome, denied.decision.outcome]).toEqual(['allow', 'deny']);

    const s = new FormSession(server.url);
    await s.signIn('olivia');
    const page = (await s.get(`/items/${v2.id}`)).text;
    expect(page).toContain('<dt>Version</dt><dd>v2</dd>');
    expect(page).toContain('<dt>Importance</dt><dd><span class="badge s-warn">High</span></dd>');
    for (const d of v2.digests) expect(page).toContain(`<li class="mono">${d}</li>`);
    const deployments = page.split('id="h-dep"')[1]!.split('</section>')[0]!;
    expect(deployments).toContain('shop-prod/web (deployments)');
    expect(deployments).toContain('<span class="badge s-ok">allow</span>');
    const history = page.split('id="h-aud"')[1]!.split('</section>')[0]!;
    expect(history).toContain('signoff.finalApproval');
    expect(history).toContain('Fiona Final');
    expect((await s.get(`/items/${v1.id}`)).text.split('id="h-dep"')[1]).toContain('<span class="badge s-bad">deny</span>');

    // Bob edits, then deletes, his review of fraud-model@3; Rita sees no such buttons on it.
    const fraud = must(await server.service.getItem(systemPrincipal, 'fraud/fraud-model@3'));
    must(await server.service.signoffAction(principals.get('olivia')!, fraud.id, { type: 'backToFeedback' }));
    const bob = new FormSession(server.url);
    await bob.signIn('bob');
    const forms = parseForms((await bob.get(`/items/${fraud.id}`)).text);
    const bobReview = fraud.signoffs.review!.feedback.find((r) => r.author === ids.get('bob'))!;
    const edit = forms.find((f) => hiddenValue(f, 'action') === 'editFeedback' && hiddenValue(f, 'reviewId') === bobReview.id)!;
    expect(forms.filter((f) => hiddenValue(f, 'action') === 'editFeedback')).toHaveLength(1);
    expect((await bob.post(edit.action, formData(edit, edit.buttons[0], { status: 'Minor issues', comment: 'Recheck the 1% FPR' }))).status).toBe(303);
    const edited = (await bob.get(`/items/${fraud.id}`)).text;
    expect(edited).toContain('<blockquote>Recheck the 1% FPR</blockquote>');
    expect(edited).toMatch(/<span class="badge s-warn">Minor issues<\/span> by <strong>Bob \(Business\)<\/strong>/);
    const del = parseForms(edited).find((f) => hiddenValue(f, 'action') === 'deleteFeedback')!;
    expect((await bob.post(del.action, formData(del, del.buttons[0]))).status).toBe(303);
    expect((await bob.get(`/items/${fraud.id}`)).text).not.toContain('Recheck the 1% FPR');
    const rita = new FormSession(server.url);
    await rita.signIn('rita');
    const ritaForms = parseForms((await rita.get(`/items/${fraud.id}`)).text);
    expect(ritaForms.filter((f) => hiddenValue(f, 'action') === 'editFeedback' || hiddenValue(f, 'action') === 'deleteFeedback').map((f) => hiddenValue(f, 'reviewId'))).toEqual(
      fraud.signoffs.review!.feedback.filter((r) => r.author === ids.get('rita')).flatMap((r) => [r.id, r.id]),
    );
  });

  it('infrastructures: the administrator edits policy, confirmation, unmatched, namespaces and GitHub environments; the registry filters', async () => {
    const s = new FormSession(server.url);
    const csrf = await s.signIn('admin');
    const page = await s.get('/infrastructures');
    const form = parseForms(page.text).find((f) => f.action === '/infrastructures/staging')!;
    const r = await s.post(
      form.action,
      formData(form, form.buttons[0], { policy: 'warn', requireConfirmation: 'true', unmatched: 'deny', namespaces: 'ml-staging, shop-staging', githubEnvironments: 'example/*: staging\nexample/web: qa' }),
    );
    expect(r.status).toBe(303);
    const staging = must(await server.service.getInfrastructure(systemPrincipal, 'staging'));
    expect(staging).toMatchObject({ policy: 'warn', requireConfirmation: true, unmatched: 'deny', namespaces: ['ml-staging', 'shop-staging'], githubEnvironments: [{ repository: 'example/*', environment: 'staging' }, { repository: 'example/web', environment: 'qa' }] });
    const shown = (await s.get('/infrastructures')).text.split('id="infra-staging"')[1]!.split('</form>')[0]!;
    expect(shown).toContain('Yes (under warn, a deployer must confirm with a reason)');
    expect(shown).toContain('<span class="mono">example/web → qa</span>');
    // Once set, unmatched cannot go back to the default (the API cannot clear it): not offered.
    expect(shown).not.toContain('policy default (');
    // A namespace another infrastructure covers: refused with the service's message, nothing saved.
    const clash = await s.post('/infrastructures/staging', { _csrf: csrf, policy: 'warn', namespaces: 'ml-prod' });
    expect(clash.status).toBe(409);
    expect(clash.text).toContain('class="msg error"');
    expect(must(await server.service.getInfrastructure(systemPrincipal, 'staging')).namespaces).toEqual(['ml-staging', 'shop-staging']);
    // Olivia sees the settings but no form.
    const olivia = new FormSession(server.url);
    await olivia.signIn('olivia');
    expect(parseForms((await olivia.get('/infrastructures')).text).filter((f) => f.action.startsWith('/infrastructures/'))).toEqual([]);

    // The registry and its filters (the deployments recorded by the previous test).
    const all = (await s.get('/deployments')).text;
    expect(all).toMatch(/<p role="status">[1-9]\d* deployments?\.<\/p>/);
    const byItem = (await s.get(`/deployments?item=${encodeURIComponent('shop/web-bundle@v1')}`)).text;
    expect(byItem).toContain('<p role="status">1 deployment.</p>');
    expect(byItem).toContain('<span class="badge s-bad">deny</span>');
    expect((await s.get('/deployments?infrastructure=development')).text).toContain('<p role="status">0 deployments.</p>');
    expect((await s.get('/deployments?until=2000-01-01')).text).toContain('<p role="status">0 deployments.</p>');
    const unknown = await s.get('/deployments?item=nope%2Fnothing%40v9');
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('class="msg error"');
  });

  it('the audit page verifies the chain: intact here, broken (with the event) on a copy where one event was altered', async () => {
    const s = new FormSession(server.url);
    await s.signIn('admin');
    const ok = await s.get('/audit?verify=1');
    expect(ok.text).toMatch(/<strong>Chain intact:<\/strong> \d+ events/);
    // A copy of this store with one event's recorded change altered after the fact.
    const initial: Record<string, unknown[]> = {};
    for (const c of collectionNames) initial[c] = await server.store.list(c);
    const events = await server.store.audit();
    const victim = events[5]!;
    const tampered = events.map((e) => (e.seq === victim.seq ? { ...e, change: { forged: true } } : e));
    const copy = await startUiServer({ store: createMemoryStore({ initial: { ...initial, audit: tampered } }) });
    try {
      const admin = new FormSession(copy.url);
      await admin.signIn('admin');
      const broken = await admin.get('/audit?verify=1');
      expect(broken.text).toContain(`<strong>Chain broken</strong> at event ${victim.seq}`);
      expect(broken.text).toContain('role="alert"');
    } finally {
      await copy.close();
    }
  });

  it('limits failed form sign-ins per address and username', async () => {
    const s = new FormSession(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const login = await s.get('/login');
      statuses.push((await s.post('/login', { _csrf: /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!, username: 'fiona', password: `wrong-${i}` })).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    // Another username from the same address is not locked out.
    const login = await s.get('/login');
    expect((await s.post('/login', { _csrf: /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!, username: 'rita', password: 'demo-password-for-ui-tests', next: '/' })).status).toBe(303);
  });
});
