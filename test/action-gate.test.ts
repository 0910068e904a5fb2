/**
 * The bundled Action, run as the runner runs it, against a real signoff server (demo world) and
 * a local GitHub API that checks every request against GitHub's OpenAPI description.
 * Every policy × approved / unapproved / rejected / unreachable, on this Node and on Node 24.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubApi, type GithubApiServer } from './support/action-github-api.js';
import { closedPort, nodeBinaries, runAction, startFlakyProxy, type ActionRun, type FlakyProxy, type NodeBinary } from './support/action-run.js';
import { SYSTEM, V1_DIGESTS, V2_DIGESTS, bringToFinalApproval, finalApproval, startActionWorld, type ActionWorld } from './support/action-world.js';

const nodes: NodeBinary[] = nodeBinaries();
let world: ActionWorld;
let gh: GithubApiServer;
let broken: FlakyProxy;

beforeAll(async () => {
  [world, gh] = await Promise.all([startActionWorld(), startGithubApi()]);
  // The decisions endpoint answers 503 while the rest of the server works: the policy is known.
  broken = await startFlakyProxy(world.server.url, /^POST \/api\/v1\/decisions/);
  const strict = await world.service.createInfrastructure(SYSTEM, {
    id: 'staging-strict',
    name: 'Staging (confirm)',
    description: '',
    policy: 'warn',
    requireConfirmation: true,
    production: false,
    advanceWorkflowOnDeploy: false,
    namespaces: [],
    githubEnvironments: [{ repository: 'example/*', environment: 'staging-strict' }],
  });
  expect(strict.ok).toBe(true);
}, 120_000);

afterAll(async () => {
  await Promise.all([world?.close(), gh?.close(), broken?.close()]);
});

const gate = (node: NodeBinary, inputs: Record<string, string>, extra: { env?: Record<string, string>; event?: unknown; eventName?: string } = {}): Promise<ActionRun> =>
  runAction({
    node: node.path,
    inputs: { 'server-url': world.server.url, 'api-key': world.deployKey, 'github-token': 'ghs_jobtoken0000', ...inputs },
    env: { GITHUB_API_URL: gh.url, ...extra.env },
    ...(extra.event !== undefined ? { event: extra.event } : {}),
    ...(extra.eventName !== undefined ? { eventName: extra.eventName } : {}),
  });

/** The key is masked by the very first workflow command (the first line printed) and never printed anywhere else. */
function expectMasked(run: ActionRun, key: string): void {
  expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${key}`);
  expect(run.masks[0]).toBe(key);
  expect(run.stdout.split(key).length - 1).toBe(1);
  expect(run.stderr).not.toContain(key);
}

const ITEMS = {
  approved: { item: 'shop/web-bundle@v2', digests: V2_DIGESTS.join('\n'), status: 'Approved' },
  unapproved: { item: 'fraud/fraud-model@3', digests: 's3://models/fraud/v3', status: 'Waiting for final approval' },
  rejected: { item: 'shop/web-bundle@v1', digests: V1_DIGESTS.join('\n'), status: 'Rejected' },
} as const;
type State = keyof typeof ITEMS | 'unreachable';
type Expect = { code: 0 | 1; decision: string; annotation: 'error' | 'warning' | 'notice' | 'none' };

const MATRIX: [infra: string, policy: string, state: State, expected: Expect][] = [
  ['production', 'prevent', 'approved', { code: 0, decision: 'allow', annotation: 'none' }],
  ['production', 'prevent', 'unapproved', { code: 1, decision: 'deny', annotation: 'error' }],
  ['production', 'prevent', 'rejected', { code: 1, decision: 'deny', annotation: 'error' }],
  ['production', 'prevent', 'unreachable', { code: 1, decision: 'deny', annotation: 'error' }],
  ['staging', 'warn', 'approved', { code: 0, decision: 'allow', annotation: 'none' }],
  ['staging', 'warn', 'unapproved', { code: 0, decision: 'warn', annotation: 'warning' }],
  ['staging', 'warn', 'rejected', { code: 0, decision: 'warn', annotation: 'warning' }],
  ['staging', 'warn', 'unreachable', { code: 0, decision: 'warn', annotation: 'warning' }],
  ['development', 'always', 'approved', { code: 0, decision: 'allow', annotation: 'none' }],
  ['development', 'always', 'unapproved', { code: 0, decision: 'allow', annotation: 'notice' }],
  ['development', 'always', 'rejected', { code: 0, decision: 'allow', annotation: 'notice' }],
  ['development', 'always', 'unreachable', { code: 0, decision: 'warn', annotation: 'warning' }],
];

it('runs on this Node and on Node 24, the binaries CI installs', () => {
  const major = process.versions.node.split('.')[0];
  expect(nodes.map((n) => n.label)).toEqual(major === '24' ? ['node24'] : [`node${major}`, 'node24']);
  for (const n of nodes) expect(execFileSync(n.path, ['--version'], { encoding: 'utf8' })).toMatch(new RegExp(`^v${n.label.slice(4)}\\.`));
});

describe.each(nodes)('the bundled action on $label', (node) => {
  describe.concurrent('policy × sign-off', () => {
    it.each(MATRIX)('%s (%s) × %s', async (infra, policy, state, want) => {
      const what = state === 'unreachable' ? ITEMS.approved : ITEMS[state];
      const run = await gate(node, {
        environment: infra,
        item: what.item,
        digests: what.digests,
        'commit-status': 'false',
        ...(state === 'unreachable' ? { 'server-url': broken.url } : {}),
      });
      expect(run.code, run.stdout + run.stderr).toBe(want.code);
      expectMasked(run, world.deployKey);
      // This binary really ran the bundle.
      expect(run.stdout).toContain(`::debug::signoff action on node v${node.label.slice(4)}.`);
      expect(run.outputs.decision).toBe(want.decision);
      const annotations = { error: run.errors, warning: run.warnings, notice: run.notices };
      for (const kind of ['error', 'warning', 'notice'] as const) expect(annotations[kind].length > 0, `${kind}: ${run.stdout}`).toBe(want.annotation === kind);
      if (state === 'unreachable') {
        expect(run.outputs['signoff-status']).toBe('Unknown');
        const text = [...run.errors, ...run.warnings].join('\n');
        expect(text).toContain('did not answer after 4 attempts');
        expect(text).toContain(`policy ${policy}`);
        expect(run.stdout).toMatch(/retry 3\/3/);
        return;
      }
      expect(run.outputs['signoff-status']).toBe(what.status);
      expect(run.outputs['item-id']).toMatch(/^[a-z0-9_-]+$/);
      expect(run.outputs['review-url']).toMatch(new RegExp(`^https?://.+/items/${run.outputs['item-id']}$`));
      expect(run.outputs['deployment-id']).toMatch(/^dep_/);
      // The job summary carries the facts.
      expect(run.summary).toContain(what.item);
      expect(run.summary).toContain(`<code>${infra}</code>`);
      expect(run.summary).toContain(policy);
      expect(run.summary).toContain(what.status);
      expect(run.summary).toContain(`<strong>${want.decision}</strong>`);
      if (state === 'approved') expect(run.summary).toMatch(/Final approval<\/td><td>Fiona[^<]*<\/td><td>Approved/);
      if (want.code === 1) {
        const message = run.errors.join('\n');
        expect(message).toContain(what.item);
        expect(message).toContain(`Review and approve: ${run.outputs['review-url']}`);
        expect(message).toContain(state === 'rejected' ? 'final approval is Rejected' : 'Missing: the final approval.');
      }
    });
  });

  it('sets the commit status signoff/<infrastructure> and keeps one pull request comment', async () => {
    const pr = node.label === 'node24' ? 24 : 20;
    const event = { action: 'synchronize', number: pr, pull_request: { number: pr } };
    const first = await gate(node, { infrastructure: 'production', ...ITEMS.rejected }, { event, eventName: 'pull_request' });
    expect(first.code).toBe(1);
    const second = await gate(node, { infrastructure: 'production', ...ITEMS.approved }, { event, eventName: 'pull_request' });
    expect(second.code, second.stdout).toBe(0);
    const mine = gh.comments.filter((c) => c.issue === pr);
    expect(mine).toHaveLength(1);
    expect(second.stdout).toContain('Pull request comment updated');
    expect(gh.byOperation('issues/update-comment').some((r) => r.params.comment_id === String(mine[0]?.id))).toBe(true);
    expect(mine[0]?.body).toContain('<!-- signoff:production -->');
    expect(mine[0]?.body).toContain('shop/web-bundle@v2');
    expect(mine[0]?.body).not.toContain('shop/web-bundle@v1');
    const statuses = gh.statuses.filter((s) => s.context === 'signoff/production' && s.description?.includes('web-bundle'));
    expect(statuses.map((s) => s.state)).toEqual(expect.arrayContaining(['failure', 'success']));
    expect(statuses.every((s) => s.sha === 'c0ffee'.padEnd(40, '0') && s.repo === 'example/shop')).toBe(true);
    expect(statuses.find((s) => s.state === 'failure')?.target_url).toBe(first.outputs['review-url']);
    expect(gh.violations).toEqual([]);
  });
});

