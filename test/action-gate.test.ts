/**
 * The bundled Action, run as the runner runs it, against a real signoff server (demo world) and
 * a local GitHub API that checks every request against GitHub's OpenAPI description.
 * Every policy × approved / unapproved / rejected / unreachable, on this Node and on Node 24.
 */
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

/** The key is masked first and never printed anywhere else. */
function expectMasked(run: ActionRun, key: string): void {
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

describe('the bundled action, more cases', () => {
  const node = nodes[0] as NodeBinary;

  it('fails closed when the server cannot be reached at all and the policy is unknown', async () => {
    const run = await gate(node, { infrastructure: 'staging', ...ITEMS.approved, 'server-url': await closedPort() });
    expect(run.code).toBe(1);
    expect(run.errors.join()).toContain('policy is unknown, so the deploy is refused (fail closed)');
    expect(run.outputs.decision).toBe('deny');
  });

  it('retries a 5xx with backoff, the number of attempts configured', async () => {
    const proxy = await startFlakyProxy(world.server.url, /^POST \/api\/v1\/decisions/, 502);
    try {
      const run = await gate(node, { infrastructure: 'production', ...ITEMS.approved, 'server-url': proxy.url }, { env: { SIGNOFF_RETRY_ATTEMPTS: '3' } });
      expect(run.code).toBe(1);
      expect(proxy.failed).toBe(3);
      expect(run.errors.join()).toContain('policy prevent');
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
    const real = await gate(node, { environment: 'production', ...ITEMS.approved });
    const dry = await gate(node, { environment: 'production', ...ITEMS.approved, 'dry-run': 'true' });
    expect(real.code).toBe(0);
    expect(dry.code).toBe(0);
    expect(dry.outputs['deployment-id']).toBe('');
    expect(dry.stdout).toContain('Dry run: nothing was recorded.');
    const all = await world.service.listDeployments(SYSTEM, { infrastructureId: 'production' });
    const rec = all.ok ? all.value.find((d) => d.id === real.outputs['deployment-id']) : undefined;
    expect(rec?.target).toEqual({ kind: 'github', repository: 'example/shop', environment: 'production', runId: '4242', sha: 'c0ffee'.padEnd(40, '0') });
  });

  it('fails at once on a bad input, naming it, without calling the server', async () => {
    const proxy = await startFlakyProxy(world.server.url, /^$/);
    try {
      const run = await gate(node, { infrastructure: 'production', ...ITEMS.approved, 'wait-for-approval': 'soon', 'server-url': proxy.url });
      expect(run.code).toBe(1);
      expect(run.errors).toEqual(['Input "wait-for-approval" "soon" is not a duration such as 90s, 30m or 2h']);
      expectMasked(run, world.deployKey);
    } finally {
      await proxy.close();
    }
  });

  it('an unknown API key fails the step with the server\'s answer', async () => {
    const run = await gate(node, { infrastructure: 'production', ...ITEMS.approved, 'api-key': 'sk_nosuchkey_0000000000000000000000' });
    expect(run.code).toBe(1);
    expect(run.errors.join()).toMatch(/UNAUTHENTICATED|UNAUTHORIZED|401/i);
  });

  it('register mode registers the build; wait-for-approval then passes once it is approved', async () => {
    const digest = `registry.example.com/shop/web@sha256:${'a'.repeat(64)}`;
    const reg = await runAction({
      node: node.path,
      inputs: { mode: 'register', 'server-url': world.server.url, 'api-key': world.buildKey, item: 'shop/web-bundle@v3', digests: digest, importance: 'High', 'request-feedback': 'it-operations' },
      env: { GITHUB_API_URL: gh.url },
    });
    expect(reg.code, reg.stdout).toBe(0);
    expectMasked(reg, world.buildKey);
    const itemId = reg.outputs['item-id'] ?? '';
    expect(itemId).not.toBe('');
    expect(reg.outputs['review-url']).toBe(`${world.server.url}/items/${itemId}`);
    expect(reg.summary).toContain('shop/web-bundle@v3');
    const item = await world.service.getItem(SYSTEM, itemId);
    expect(item.ok && item.value.digests).toEqual([`sha256:${'a'.repeat(64)}`]);
    expect(item.ok && item.value.links.map((l) => l.url)).toEqual([`https://github.com/example/shop/commit/${'c0ffee'.padEnd(40, '0')}`]);
    // Re-running the same build is not an error.
    const again = await runAction({ node: node.path, inputs: { mode: 'register', 'server-url': world.server.url, 'api-key': world.buildKey, item: 'shop/web-bundle@v3', digests: digest }, env: {} });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs['item-id']).toBe(itemId);

    await bringToFinalApproval(world, itemId);
    // Fiona approves once the job is visibly waiting.
    let approving: Promise<unknown> | undefined;
    const run = await runAction({
      node: node.path,
      inputs: { 'server-url': world.server.url, 'api-key': world.deployKey, 'github-token': 'ghs_jobtoken0000', infrastructure: 'production', item: 'shop/web-bundle@v3', digests: digest, 'wait-for-approval': '40s' },
      env: { GITHUB_API_URL: gh.url },
      onStdout: (text) => {
        if (!approving && text.includes('next check in')) approving = finalApproval(world, itemId, 'Approved');
      },
    });
    await approving;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/shop\/web-bundle@v3: Waiting for final approval; waited \d+s, \d+s left, next check in/);
    expect(run.stdout).toContain('is approved after');
    expect(run.outputs.decision).toBe('allow');
    expect(gh.statuses.some((s) => s.state === 'pending' && s.description?.includes('shop/web-bundle@v3'))).toBe(true);
  });

  it('wait-for-approval fails at once when the item is rejected', async () => {
    const digest = `registry.example.com/shop/web@sha256:${'b'.repeat(64)}`;
    const reg = await runAction({
      node: node.path,
      inputs: { mode: 'register', 'server-url': world.server.url, 'api-key': world.buildKey, item: 'shop/web-bundle@v4', digests: digest },
      env: {},
    });
    expect(reg.code, reg.stdout).toBe(0);
    const itemId = reg.outputs['item-id'] ?? '';
    await bringToFinalApproval(world, itemId);
    const started = Date.now();
    let rejecting: Promise<unknown> | undefined;
    const run = await runAction({
      node: node.path,
      inputs: { 'server-url': world.server.url, 'api-key': world.deployKey, infrastructure: 'staging', item: 'shop/web-bundle@v4', digests: digest, 'wait-for-approval': '30m' },
      env: {},
      onStdout: (text) => {
        if (!rejecting && text.includes('next check in')) rejecting = finalApproval(world, itemId, 'Rejected');
      },
    });
    await rejecting;
    expect(run.code).toBe(1);
    expect(run.errors.join()).toContain('shop/web-bundle@v4 was rejected while waiting for its approval');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('made no request GitHub would refuse', () => {
    expect(gh.requests.length).toBeGreaterThan(0);
    expect(gh.violations).toEqual([]);
    expect(gh.requests.every((r) => r.authorization === 'token ghs_jobtoken0000')).toBe(true);
  });
});
