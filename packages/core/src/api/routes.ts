import { z } from 'zod';
import { ok, type Result } from '../result.js';
import type { Principal, Scope } from '../schemas/principal.js';
import type { SignoffAction } from '../signoff/actions.js';
import type { GovernanceService } from '../service/types.js';
import { randomId } from '../service/ids.js';
import * as s from './schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/**
 * One endpoint of the HTTP API. The server validates `params`, `query` and `body` with these
 * schemas (a failure is a VALIDATION problem naming the field), calls `invoke` with the
 * authenticated principal, and answers `successStatus` with the value, or the problem
 * document of the error (`problemFromError`, `httpStatusFor`).
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  operationId: string;
  method: HttpMethod;
  /** Express-style path, e.g. `/api/v1/items/:id/signoff/feedback`. */
  path: string;
  summary: string;
  tag: string;
  /** `public`: no credentials (login); `authenticated`: a session or an API key. */
  auth: 'public' | 'authenticated';
  /**
   * API key scopes, any one of which lets a key call the route (keys with `admin` may call
   * everything). Empty: API keys may not call it. The service re-checks everything.
   */
  scopes: readonly Scope[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: z.ZodType;
  successStatus: 200 | 201;
  /** Calls the service. `input` must already be parsed with `params`, `query` and `body` (the server does). */
  invoke(service: GovernanceService, actor: Principal, input: RouteInput<P, Q, B>): Promise<Result<unknown>>;
}

function route<P = undefined, Q = undefined, B = undefined>(r: ApiRoute<P, Q, B>): ApiRoute<P, Q, B> {
  return r;
}

const map = async <T, U>(p: Promise<Result<T>>, f: (v: T) => U): Promise<Result<U>> => {
  const r = await p;
  return r.ok ? ok(f(r.value)) : r;
};
const publicUser = (u: unknown) => s.PublicUser.parse(u);
const publicKey = (k: unknown) => s.PublicApiKey.parse(k);

const V1 = '/api/v1';
const ADMIN: readonly Scope[] = ['admin'];
const READ: readonly Scope[] = ['items:read', 'items:write', 'reviews:write', 'decisions:read'];
const WRITE: readonly Scope[] = ['items:write'];
const REVIEW: readonly Scope[] = ['reviews:write'];

type SignoffInput<B> = RouteInput<{ id: string }, { stepId?: string | undefined }, B>;

/** A sign-off action endpoint: `POST|PATCH|PUT|DELETE /api/v1/items/:id/signoff/<slug>`. */
function signoffRoute<B>(
  operationId: string,
  method: HttpMethod,
  slug: string,
  summary: string,
  body: z.ZodType<B> | undefined,
  toAction: (input: SignoffInput<B> & { params: { id: string; reviewId?: string } }) => SignoffAction,
  params: z.ZodType<{ id: string; reviewId?: string }> = s.ItemRefParams,
): ApiRoute<{ id: string; reviewId?: string }, { stepId?: string | undefined }, B> {
  return {
    operationId,
    method,
    path: `${V1}/items/:id/signoff/${slug}`,
    summary,
    tag: 'sign-off',
    auth: 'authenticated',
    scopes: REVIEW,
    params,
    query: s.SignoffQuery,
    ...(body ? { body } : {}),
    response: s.ItemResponse,
    successStatus: 200,
    invoke: (svc, actor, input) => svc.signoffAction(actor, input.params.id, toAction(input), input.query.stepId),
  };
}