describe.concurrent('the bundled action, more cases', () => {
  const node = nodes[0] as NodeBinary;
  /** A commit and run of their own, so GitHub requests and deployments can be told apart. */
  const own = (n: number): { GITHUB_SHA: string; GITHUB_RUN_ID: string } => ({ GITHUB_SHA: `${n}`.padStart(4, '0').repeat(10), GITHUB_RUN_ID: `77${n}` });
  const deploymentsOfRun = async (runId: string) => {
    const all = await world.service.listDeployments(SYSTEM, {});
    return all.ok ? all.value.filter((d) => d.target.kind === 'github' && d.target.runId === runId) : [];
  };
  /** Registers a fresh bundle and brings it to its final approval. */
  const freshItem = async (version: string, hex: string): Promise<{ ref: string; id: string; digest: string }> => {
    const digest = `registry.example.com/shop/web@sha256:${hex.repeat(64)}`;
    const ref = `shop/web-bundle@${version}`;
    const reg = await runAction({ node: node.path, inputs: { mode: 'register', 'server-url': world.server.url, 'api-key': world.buildKey, item: ref, digests: digest }, env: {} });
    expect(reg.code, reg.stdout).toBe(0);
    const id = reg.outputs['item-id'] ?? '';
    await bringToFinalApproval(world, id);
    return { ref, id, digest };
  };

  it('fails closed when the server cannot be reached at all and the policy is unknown', async () => {
    const run = await gate(node, { infrastructure: 'staging', ...ITEMS.approved, 'server-url': await closedPort() });
    expect(run.code).toBe(1);
    expect(run.errors.join()).toContain('policy is unknown, so the deploy is refused (fail closed)');
    expect(run.outputs.decision).toBe('deny');
  });

  it('retries a 5xx with growing waits, the number of attempts configured', async () => {
    const proxy = await startFlakyProxy(world.server.url, /^POST \/api\/v1\/decisions/, 502);
    try {
      const run = await gate(node, { infrastructure: 'production', ...ITEMS.approved, 'server-url': proxy.url }, { env: { SIGNOFF_RETRY_ATTEMPTS: '3', SIGNOFF_RETRY_BASE_MS: '40' } });
      expect(run.code).toBe(1);
      expect(proxy.failed).toBe(3);
      expect(run.errors.join()).toContain('policy prevent');
      const waits = [...run.stdout.matchAll(/signoff decision: .*; retry (\d)\/2 in (\d+) ms/g)].map((m) => Number(m[2]));
      expect(waits).toHaveLength(2);
      // 40 ms then 80 ms, ±20 % jitter: the second wait is longer.
      expect(waits[0]).toBeGreaterThanOrEqual(32);
      expect(waits[1]).toBeGreaterThan(waits[0] ?? 0);
    } finally {
      await proxy.close();
    }
  });

  it('under warn + requireConfirmation refuses without confirm-unapproved and records the reason with it', async () => {
    const refused = await gate(node, { environment: 'staging-strict', ...ITEMS.rejected });
    expect(refused.code).toBe(1);
    expect(refused.outputs.decision).toBe('deny');
    const reason = 'Hotfix for incident 4711, approved by the on-call lead';
    const confirmed = await gate(node, { environment: 'staging-strict', ...ITEMS.rejected, 'confirm-unapproved': reason });
    expect(confirmed.code, confirmed.stdout).toBe(0);
    expect([...confirmed.warnings, ...confirmed.notices].join()).toContain('confirmed with a recorded reason');
    const deployments = await world.service.listDeployments(SYSTEM, { infrastructureId: 'staging-strict' });
    expect(deployments.ok && deployments.value.find((d) => d.id === confirmed.outputs['deployment-id'])?.confirmation?.reason).toBe(reason);
  });

  it('records the deployment with the GitHub target, and nothing on a dry run', async () => {
    const real = await gate(node, { environment: 'production', ...ITEMS.approved }, { env: own(1) });
    const dry = await gate(node, { environment: 'production', ...ITEMS.approved, 'dry-run': 'true' }, { env: own(2) });
    expect(real.code).toBe(0);
    expect(dry.code).toBe(0);
    expect(dry.outputs['deployment-id']).toBe('');
    expect(dry.outputs.decision).toBe('allow');
    expect(dry.stdout).toContain('Dry run: nothing was recorded.');
    expect(dry.summary).toContain('signoff: allow (dry run)');
    const recorded = await deploymentsOfRun(own(1).GITHUB_RUN_ID);
    expect(recorded.map((d) => d.id)).toEqual([real.outputs['deployment-id']]);
    expect(recorded[0]?.target).toEqual({ kind: 'github', repository: 'example/shop', environment: 'production', runId: own(1).GITHUB_RUN_ID, sha: own(1).GITHUB_SHA });
    expect(await deploymentsOfRun(own(2).GITHUB_RUN_ID)).toEqual([]);
  });

  it('takes the item by its id as well as by project/name@version', async () => {
    const items = await world.service.listItems(SYSTEM);
    const v2 = items.ok ? items.value.find((i) => i.name === 'web-bundle' && i.version === 'v2') : undefined;
    expect(v2).toBeDefined();
    const run = await gate(node, { infrastructure: 'production', item: v2?.id ?? '', digests: ITEMS.approved.digests });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ decision: 'allow', 'item-id': v2?.id, 'signoff-status': 'Approved' });
    expect(run.summary).toContain('<code>shop/web-bundle@v2</code>');
  });

  it('reads digests one per line: finds the item by them alone, and refuses a line the approval does not cover', async () => {
    const byDigests = await gate(node, { infrastructure: 'production', digests: `${V2_DIGESTS.join('\n')}\n` });
    expect(byDigests.code, byDigests.stdout).toBe(0);
    expect(byDigests.outputs).toMatchObject({ decision: 'allow', 'signoff-status': 'Approved' });
    expect(byDigests.summary).toContain('<code>shop/web-bundle@v2</code>');
    for (const d of V2_DIGESTS) expect(byDigests.summary).toContain(`<code>${d}</code> ✓ approved`);

    const stray = `registry.example.com/shop/web@sha256:${'e'.repeat(64)}`;
    const extra = await gate(node, { infrastructure: 'production', item: ITEMS.approved.item, digests: [...V2_DIGESTS, stray].join('\n') });
    expect(extra.code).toBe(1);
    expect(extra.outputs.decision).toBe('deny');
    expect(extra.errors.join()).toContain(`${stray.slice(0, stray.indexOf(':') + 13)}… is not among the digests approved for shop/web-bundle@v2`);
    expect(extra.summary).toContain(`<code>${stray}</code> ✗`);
  });

  it('maps repository + environment through the server: an unmapped repository is refused, naming both', async () => {
    const run = await gate(node, { environment: 'production', ...ITEMS.approved }, { env: { GITHUB_REPOSITORY: 'elsewhere/shop' } });
    expect(run.code).toBe(1);
    expect(run.outputs.decision).toBe('deny');
    expect(run.errors.join()).toContain('No infrastructure maps elsewhere/shop environment production');
  });

  it('the job summary: item, version, digests, infrastructure, policy, sign-off status, every review, decision and link', async () => {
    const run = await gate(node, { infrastructure: 'production', ...ITEMS.approved });
    expect(run.code, run.stdout).toBe(0);
    const s = run.summary;
    const cell = (head: string, value: string) => expect(s).toContain(`<th>${head}</th><td>${value}</td>`);
    cell('Item', '<code>shop/web-bundle@v2</code>');
    cell('Version', 'v2');
    cell('Digests', V2_DIGESTS.map((d) => `<code>${d}</code> ✓ approved`).join('<br>'));
    cell('Infrastructure', '<code>production</code>');
    cell('Policy', 'prevent');
    cell('Sign-off status', 'Approved');
    cell('Decision', '<strong>allow</strong>');
    cell('Deployment', `<code>${run.outputs['deployment-id']}</code>`);
    cell('Review', `<a href="${run.outputs['review-url']}">${run.outputs['review-url']}</a>`);
    const status = await world.service.governanceStatus(SYSTEM, run.outputs['item-id'] ?? '');
    if (!status.ok) throw new Error(status.error.message);
    expect(status.value.reviews.length).toBeGreaterThanOrEqual(3);
    const esc = (t: string | undefined) => (t ?? '').replace(/&/g, '&amp;');
    for (const r of status.value.reviews) expect(s).toContain(`<td>${esc(r.groupName)}</td><td>${esc(r.author)}</td><td>${esc(r.status)}</td>`);
    expect(s).toContain(`<td>Final approval</td><td>${esc(status.value.finalApproval?.author)}</td><td>Approved</td>`);
  });

  it('commit-status and pr-comment switch the GitHub side off; without a token it is skipped', async () => {
    const event = (n: number) => ({ action: 'synchronize', number: n, pull_request: { number: n } });
    const on = own(3);
    const off = own(4);
    const noToken = own(5);
    const [a, b, c] = await Promise.all([
      gate(node, { infrastructure: 'staging', ...ITEMS.approved }, { env: on, event: event(301), eventName: 'pull_request' }),
      gate(node, { infrastructure: 'staging', ...ITEMS.approved, 'commit-status': 'false', 'pr-comment': 'false' }, { env: off, event: event(302), eventName: 'pull_request' }),
      gate(node, { infrastructure: 'staging', ...ITEMS.approved, 'github-token': '' }, { env: noToken, event: event(303), eventName: 'pull_request' }),
    ]);
    for (const r of [a, b, c]) expect(r.code, r.stdout).toBe(0);
    const statusesOf = (sha: string) => gh.statuses.filter((x) => x.sha === sha);
    expect(statusesOf(on.GITHUB_SHA).map((x) => [x.context, x.state])).toEqual([['signoff/staging', 'success']]);
    expect(gh.comments.filter((x) => x.issue === 301)).toHaveLength(1);
    expect(statusesOf(off.GITHUB_SHA)).toEqual([]);
    expect(gh.requests.filter((r) => r.path.includes('/issues/302/'))).toEqual([]);
    expect(statusesOf(noToken.GITHUB_SHA)).toEqual([]);
    expect(gh.requests.filter((r) => r.path.includes('/issues/303/'))).toEqual([]);
  });

  it('GitHub answers go through the retry plugin (5xx) and the throttling plugin (secondary rate limit)', async () => {
    const api = await startGithubApi();
    try {
      api.failNext('repos/create-commit-status', 502, 1);
      const retried = await gate(node, { infrastructure: 'staging', ...ITEMS.approved }, { env: { GITHUB_API_URL: api.url } });
      expect(retried.code, retried.stdout).toBe(0);
      expect(api.byOperation('repos/create-commit-status')).toHaveLength(2);
      expect(api.statuses.map((x) => x.state)).toEqual(['success']);
      expect(retried.warnings).toEqual([]);

      api.failNext('repos/create-commit-status', 403, 1, {
        headers: { 'retry-after': '1' },
        body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest' },
      });
      const throttled = await gate(node, { infrastructure: 'staging', ...ITEMS.approved }, { env: { GITHUB_API_URL: api.url } });
      expect(throttled.code, throttled.stdout).toBe(0);
      expect(throttled.stdout).toMatch(/GitHub secondary rate limit on POST \/repos\/\{owner\}\/\{repo\}\/statuses\/\{sha\}; retrying after 1s/);
      expect(api.byOperation('repos/create-commit-status')).toHaveLength(4);
      expect(api.statuses.map((x) => x.state)).toEqual(['success', 'success']);
      expect(api.violations).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('fails at once on a bad input, naming it, without calling the server', async () => {
    // Counts every request that reaches the "server" (and answers each with a 503).
    const proxy = await startFlakyProxy(world.server.url, /./);
    try {
      for (const [inputs, message] of [
        [{ 'wait-for-approval': 'soon' }, 'Input "wait-for-approval" "soon" is not a duration such as 90s, 30m or 2h'],
        [{ 'dry-run': 'perhaps' }, 'Input "dry-run" "perhaps" is not a boolean (true or false)'],
        [{ infrastructure: 'Production!' }, 'Input "infrastructure" must be an infrastructure id (a DNS label)'],
        [{ 'api-key': '' }, 'Input "api-key" is required'],
      ] as const) {
        const run = await gate(node, { infrastructure: 'production', ...ITEMS.approved, 'server-url': proxy.url, ...inputs });
        expect(run.code).toBe(1);
        expect(run.errors).toEqual([message]);
        if (inputs['api-key'] !== '') expectMasked(run, world.deployKey);
      }
      const noServer = await gate(node, { infrastructure: 'production', ...ITEMS.approved, 'server-url': 'ftp://signoff.example.com' });
      expect(noServer.errors).toEqual(['Input "server-url" must be an http(s) URL such as https://signoff.example.com']);
    } finally {
      await proxy.close();
    }
    expect(proxy.failed).toBe(0);
  });

  it('an unknown API key fails the step with the server\'s answer', async () => {
    const run = await gate(node, { infrastructure: 'production', ...ITEMS.approved, 'api-key': 'sk_nosuchkey_0000000000000000000000' });
    expect(run.code).toBe(1);
    expect(run.errors.join()).toMatch(/UNAUTHENTICATED|UNAUTHORIZED|401/i);
    expectMasked(run, 'sk_nosuchkey_0000000000000000000000');
  });

  it('register mode registers the build with its digests and importance, asks the groups; wait-for-approval then passes once it is approved', async () => {
    const digest = `registry.example.com/shop/web@sha256:${'a'.repeat(64)}`;
    const reg = await runAction({
      node: node.path,
      inputs: { mode: 'register', 'server-url': world.server.url, 'api-key': world.buildKey, item: 'shop/web-bundle@v3', digests: `${digest}\ns3://builds/shop/web/v3/`, importance: 'High', 'request-feedback': 'it-operations' },
      env: { GITHUB_API_URL: gh.url },
    });
    expect(reg.code, reg.stdout).toBe(0);
    expectMasked(reg, world.buildKey);
    const itemId = reg.outputs['item-id'] ?? '';
    expect(itemId).not.toBe('');
    expect(reg.outputs['review-url']).toBe(`${world.server.url}/items/${itemId}`);
    expect(reg.outputs['signoff-status']).toBe('Waiting for feedback');
    expect(reg.summary).toContain('shop/web-bundle@v3');
    const got = await world.service.getItem(SYSTEM, itemId);
    if (!got.ok) throw new Error(got.error.message);
    const item = got.value;
    const shop = await world.service.getProject(SYSTEM, 'shop');
    expect(shop.ok && item.projectId).toBe(shop.ok ? shop.value.id : 'no project shop');
    expect(item).toMatchObject({ kind: 'bundle', name: 'web-bundle', version: 'v3', importance: 'High' });
    expect([...item.digests].sort()).toEqual([`sha256:${'a'.repeat(64)}`, 'uri:s3://builds/shop/web/v3'].sort());
    expect(item.links.map((l) => l.url)).toEqual([`https://github.com/example/shop/commit/${'c0ffee'.padEnd(40, '0')}`]);
    const signoff = Object.values(item.signoffs)[0];
    expect(signoff?.status).toBe('Waiting for feedback');
    expect(signoff?.notified).toContainEqual({ kind: 'group', id: 'it-operations' });
    // Re-running the same build is not an error.
    const again = await runAction({ node: node.path, inputs: { mode: 'register', 'server-url': world.server.url, 'api-key': world.buildKey, item: 'shop/web-bundle@v3', digests: `s3://builds/shop/web/v3/\n${digest}` }, env: {} });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs['item-id']).toBe(itemId);
    expect(again.stdout).toContain('Already registered');

    await bringToFinalApproval(world, itemId);
    // Fiona approves once the job is visibly waiting.
    let approving: Promise<unknown> | undefined;
    const run = await runAction({
      node: node.path,
      inputs: { 'server-url': world.server.url, 'api-key': world.deployKey, 'github-token': 'ghs_jobtoken0000', infrastructure: 'production', item: 'shop/web-bundle@v3', digests: digest, 'wait-for-approval': '40s' },
      env: { GITHUB_API_URL: gh.url, ...own(6) },
      onStdout: (text) => {
        if (!approving && text.includes('next check in')) approving = finalApproval(world, itemId, 'Approved');
      },
    });
    await approving;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/shop\/web-bundle@v3: Waiting for final approval; waited \d+m?s, \d+s left, next check in \d+ms/);
    expect(run.stdout).toContain('is approved after');
    expect(run.outputs).toMatchObject({ decision: 'allow', 'signoff-status': 'Approved' });
    expect(gh.statuses.filter((s) => s.sha === own(6).GITHUB_SHA).map((s) => s.state)).toEqual(['pending', 'success']);
    // The checks while waiting are dry runs: one deployment is recorded, by the final decision.
    expect((await deploymentsOfRun(own(6).GITHUB_RUN_ID)).map((d) => [d.id, d.outcome])).toEqual([[run.outputs['deployment-id'], 'allow']]);
  });

  it('wait-for-approval checks with growing intervals until the timeout, then decides', async () => {
    const run = await gate(node, { infrastructure: 'production', ...ITEMS.unapproved, 'wait-for-approval': '3s' }, { env: { SIGNOFF_POLL_BASE_MS: '200', ...own(7) } });
    expect(run.code).toBe(1);
    const waits = [...run.stdout.matchAll(/fraud\/fraud-model@3: Waiting for final approval; waited [^,]+, [^,]+ left, next check in (\d+)ms/g)].map((m) => Number(m[1]));
    // 200, 300, 450, 675 … until three seconds are up; the last wait is cut to what is left.
    const schedule = waits.map((_, i) => Math.round(200 * 1.5 ** i));
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits.slice(0, -1)).toEqual(schedule.slice(0, -1));
    expect(waits.at(-1)).toBeLessThanOrEqual(schedule.at(-1) ?? 0);
    expect(run.stdout).toContain('Stopped waiting for fraud/fraud-model@3 after 3s: still Waiting for final approval');
    expect(run.outputs).toMatchObject({ decision: 'deny', 'signoff-status': 'Waiting for final approval' });
    expect(run.errors.join()).toContain('Missing: the final approval.');
    expect((await deploymentsOfRun(own(7).GITHUB_RUN_ID)).map((d) => d.outcome)).toEqual(['deny']);
  });

  it('wait-for-approval fails at once when the item is rejected while it waits, even under warn', async () => {
    const { ref, id } = await freshItem('v4', 'b');
    const started = Date.now();
    let rejecting: Promise<unknown> | undefined;
    const run = await runAction({
      node: node.path,
      inputs: { 'server-url': world.server.url, 'api-key': world.deployKey, infrastructure: 'staging', item: ref, 'wait-for-approval': '30m' },
      env: { SIGNOFF_POLL_BASE_MS: '50', ...own(8) },
      onStdout: (text) => {
        if (!rejecting && text.includes('next check in')) rejecting = finalApproval(world, id, 'Rejected');
      },
    });
    await rejecting;
    expect(run.code).toBe(1);
    expect(run.errors.join()).toContain(`${ref} was rejected while waiting for its approval: ${world.server.url}/items/${id}`);
    expect(run.outputs).toMatchObject({ decision: 'deny', 'signoff-status': 'Rejected', 'item-id': id });
    expect(run.summary).toContain('was rejected while waiting');
    expect(run.summary).toContain('<th>Sign-off status</th><td>Rejected</td>');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await deploymentsOfRun(own(8).GITHUB_RUN_ID)).toEqual([]);
  });

  it('wait-for-approval fails at once when the sign-off is abandoned while it waits', async () => {
    const { ref, id } = await freshItem('v6', 'c');
    const olivia = await world.as('olivia');
    let abandoning: Promise<unknown> | undefined;
    const run = await runAction({
      node: node.path,
      inputs: { 'server-url': world.server.url, 'api-key': world.deployKey, environment: 'development', item: ref, 'wait-for-approval': '30m' },
      env: { SIGNOFF_POLL_BASE_MS: '50' },
      onStdout: (text) => {
        if (!abandoning && text.includes('next check in')) abandoning = world.service.signoffAction(olivia, id, { type: 'abandon', comment: 'Superseded by v7.' });
      },
    });
    const abandoned = (await abandoning) as { ok: boolean } | undefined;
    expect(abandoned?.ok).toBe(true);
    expect(run.code).toBe(1);
    expect(run.errors.join()).toContain(`${ref} was abandoned while waiting for its approval`);
    expect(run.outputs).toMatchObject({ decision: 'deny', 'signoff-status': 'Abandoned' });
  });
});

describe('the GitHub side, after every run above', () => {
  it('made no request GitHub would refuse', () => {
    expect(gh.requests.length).toBeGreaterThan(0);
    expect(gh.violations).toEqual([]);
    expect(gh.requests.every((r) => r.authorization === 'token ghs_jobtoken0000')).toBe(true);
  });
});
