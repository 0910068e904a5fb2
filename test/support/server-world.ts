import type { ApiRoute, Item, Principal, Project, SignoffAction, WorkflowTemplate } from '@signoff/core';
import { systemPrincipal } from '@signoff/core';
import { must, type TestServer } from './server-harness.js';

/** Sign-off states a route may need its item in. */
export type ItemState =
  | 'not-started'
  | 'feedback'
  | 'feedback-with-review'
  | 'final'
  | 'approved'
  | 'abandoned'
  | 'scheduled';

/** The template's feedback group the world's reviewers sit in (users of group grp-a, or grp-b elsewhere). */
export const FEEDBACK_GROUP = 'business';

export const IMAGE = (n: number) => `registry.example.com/world/app@sha256:${n.toString(16).padStart(64, '0')}`;

export interface Fixture {
  project: Project;
  item: Item;
  modelId: string;
  reviewId?: string;
}

/**
 * People and objects for the API tests, created through the service (fast, in-process):
 * a viewer, a reviewer (user group `grp-a`: the Business feedback group and the final approver of
 * the world's projects), a reviewer of `grp-b` (Business reviewer of another project only), a delegate, an owner and the admin.
 */
export interface World {
  principals: Record<'admin' | 'owner' | 'reviewer' | 'otherReviewer' | 'delegate' | 'viewer', Principal>;
  bundleTemplate: WorkflowTemplate;
  reviewStepId: string;
  /** A fresh project owned by `owner` with an item driven into `state`. */
  fixture(state: ItemState): Promise<Fixture>;
  /** Shared objects: path parameters for any route (by the collection its path names). */
  paramsFor(route: Pick<ApiRoute, 'path'>, fixture?: Fixture): Record<string, string>;
  shared: { fixture: Fixture; userId: string; apiKeyId: string; infrastructureId: string; groupId: string };
}

let counter = 0;
const unique = (prefix: string) => `${prefix}${(++counter).toString(36)}${Date.now().toString(36).slice(-4)}`;

export async function seedWorld(t: TestServer): Promise<World> {
  const svc = t.service;
  const sys = systemPrincipal;
  for (const id of ['grp-a', 'grp-b']) must(await svc.createGroup(sys, { id, name: id.toUpperCase() }));
  const user = async (username: string, groups: string[] = [], roles: string[] = []) => {
    const u = must(await svc.createUser(sys, { username, displayName: username, password: 'world-password-1', groups, roles }));
    return must(await svc.principalForUser(u.id));
  };
  const principals = {
    admin: must(await svc.principalForUser(t.admin.userId)),
    owner: await user('w-owner'),
    reviewer: await user('w-reviewer', ['grp-a']),
    otherReviewer: await user('w-other', ['grp-b']),
    delegate: await user('w-delegate'),
    viewer: await user('w-viewer', [], ['viewer']),
  };
  const templates = must(await svc.listTemplates(sys));
  const bundleTemplate = templates.find((x) => x.builtin && x.appliesTo.includes('bundle'))!;
  const reviewStepId = bundleTemplate.steps.find((s) => s.signoff)!.id;

  // Another project on which grp-b reviews: the "reviewer of another group".
  const other = must(await svc.createProject(principals.owner, { key: unique('other'), name: 'Other project' }));
  must(await svc.setReviewers(principals.owner, other.id, { feedbackGroups: [{ groupId: FEEDBACK_GROUP, assignees: [{ kind: 'group', id: 'grp-b' }] }], finalApprovers: [{ kind: 'group', id: 'grp-b' }] }));

  const act = async (actor: Principal, item: Item, action: SignoffAction) => must(await svc.signoffAction(actor, item.id, action));

  async function fixture(state: ItemState): Promise<Fixture> {
    const owner = principals.owner;
    let project = must(await svc.createProject(owner, { key: unique('p'), name: 'World project' }));
    project = must(
      await svc.setReviewers(owner, project.id, {
        feedbackGroups: [{ groupId: FEEDBACK_GROUP, assignees: [{ kind: 'group', id: 'grp-a' }] }],
        finalApprovers: [{ kind: 'group', id: 'grp-a' }],
      }),
    );
    const model = must(await svc.createModel(owner, { projectId: project.id, name: 'model' }));
    let item = must(
      await svc.registerItem(owner, { kind: 'bundle', projectId: project.id, name: 'app', version: '1', artifacts: { images: [IMAGE(++counter)] }, importance: 'High' }),
    );
    let reviewId: string | undefined;
    if (state !== 'not-started') {
      item = await act(owner, item, { type: 'requestFeedback', notify: [] });
      // The reviewer hands grp-a and the final approval to the delegate.
      item = await act(principals.reviewer, item, { type: 'delegate', delegationId: unique('dlg'), scope: FEEDBACK_GROUP, to: principals.delegate.id, comment: '' });
      item = await act(principals.reviewer, item, { type: 'delegate', delegationId: unique('dlg'), scope: 'final', to: principals.delegate.id, comment: '' });
    }
    if (state === 'feedback-with-review' || state === 'final' || state === 'approved') {
      reviewId = unique('rev');
      item = await act(principals.reviewer, item, { type: 'submitFeedback', reviewId, groupId: FEEDBACK_GROUP, status: 'Approved', comment: 'ok' });
    }
    if (state === 'final' || state === 'approved') item = await act(owner, item, { type: 'requestFinalApproval', notify: [] });
    if (state === 'approved') item = await act(principals.reviewer, item, { type: 'finalApproval', status: 'Approved', comment: '' });
    if (state === 'abandoned') item = await act(owner, item, { type: 'abandon', comment: '' });
    if (state === 'scheduled') item = await act(owner, item, { type: 'scheduleReset', every: 'P90D' });
    return { project, item, modelId: model.id, ...(reviewId ? { reviewId } : {}) };
  }

  const shared = {
    fixture: await fixture('feedback-with-review'),
    userId: principals.viewer.id,
    apiKeyId: must(await svc.createApiKey(sys, { name: 'world key', scopes: ['items:read'] })).key.id,
    infrastructureId: must(await svc.createInfrastructure(principals.admin, { id: 'world-infra', name: 'World', policy: 'prevent' } as never)).id,
    groupId: FEEDBACK_GROUP,
  };

  function paramsFor(route: Pick<ApiRoute, 'path'>, fx: Fixture = shared.fixture): Record<string, string> {
    const collection = route.path.split('/')[3];
    const params: Record<string, string> = {};
    if (route.path.includes(':id')) {
      const ids: Record<string, string | undefined> = {
        users: shared.userId,
        'api-keys': shared.apiKeyId,
        projects: fx.project.id,
        models: fx.modelId,
        items: fx.item.id,
        infrastructures: shared.infrastructureId,
      };
      const id = ids[collection ?? ''];
      if (id === undefined) throw new Error(`seedWorld: no object for ${route.path}`);
      params.id = id;
    }
    if (route.path.includes(':stepId')) {
      params.stepId = collection === 'projects' ? fx.project.workflow.steps[0]!.id : reviewStepId;
    }
    if (route.path.includes(':reviewId')) params.reviewId = fx.reviewId ?? 'rev-none';
    return params;
  }

  return { principals, bundleTemplate, reviewStepId, fixture, paramsFor, shared };
}