export const apiRoutes = {
  // ------------------------------------------------------------ session and principals
  login: route({
    operationId: 'login',
    method: 'POST',
    path: `${V1}/session`,
    summary: 'Log in with a username and password (the server sets the session cookie)',
    tag: 'auth',
    auth: 'public',
    scopes: [],
    body: s.LoginInput,
    response: s.PrincipalResponse,
    successStatus: 200,
    invoke: (svc, _actor, { body }) => svc.authenticatePassword(body.username, body.password),
  }),
  me: route({
    operationId: 'me',
    method: 'GET',
    path: `${V1}/me`,
    summary: 'The authenticated principal',
    tag: 'auth',
    auth: 'authenticated',
    scopes: ['items:read', 'items:write', 'reviews:write', 'decisions:read', 'deployments:write'],
    response: s.PrincipalResponse,
    successStatus: 200,
    invoke: (_svc, actor) => Promise.resolve(ok(actor)),
  }),
  createUser: route({
    operationId: 'createUser',
    method: 'POST',
    path: `${V1}/users`,
    summary: 'Create a user (admin)',
    tag: 'principals',
    auth: 'authenticated',
    scopes: ADMIN,
    body: s.CreateUserInput,
    response: s.PublicUser,
    successStatus: 201,
    invoke: (svc, actor, { body }) => map(svc.createUser(actor, body), publicUser),
  }),
  listUsers: route({
    operationId: 'listUsers',
    method: 'GET',
    path: `${V1}/users`,
    summary: 'List users',
    tag: 'principals',
    auth: 'authenticated',
    scopes: ADMIN,
    response: z.array(s.PublicUser),
    successStatus: 200,
    invoke: (svc, actor) => map(svc.listUsers(actor), (us) => us.map(publicUser)),
  }),
  updateUser: route({
    operationId: 'updateUser',
    method: 'PATCH',
    path: `${V1}/users/:id`,
    summary: 'Edit a user (admin; a user may change their own display name, email and password)',
    tag: 'principals',
    auth: 'authenticated',
    scopes: ADMIN,
    params: s.IdParams,
    body: s.UpdateUserInput,
    response: s.PublicUser,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) => map(svc.updateUser(actor, params.id, body), publicUser),
  }),
  createGroup: route({
    operationId: 'createGroup',
    method: 'POST',
    path: `${V1}/groups`,
    summary: 'Create a group (admin)',
    tag: 'principals',
    auth: 'authenticated',
    scopes: ADMIN,
    body: s.CreateGroupInput,
    response: s.GroupResponse,
    successStatus: 201,
    invoke: (svc, actor, { body }) => svc.createGroup(actor, body),
  }),
  listGroups: route({
    operationId: 'listGroups',
    method: 'GET',
    path: `${V1}/groups`,
    summary: 'List groups',
    tag: 'principals',
    auth: 'authenticated',
    scopes: READ,
    response: z.array(s.GroupResponse),
    successStatus: 200,
    invoke: (svc, actor) => svc.listGroups(actor),
  }),
  createApiKey: route({
    operationId: 'createApiKey',
    method: 'POST',
    path: `${V1}/api-keys`,
    summary: 'Create an API key (admin); the secret is in this answer only',
    tag: 'principals',
    auth: 'authenticated',
    scopes: ADMIN,
    body: s.CreateApiKeyInput,
    response: s.CreatedApiKey,
    successStatus: 201,
    invoke: (svc, actor, { body }) =>
      map(svc.createApiKey(actor, body), (v) => ({ key: publicKey(v.key), secret: v.secret })),
  }),
  listApiKeys: route({
    operationId: 'listApiKeys',
    method: 'GET',
    path: `${V1}/api-keys`,
    summary: 'List API keys (admin)',
    tag: 'principals',
    auth: 'authenticated',
    scopes: ADMIN,
    response: z.array(s.PublicApiKey),
    successStatus: 200,
    invoke: (svc, actor) => map(svc.listApiKeys(actor), (ks) => ks.map(publicKey)),
  }),
  revokeApiKey: route({
    operationId: 'revokeApiKey',
    method: 'DELETE',
    path: `${V1}/api-keys/:id`,
    summary: 'Revoke an API key (admin)',
    tag: 'principals',
    auth: 'authenticated',
    scopes: ADMIN,
    params: s.IdParams,
    response: s.PublicApiKey,
    successStatus: 200,
    invoke: (svc, actor, { params }) => map(svc.revokeApiKey(actor, params.id), publicKey),
  }),

  // ------------------------------------------------------------ templates
  listTemplates: route({
    operationId: 'listTemplates',
    method: 'GET',
    path: `${V1}/templates`,
    summary: 'List workflow templates',
    tag: 'templates',
    auth: 'authenticated',
    scopes: READ,
    response: z.array(s.TemplateResponse),
    successStatus: 200,
    invoke: (svc, actor) => svc.listTemplates(actor),
  }),
  createTemplate: route({
    operationId: 'createTemplate',
    method: 'POST',
    path: `${V1}/templates`,
    summary: 'Create a custom workflow template (admin)',
    tag: 'templates',
    auth: 'authenticated',
    scopes: ADMIN,
    body: s.CreateTemplateInput,
    response: s.TemplateResponse,
    successStatus: 201,
    invoke: (svc, actor, { body }) => svc.createTemplate(actor, body),
  }),

  // ------------------------------------------------------------ projects
  createProject: route({
    operationId: 'createProject',
    method: 'POST',
    path: `${V1}/projects`,
    summary: 'Create a governed project',
    tag: 'projects',
    auth: 'authenticated',
    scopes: WRITE,
    body: s.CreateProjectInput,
    response: s.ProjectResponse,
    successStatus: 201,
    invoke: (svc, actor, { body }) => svc.createProject(actor, body),
  }),
  listProjects: route({
    operationId: 'listProjects',
    method: 'GET',
    path: `${V1}/projects`,
    summary: 'List governed projects',
    tag: 'projects',
    auth: 'authenticated',
    scopes: READ,
    response: z.array(s.ProjectResponse),
    successStatus: 200,
    invoke: (svc, actor) => svc.listProjects(actor),
  }),
  getProject: route({
    operationId: 'getProject',
    method: 'GET',
    path: `${V1}/projects/:id`,
    summary: 'A governed project by id or key',
    tag: 'projects',
    auth: 'authenticated',
    scopes: READ,
    params: s.ProjectRefParams,
    response: s.ProjectResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.getProject(actor, params.id),
  }),
  updateProject: route({
    operationId: 'updateProject',
    method: 'PATCH',
    path: `${V1}/projects/:id`,
    summary: 'Edit a governed project (owner, admin)',
    tag: 'projects',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.IdParams,
    body: s.UpdateProjectInput,
    response: s.ProjectResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) => svc.updateProject(actor, params.id, body),
  }),
  setQualification: route({
    operationId: 'setQualification',
    method: 'PUT',
    path: `${V1}/projects/:id/qualification`,
    summary: 'Set the qualification (value, risk, feasibility, decision, comments, plan)',
    tag: 'projects',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.IdParams,
    body: s.QualificationInput,
    response: s.ProjectResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) => svc.setQualification(actor, params.id, body),
  }),
  setReviewers: route({
    operationId: 'setReviewers',
    method: 'PUT',
    path: `${V1}/projects/:id/reviewers`,
    summary: 'Set the sign-off reviewers: feedback groups and final approvers',
    tag: 'projects',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.IdParams,
    body: s.ReviewersInput,
    response: s.ProjectResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) => svc.setReviewers(actor, params.id, body),
  }),
  updateProjectStep: route({
    operationId: 'updateProjectStep',
    method: 'PATCH',
    path: `${V1}/projects/:id/steps/:stepId`,
    summary: "Update a project workflow step's status, notes, links or fields",
    tag: 'projects',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.StepParams,
    body: s.StepUpdateInput,
    response: s.ProjectResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) =>
      svc.updateStep(actor, { kind: 'project', id: params.id }, params.stepId, body),
  }),
  deleteProject: route({
    operationId: 'deleteProject',
    method: 'DELETE',
    path: `${V1}/projects/:id`,
    summary: 'Delete a governed project with its models and items (owner, admin)',
    tag: 'projects',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.IdParams,
    response: s.DeletedResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.deleteProject(actor, params.id),
  }),

  // ------------------------------------------------------------ models and items
  createModel: route({
    operationId: 'createModel',
    method: 'POST',
    path: `${V1}/models`,
    summary: 'Create a governed model (groups model versions)',
    tag: 'items',
    auth: 'authenticated',
    scopes: WRITE,
    body: s.CreateModelInput,
    response: s.ModelResponse,
    successStatus: 201,
    invoke: (svc, actor, { body }) => svc.createModel(actor, body),
  }),
  listModels: route({
    operationId: 'listModels',
    method: 'GET',
    path: `${V1}/models`,
    summary: 'List governed models',
    tag: 'items',
    auth: 'authenticated',
    scopes: READ,
    query: z.object({ projectId: s.IdParams.shape.id.optional() }),
    response: z.array(s.ModelResponse),
    successStatus: 200,
    invoke: (svc, actor, { query }) => svc.listModels(actor, query.projectId),
  }),
  deleteModel: route({
    operationId: 'deleteModel',
    method: 'DELETE',
    path: `${V1}/models/:id`,
    summary: 'Delete a governed model and its versions',
    tag: 'items',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.IdParams,
    response: s.DeletedResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.deleteModel(actor, params.id),
  }),
  registerItem: route({
    operationId: 'registerItem',
    method: 'POST',
    path: `${V1}/items`,
    summary: 'Register a bundle or model version with its artifacts',
    tag: 'items',
    auth: 'authenticated',
    scopes: WRITE,
    body: s.RegisterItemInput,
    response: s.ItemResponse,
    successStatus: 201,
    invoke: (svc, actor, { body }) => svc.registerItem(actor, body),
  }),
  listItems: route({
    operationId: 'listItems',
    method: 'GET',
    path: `${V1}/items`,
    summary: 'List bundles and model versions',
    tag: 'items',
    auth: 'authenticated',
    scopes: READ,
    query: s.ListItemsQuery,
    response: z.array(s.ItemResponse),
    successStatus: 200,
    invoke: (svc, actor, { query }) => svc.listItems(actor, query),
  }),
  getItem: route({
    operationId: 'getItem',
    method: 'GET',
    path: `${V1}/items/:id`,
    summary: 'A bundle or model version by id or URL-encoded `project/name@version`',
    tag: 'items',
    auth: 'authenticated',
    scopes: READ,
    params: s.ItemRefParams,
    response: s.ItemResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.getItem(actor, params.id),
  }),
  governanceStatus: route({
    operationId: 'governanceStatus',
    method: 'GET',
    path: `${V1}/items/:id/status`,
    summary: 'Governance status of an item (for badges and tools)',
    tag: 'items',
    auth: 'authenticated',
    scopes: READ,
    params: s.ItemRefParams,
    response: s.GovernanceStatusResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.governanceStatus(actor, params.id),
  }),
  updateItem: route({
    operationId: 'updateItem',
    method: 'PATCH',
    path: `${V1}/items/:id`,
    summary: 'Edit an item; new artifacts after an approval start a new sign-off round',
    tag: 'items',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.ItemRefParams,
    body: s.UpdateItemInput,
    response: s.ItemResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) => svc.updateItem(actor, params.id, body),
  }),
  deleteItem: route({
    operationId: 'deleteItem',
    method: 'DELETE',
    path: `${V1}/items/:id`,
    summary: 'Delete an item',
    tag: 'items',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.ItemRefParams,
    response: s.DeletedResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.deleteItem(actor, params.id),
  }),
  updateItemStep: route({
    operationId: 'updateItemStep',
    method: 'PATCH',
    path: `${V1}/items/:id/steps/:stepId`,
    summary: "Update an item workflow step's status, notes, links or fields",
    tag: 'items',
    auth: 'authenticated',
    scopes: WRITE,
    params: s.StepParams,
    body: s.StepUpdateInput,
    response: s.ItemResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) =>
      svc.updateStep(actor, { kind: 'item', id: params.id }, params.stepId, body),
  }),

  // ------------------------------------------------------------ sign-off
  requestFeedback: signoffRoute('requestFeedback', 'POST', 'request-feedback', 'Request feedback, optionally notifying reviewers', s.NotifyBody, ({ body }) => ({ type: 'requestFeedback', notify: body.notify })),
  submitFeedback: signoffRoute('submitFeedback', 'POST', 'feedback', 'Submit a feedback review for a group', s.SubmitFeedbackBody, ({ body }) => ({ type: 'submitFeedback', reviewId: randomId('rev'), groupId: body.groupId, status: body.status, comment: body.comment })),
  editFeedback: signoffRoute('editFeedback', 'PATCH', 'feedback/:reviewId', 'Edit your feedback review', s.EditFeedbackBody, ({ params, body }) => ({ type: 'editFeedback', reviewId: params.reviewId ?? '', ...(body.status ? { status: body.status } : {}), ...(body.comment !== undefined ? { comment: body.comment } : {}) }), s.ReviewParams),
  deleteFeedback: signoffRoute('deleteFeedback', 'DELETE', 'feedback/:reviewId', 'Delete your feedback review', undefined, ({ params }) => ({ type: 'deleteFeedback', reviewId: params.reviewId ?? '' }), s.ReviewParams),
  delegate: signoffRoute('delegate', 'POST', 'delegate', 'Delegate a feedback review or the final approval to another user', s.DelegateBody, ({ body }) => ({ type: 'delegate', delegationId: randomId('dlg'), scope: body.scope, to: body.to, comment: body.comment })),
  requestFinalApproval: signoffRoute('requestFinalApproval', 'POST', 'request-final-approval', 'Request the final approval', s.NotifyBody, ({ body }) => ({ type: 'requestFinalApproval', notify: body.notify })),
  backToFeedback: signoffRoute('backToFeedback', 'POST', 'back-to-feedback', 'Go back to the feedback stage', s.EmptyBody, () => ({ type: 'backToFeedback' })),
  finalApproval: signoffRoute('finalApproval', 'POST', 'final-approval', 'Give the final approval: Approved or Rejected', s.FinalApprovalBody, ({ body }) => ({ type: 'finalApproval', status: body.status, comment: body.comment })),
  editFinalApproval: signoffRoute('editFinalApproval', 'PATCH', 'final-approval', 'Edit your final approval', s.EditFinalApprovalBody, ({ body }) => ({ type: 'editFinalApproval', ...(body.status ? { status: body.status } : {}), ...(body.comment !== undefined ? { comment: body.comment } : {}) })),
  abandon: signoffRoute('abandon', 'POST', 'abandon', 'Abandon the sign-off', s.CommentBody, ({ body }) => ({ type: 'abandon', comment: body.comment })),
  cancelAbandon: signoffRoute('cancelAbandon', 'POST', 'cancel-abandon', 'Cancel the abandon (restores every review)', s.EmptyBody, () => ({ type: 'cancelAbandon' })),
  reset: signoffRoute('reset', 'POST', 'reset', 'Reset: clear the reviews of the current round (the audit log keeps them)', s.CommentBody, ({ body }) => ({ type: 'reset', comment: body.comment })),
  scheduleReset: signoffRoute('scheduleReset', 'PUT', 'schedule-reset', 'Schedule a one-off or recurring reset (approval expiry)', s.ScheduleResetBody, ({ body }) => ({ type: 'scheduleReset', ...(body.at ? { at: body.at } : {}), ...(body.every ? { every: body.every } : {}) })),
  cancelScheduledReset: signoffRoute('cancelScheduledReset', 'DELETE', 'schedule-reset', 'Cancel the scheduled reset', undefined, () => ({ type: 'cancelScheduledReset' })),
  myReviews: route({
    operationId: 'myReviews',
    method: 'GET',
    path: `${V1}/me/reviews`,
    summary: 'What awaits the caller: feedback and final approvals requested, reviews delegated to them',
    tag: 'sign-off',
    auth: 'authenticated',
    scopes: REVIEW,
    response: z.array(s.ReviewTaskResponse),
    successStatus: 200,
    invoke: (svc, actor) => svc.myReviews(actor),
  }),

  // ------------------------------------------------------------ infrastructures
  createInfrastructure: route({
    operationId: 'createInfrastructure',
    method: 'POST',
    path: `${V1}/infrastructures`,
    summary: 'Create an infrastructure and its govern policy (admin)',
    tag: 'infrastructures',
    auth: 'authenticated',
    scopes: ADMIN,
    body: s.CreateInfrastructureInput,
    response: s.InfrastructureResponse,
    successStatus: 201,
    invoke: (svc, actor, { body }) => svc.createInfrastructure(actor, body as Parameters<GovernanceService['createInfrastructure']>[1]),
  }),
  listInfrastructures: route({
    operationId: 'listInfrastructures',
    method: 'GET',
    path: `${V1}/infrastructures`,
    summary: 'List infrastructures',
    tag: 'infrastructures',
    auth: 'authenticated',
    scopes: [...READ, 'deployments:write'],
    response: z.array(s.InfrastructureResponse),
    successStatus: 200,
    invoke: (svc, actor) => svc.listInfrastructures(actor),
  }),
  getInfrastructure: route({
    operationId: 'getInfrastructure',
    method: 'GET',
    path: `${V1}/infrastructures/:id`,
    summary: 'An infrastructure',
    tag: 'infrastructures',
    auth: 'authenticated',
    scopes: [...READ, 'deployments:write'],
    params: s.InfrastructureParams,
    response: s.InfrastructureResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.getInfrastructure(actor, params.id),
  }),
  updateInfrastructure: route({
    operationId: 'updateInfrastructure',
    method: 'PATCH',
    path: `${V1}/infrastructures/:id`,
    summary: 'Edit an infrastructure (admin)',
    tag: 'infrastructures',
    auth: 'authenticated',
    scopes: ADMIN,
    params: s.InfrastructureParams,
    body: s.UpdateInfrastructureInput,
    response: s.InfrastructureResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) => svc.updateInfrastructure(actor, params.id, body as Parameters<GovernanceService['updateInfrastructure']>[2]),
  }),
  deleteInfrastructure: route({
    operationId: 'deleteInfrastructure',
    method: 'DELETE',
    path: `${V1}/infrastructures/:id`,
    summary: 'Delete an infrastructure (admin)',
    tag: 'infrastructures',
    auth: 'authenticated',
    scopes: ADMIN,
    params: s.InfrastructureParams,
    response: s.DeletedResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.deleteInfrastructure(actor, params.id),
  }),

  // ------------------------------------------------------------ decisions, deployments, audit
  decide: route({
    operationId: 'decide',
    method: 'POST',
    path: `${V1}/decisions`,
    summary:
      'May these artifacts be deployed to this infrastructure? Unless dryRun, the attempt is recorded in the deployment registry (needs deployments:write)',
    tag: 'decisions',
    auth: 'authenticated',
    scopes: ['decisions:read'],
    body: s.DecisionInputSchema,
    response: s.DecisionOutputSchema,
    successStatus: 200,
    // The body was parsed with this route's schema by whoever calls invoke (see ApiRoute).
    invoke: (svc, actor, { body }) => svc.decideValidated(actor, body),
  }),
  listDeployments: route({
    operationId: 'listDeployments',
    method: 'GET',
    path: `${V1}/deployments`,
    summary: 'The deployment registry, newest first (filter by item, infrastructure, time)',
    tag: 'decisions',
    auth: 'authenticated',
    scopes: [...READ, 'deployments:write'],
    query: s.ListDeploymentsQuery,
    response: z.array(s.DeploymentRecordResponse),
    successStatus: 200,
    invoke: (svc, actor, { query }) => svc.listDeployments(actor, query),
  }),
  listAudit: route({
    operationId: 'listAudit',
    method: 'GET',
    path: `${V1}/audit`,
    summary: 'The audit log (admin: everything; others: the subjects they may read)',
    tag: 'audit',
    auth: 'authenticated',
    scopes: ADMIN,
    query: s.ListAuditQuery,
    response: z.array(s.AuditEventResponse),
    successStatus: 200,
    invoke: (svc, actor, { query }) => svc.listAudit(actor, query),
  }),
  verifyAudit: route({
    operationId: 'verifyAudit',
    method: 'GET',
    path: `${V1}/audit/verify`,
    summary: "Verify the audit log's hash chain; names the first event edited, removed or reordered",
    tag: 'audit',
    auth: 'authenticated',
    scopes: ADMIN,
    response: s.AuditVerificationResponse,
    successStatus: 200,
    invoke: (svc, actor) => svc.verifyAudit(actor),
  }),
} as const;

export type ApiOperationId = keyof typeof apiRoutes;

/** Every route, in a stable order (register `/audit/verify` before any `/audit/:x`). */
export const apiRouteList: readonly ApiRoute<unknown, unknown, unknown>[] = Object.values(apiRoutes);

/** Fill an express-style path: `pathFor('/api/v1/items/:id', { id: 'shop/web@v1' })`. */
export function pathFor(path: string, params: Record<string, string> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`pathFor: missing parameter ${name} for ${path}`);
    return encodeURIComponent(v);
  });
}
