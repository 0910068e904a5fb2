/**
 * The seed tutorial's lifecycle (dataiku-governance-lifecycle-tutorial.txt), end to end through
 * the HTTP API of a real `signoff-server` process: nothing here touches the store or the service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignoffClient, type Item, type Project, type Result, type WorkflowTemplate } from '@signoff/core';
import { tempDir } from './support/server-harness.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';

const ADMIN_PASSWORD = 'lifecycle-admin-password';
const PASSWORD = 'lifecycle-user-password';
const V1_IMAGE = `registry.example.com/shop/web@sha256:${'1'.repeat(64)}`;
const V2_IMAGE = `registry.example.com/shop/web@sha256:${'2'.repeat(64)}`;

function must<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

describe('the seed tutorial lifecycle through the HTTP API', () => {
  const tmp = tempDir('signoff-lifecycle-');
  let server: ServerProcess;
  const clients: Record<string, SignoffClient> = {};
  const ids: Record<string, string> = {};

  async function session(username: string, password: string): Promise<SignoffClient> {
    const answer = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(answer.status).toBe(200);
    const { csrfToken } = (await answer.json()) as { csrfToken: string };
    const cookie = (answer.headers.get('set-cookie') ?? '').split(';')[0]!;
    return new SignoffClient({ baseUrl: server.url, headers: { cookie, 'x-csrf-token': csrfToken } });
  }

  beforeAll(async () => {
    server = await spawnServer(['--port', '0', '--data', `${tmp.dir}/signoff.json`], {
      env: { SIGNOFF_ADMIN_PASSWORD: ADMIN_PASSWORD, SIGNOFF_LOG_LEVEL: 'warn' },
    });
    clients.admin = await session('admin', ADMIN_PASSWORD);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    tmp.remove();
  });

  let project: Project;
  let bundleTemplate: WorkflowTemplate;
  let projectTemplate: WorkflowTemplate;
  let v1: Item;
  let v2: Item;

  it('the administrator sets up groups, people and the three infrastructures', async () => {
    const admin = clients.admin!;
    for (const [id, name] of [['it-operations', 'IT & Operations'], ['risk-compliance', 'Risk & Compliance'], ['business', 'Business']]) {
      must(await admin.call('createGroup', { body: { id, name } }), `group ${id}`);
    }
    for (const [username, groups] of [['olivia', []], ['ivan', ['it-operations']], ['rita', ['risk-compliance']], ['bob', ['business']], ['fiona', []]] as const) {
      const user = must<{ id: string }>(await admin.call('createUser', { body: { username, displayName: username, password: PASSWORD, groups } }), `user ${username}`);
      ids[username] = user.id;
      clients[username] = await session(username, PASSWORD);
    }
    must(await admin.call('createInfrastructure', { body: { id: 'development', name: 'Development', policy: 'always' } }), 'development');
    must(await admin.call('createInfrastructure', { body: { id: 'staging', name: 'Staging', policy: 'warn' } }), 'staging');
    must(await admin.call('createInfrastructure', { body: { id: 'production', name: 'Production', policy: 'prevent', unmatched: 'deny', production: true } }), 'production');
    const templates = must<WorkflowTemplate[]>(await admin.call('listTemplates'), 'templates');
    bundleTemplate = templates.find((t) => t.builtin && t.appliesTo.includes('bundle'))!;
    projectTemplate = templates.find((t) => t.builtin && t.appliesTo.includes('project'))!;
    expect(bundleTemplate.steps.map((s) => s.name)).toEqual(['Development', 'Review', 'Signed-off', 'Production']);
    expect(projectTemplate.steps.map((s) => s.name)).toEqual(['Exploration', 'Qualification', 'In Progress', 'Validation and Roll-out', 'Delivered']);
  });

  it('Olivia creates the governed project and adds the sign-off reviewers', async () => {
    const olivia = clients.olivia!;
    project = must(await olivia.createProject({ key: 'shop', name: 'Web shop', description: 'The customer-facing web shop' }), 'create project');
    expect(project.owner).toBe(ids.olivia);
    project = must(
      await olivia.setReviewers(project.id, {
        feedbackGroups: [
          { groupId: 'it-operations', assignees: [{ kind: 'group', id: 'it-operations' }] },
          { groupId: 'risk-compliance', assignees: [{ kind: 'group', id: 'risk-compliance' }] },
          { groupId: 'business', assignees: [{ kind: 'user', id: ids.bob! }] },
        ],
        finalApprovers: [{ kind: 'user', id: ids.fiona! }],
      }),
      'set reviewers',
    );
    expect(project.reviewers.finalApprovers).toEqual([{ kind: 'user', id: ids.fiona }]);
    // A reviewer cannot change the reviewers of someone else's project.
    const refused = await clients.bob!.setReviewers(project.id, { feedbackGroups: [], finalApprovers: [{ kind: 'user', id: ids.bob! }] });
    expect(refused.ok || refused.error.code).toBe('FORBIDDEN');
  });

  it('Olivia qualifies the project Go and moves it into progress', async () => {
    const olivia = clients.olivia!;
    const [exploration, qualification, inProgress] = projectTemplate.steps;
    for (const step of [exploration!, qualification!]) {
      must(await olivia.call('updateProjectStep', { params: { id: project.id, stepId: step.id }, body: { status: 'Ongoing' } }), `start ${step.name}`);
      if (step === qualification) {
        project = must(
          await olivia.call('setQualification', {
            params: { id: project.id },
            body: { value: 4, risk: 3, feasibility: 4, decision: 'Go', comments: 'Worth doing', plan: 'Ship behind the gate' },
          }),
          'qualify',
        );
        expect(project.qualification).toMatchObject({ value: 4, risk: 3, feasibility: 4, decision: 'Go' });
      }
      must(await olivia.call('updateProjectStep', { params: { id: project.id, stepId: step.id }, body: { status: 'Finished' } }), `finish ${step.name}`);
    }
    project = must(await olivia.call('updateProjectStep', { params: { id: project.id, stepId: inProgress!.id }, body: { status: 'Ongoing' } }), 'in progress');
    expect(project.workflow.steps.map((s) => s.status)).toEqual(['Finished', 'Finished', 'Ongoing', 'Not started', 'Not started']);
  });

  it('Olivia registers bundle v1 and requests feedback; Bob gives his; Olivia requests the final approval', async () => {
    const olivia = clients.olivia!;
    v1 = must(await olivia.registerItem({ kind: 'bundle', projectId: project.id, name: 'web-bundle', version: 'v1', artifacts: { images: [V1_IMAGE] }, importance: 'High' }), 'register v1');
    const [development, review] = bundleTemplate.steps;
    must(await olivia.updateItemStep(v1.id, development!.id, { status: 'Finished' }), 'development done');
    must(await olivia.updateItemStep(v1.id, review!.id, { status: 'Ongoing' }), 'review ongoing');
    v1 = must(await olivia.requestFeedback(v1.id, [{ kind: 'user', id: ids.bob! }]), 'request feedback');
    expect(v1.signoffs[review!.id]?.status).toBe('Waiting for feedback');

    const bobsTasks = must(await clients.bob!.myReviews(), 'bob reviews');
    expect(bobsTasks.map((t) => [t.kind, t.ref])).toContainEqual(['feedback', 'shop/web-bundle@v1']);
    // Ivan is not a business reviewer.
    const ivan = await clients.ivan!.submitFeedback(v1.id, { groupId: 'business', status: 'Approved' });
    expect(ivan.ok ? 'ok' : ivan.error.code).toBe('NOT_ASSIGNED');
    v1 = must(await clients.bob!.submitFeedback(v1.id, { groupId: 'business', status: 'Approved', comment: 'LGTM' }), 'bob feedback');
    expect(v1.signoffs[review!.id]?.feedback.map((f) => [f.groupId, f.status])).toEqual([['business', 'Approved']]);
    v1 = must(await olivia.requestFinalApproval(v1.id, [{ kind: 'user', id: ids.fiona! }]), 'request final approval');
    expect(v1.signoffs[review!.id]?.status).toBe('Waiting for final approval');
  });

  it('Fiona rejects v1, and the Review step cannot be finished', async () => {
    const review = bundleTemplate.steps[1]!;
    // The creator cannot give the final approval (separation of duties).
    const own = await clients.olivia!.finalApproval(v1.id, { status: 'Approved' });
    expect(own.ok ? 'ok' : own.error.code).toMatch(/SEPARATION_OF_DUTIES|NOT_ASSIGNED/);
    v1 = must(await clients.fiona!.finalApproval(v1.id, { status: 'Rejected', comment: 'Fails to meet requirements' }), 'reject');
    expect(v1.signoffs[review.id]?.status).toBe('Rejected');
    const finish = await clients.olivia!.updateItemStep(v1.id, review.id, { status: 'Finished' });
    expect(finish.ok).toBe(false);
    if (!finish.ok) expect(['SIGNOFF_REQUIRED', 'WORKFLOW_LOCKED']).toContain(finish.error.code);
    const status = must(await clients.olivia!.governanceStatus('shop/web-bundle@v1'), 'status v1');
    expect(status).toMatchObject({ signoffStatus: 'Rejected', approved: false });
  });

  it('v2 goes through feedback and is approved, and its Review step is finished', async () => {
    const olivia = clients.olivia!;
    const [development, review] = bundleTemplate.steps;
    v2 = must(await olivia.registerItem({ kind: 'bundle', projectId: project.id, name: 'web-bundle', version: 'v2', artifacts: { images: [V2_IMAGE] }, importance: 'High' }), 'register v2');
    must(await olivia.updateItemStep(v2.id, development!.id, { status: 'Finished' }), 'development done');
    must(await olivia.updateItemStep(v2.id, review!.id, { status: 'Ongoing' }), 'review ongoing');
    must(await olivia.requestFeedback(v2.id, []), 'request feedback');
    must(await clients.ivan!.submitFeedback(v2.id, { groupId: 'it-operations', status: 'Approved' }), 'ivan');
    must(await clients.rita!.submitFeedback(v2.id, { groupId: 'risk-compliance', status: 'Minor issues', comment: 'Document retention' }), 'rita');
    must(await clients.bob!.submitFeedback(v2.id, { groupId: 'business', status: 'Approved' }), 'bob');
    must(await olivia.requestFinalApproval(v2.id, []), 'request final approval');
    v2 = must(await clients.fiona!.finalApproval(v2.id, { status: 'Approved', comment: 'Go' }), 'approve');
    expect(v2.signoffs[review!.id]?.status).toBe('Approved');
    v2 = must(await olivia.updateItemStep(v2.id, review!.id, { status: 'Finished' }), 'finish review');
    expect(v2.workflow.steps.find((s) => s.id === review!.id)?.status).toBe('Finished');
    const status = must(await olivia.governanceStatus('shop/web-bundle@v2'), 'status v2');
    expect(status).toMatchObject({ signoffStatus: 'Approved', approved: true, approvedDigests: [`sha256:${'2'.repeat(64)}`] });
  });

  it('decisions for v1 and v2 on development, staging and production', async () => {
    const key = must<{ secret: string }>(await clients.admin!.call('createApiKey', { body: { name: 'deployer', scopes: ['decisions:read', 'deployments:write'] } }), 'api key');
    const deployer = new SignoffClient({ baseUrl: server.url, apiKey: key.secret });
    const expected: Record<string, Record<string, string>> = {
      v1: { development: 'allow', staging: 'warn', production: 'deny' },
      v2: { development: 'allow', staging: 'allow', production: 'allow' },
    };
    for (const [version, image] of [['v1', V1_IMAGE], ['v2', V2_IMAGE]] as const) {
      for (const infrastructure of ['development', 'staging', 'production']) {
        const out = must(
          await deployer.decide({ infrastructure, item: `shop/web-bundle@${version}`, artifacts: [image], target: { kind: 'other', description: 'lifecycle test' } }),
          `decide ${version} ${infrastructure}`,
        );
        expect(out.decision.outcome, `${version} on ${infrastructure}`).toBe(expected[version]![infrastructure]);
        expect(out.decision.item?.ref).toBe(`shop/web-bundle@${version}`);
        expect(out.decision.reasons.length).toBeGreaterThan(0);
        // Every attempt that is not a dry run is recorded, refusals included (core's registry audits attempts).
        expect(out.deploymentId).toMatch(/^dep_/);
      }
    }
    // v1's denial on production says why and where to get the approval.
    const denied = must(await deployer.decide({ infrastructure: 'production', item: 'shop/web-bundle@v1', artifacts: [V1_IMAGE], dryRun: true }), 'dry run');
    expect(denied.decision.reviewUrl).toContain(v1.id);
    expect(denied.deploymentId).toBeUndefined();
    const deployments = must(await deployer.listDeployments({ itemId: v2.id }), 'deployments');
    expect(deployments.map((d) => d.infrastructureId).sort()).toEqual(['development', 'production', 'staging']);
    const refused = must(await deployer.listDeployments({ itemId: v1.id, infrastructureId: 'production' }), 'v1 deployments');
    expect(refused.map((d) => d.outcome)).toEqual(['deny']);
    const verify = must(await clients.admin!.verifyAudit(), 'verify audit');
    expect(verify.ok).toBe(true);
  });
});
