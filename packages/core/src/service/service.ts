import { err, ok, type Result, type SignoffError } from '../result.js';
import type { Principal, User, Group, ApiKey, Assignee } from '../schemas/principal.js';
import type { Project } from '../schemas/project.js';
import type { Item, Model, Artifacts } from '../schemas/item.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import type { Decision, DeploymentRecord, DeploymentTarget, DecisionRequest } from '../decision/schema.js';
import type { AuditEventInput } from '../audit/schema.js';
import type { StepDefinition, WorkflowTemplate, FeedbackGroupDefinition } from '../workflow/schema.js';
import { SignoffAction, type TransitionContext } from '../signoff/actions.js';
import type { Signoff } from '../signoff/schema.js';
import type { Store, StoreReader, StoreTx } from '../store/types.js';
import type { Clock, DecisionOutput, GovernanceService, GovernanceStatus, ReviewTask } from './types.js';
import * as s from '../api/schemas.js';
import { Id } from '../schemas/common.js';
import { validate } from './validate.js';
import { randomId, type IdGenerator } from './ids.js';
import { sharedIfText, sharedText } from '../refs/shared-text.js';
import {
  READ_SCOPES,
  isOwner,
  requireAdmin,
  requireItemWriter,
  requireOwner,
  requireRead,
  requireScope,
} from './authorize.js';
import { hasScope, isAdmin, principalFromApiKey, principalFromUser, systemPrincipal } from '../auth/principal.js';
import { hashPassword, verifyPassword, defaultScryptParams, type ScryptParams } from '../auth/password.js';
import { generateApiKey, parseApiKeyToken, verifyApiKeySecret, type ApiKeyMaterial } from '../auth/api-key.js';
import * as domain from './domain.js';
import { createNotificationUseCases, type NotificationInternals } from './notifications.js';

export interface GovernanceServiceDeps {
  store: Store;
  clock: Clock;
  /** Base URL of the reviewer UI, for review links (`${publicUrl}/items/<id>`). */
  publicUrl: string;
  idGenerator?: IdGenerator;
  /** scrypt cost for new password hashes (tests lower it). */
  passwordParams?: ScryptParams;
  /** Key of one-click unsubscribe tokens and webhook signing secrets (notifications). */
  notifySecret?: string | Buffer;
}

/** The service plus internals that the demo loader and tests use; not part of the HTTP API. */
export interface GovernanceServiceInternals extends GovernanceService, NotificationInternals {
  /** Create an API key with key material chosen by the caller (demo mode's fixed key). */
  createApiKeyWithMaterial(actor: Principal, input: { name: string; scopes: s.CreateApiKeyInput['scopes'] }, material: ApiKeyMaterial): Promise<Result<{ key: ApiKey; secret: string }>>;
}

type Tx = StoreTx;

const stripUser = (u: User): User => {
  const { passwordHash: _omit, ...rest } = u;
  return rest;
};

/** A deployment target whose names are the shared copies (see sharedText); ids unique to one deployment (uid, run, commit) as they are. */
function sharedTarget(target: DeploymentTarget): DeploymentTarget {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) out[k] = k === 'uid' || k === 'runId' || k === 'sha' ? v : sharedIfText(v);
  return out as DeploymentTarget;
}

const actorAudit = (actor: Principal): Pick<AuditEventInput, 'actor' | 'actorKind'> => ({ actor: actor.id, actorKind: actor.kind });

export function createGovernanceService(deps: GovernanceServiceDeps): GovernanceServiceInternals {
  const { store, clock } = deps;
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const newId = deps.idGenerator ?? randomId;
  const pwParams = deps.passwordParams ?? defaultScryptParams;
  const now = (): string => clock.now().toISOString();
  let dummyHash: Promise<string> | undefined;

  const audit = (tx: Tx, actor: Principal, action: string, subject: string, change: unknown, at = now()): void => {
    tx.appendAudit({ at, ...actorAudit(actor), action, subject, change });
  };

  const notFound = (what: string, id: string): { ok: false; error: SignoffError } => err('NOT_FOUND', `No ${what} "${id}".`);

  /**
   * Writes one decided, non-dry-run deployment into `tx`: the record, its audit event, and the
   * item's move to production when the infrastructure asks for it. Returns the record's id.
   */
  async function recordIn(
    tx: Tx,
    actor: Principal,
    body: s.DecisionInputBody,
    decision: Decision,
    infra: Pick<Infrastructure, 'id' | 'advanceWorkflowOnDeploy'>,
  ): Promise<string> {
    const at = decision.decidedAt;
    const item = decision.item;
    const itemRef = item?.ref ?? body.item;
    // The texts a record repeats from earlier ones are kept once (see sharedText): the
    // artifacts as the decision remembers them, the target's names, the item reference.
    const artifacts = body.artifacts ?? [];
    const record: DeploymentRecord = {
      id: newId('dep'),
      ...(item ? { itemId: item.id } : {}),
      ...(itemRef !== undefined ? { itemRef: sharedText(itemRef) } : {}),
      infrastructureId: decision.infrastructureId,
      target: body.target ? sharedTarget(body.target) : { kind: 'other', description: 'not given' },
      outcome: decision.outcome,
      policy: decision.policy,
      signoffStatus: decision.signoffStatus,
      ...(body.confirmation && decision.confirmed ? { confirmation: body.confirmation } : {}),
      artifacts: artifacts.map((a, i) => (decision.artifacts[i]?.artifact === a ? decision.artifacts[i].artifact : sharedText(a))),
      actor: actor.id,
      at,
    };
    // The event refers to the record as stored (validated, frozen): one copy of it, not two. The
    // reasons are a copy sized to them (the decision's array was grown by push: 19 slots).
    const stored = tx.put('deployments', record);
    // The subject joined, not a template literal: the audit chain's JSON flattens a rope, and both
    // would be kept (80 bytes instead of 48 per recorded deployment).
    audit(tx, actor, 'deployment.record', ['deployments', record.id].join('/'), { record: stored, reasons: decision.reasons.map(sharedText) }, at);
    if (item && decision.outcome !== 'deny' && infra.advanceWorkflowOnDeploy) {
      const current = await tx.get('items', item.id);
      const template = current ? await templateById(tx, current.workflow.templateId) : undefined;
      if (current && template) {
        const advanced = domain.toProduction(current.workflow, template, systemPrincipal, at, current.signoffs);
        if (advanced) {
          tx.put('items', { ...current, workflow: advanced, updatedAt: at });
          audit(tx, actor, 'item.workflow.production', `items/${item.id}`, { deploymentId: record.id, infrastructureId: infra.id }, at);
        }
      }
    }
    return record.id;
  }

  // ------------------------------------------------------------------ lookups

  async function templateById(r: StoreReader, id: string): Promise<WorkflowTemplate | undefined> {
    return domain.builtinTemplateById(id) ?? (await r.get('templates', id));
  }

  async function projectByIdOrKey(r: StoreReader, idOrKey: string): Promise<Project | undefined> {
    return (await r.get('projects', idOrKey)) ?? (await r.projectByKey(idOrKey));
  }

  /** An item by id or `project/name@version`. */
  async function itemByIdOrRef(r: StoreReader, idOrRef: string): Promise<Item | undefined> {
    const ref = domain.parseRef(idOrRef);
    if (ref) return r.itemByRef(ref.project, ref.name, ref.version);
    return r.get('items', idOrRef);
  }

  async function refOf(r: StoreReader, item: Item, project?: Project): Promise<string> {
    const p = project ?? (await r.get('projects', item.projectId));
    return domain.formatRef(p?.key ?? item.projectId, item.name, item.version);
  }

  /** The step that carries the sign-off to act on: the given one, or the first with a sign-off. */
  function signoffStep(item: Item, template: WorkflowTemplate | undefined, stepId?: string): Result<{ stepId: string; def: StepDefinition | undefined; signoff: Signoff }> {
    const id = stepId ?? template?.steps.find((st) => st.signoff)?.id ?? Object.keys(item.signoffs)[0];
    const signoff = id !== undefined ? item.signoffs[id] : undefined;
    if (id === undefined || !signoff) {
      return err('NOT_FOUND', stepId ? `Step "${stepId}" of this item carries no sign-off.` : 'This item has no sign-off.');
    }
    return ok({ stepId: id, def: template?.steps.find((st) => st.id === id), signoff });
  }

  function feedbackGroupsOf(def: StepDefinition | undefined): readonly FeedbackGroupDefinition[] {
    return def?.signoff?.feedbackGroups ?? domain.standardFeedbackGroups;
  }

  function transitionContext(actor: Principal, item: Item, project: Project, def: StepDefinition | undefined, at: string, digests = item.digests): TransitionContext {
    return {
      actor,
      now: at,
      creator: item.createdBy,
      digests,
      feedbackGroups: feedbackGroupsOf(def),
      separationOfDuties: def?.signoff?.separationOfDuties ?? true,
      reviewers: project.reviewers,
      actorIsOwner: isOwner(actor, project) || (actor.kind !== 'system' && actor.id === item.createdBy),
      actorIsAdmin: isAdmin(actor),
    };
  }

  async function describeAssignee(r: StoreReader, a: Assignee): Promise<string> {
    switch (a.kind) {
      case 'user': {
        const u = await r.get('users', a.id);
        return u ? u.displayName : a.id;
      }
      case 'group': {
        const g = await r.get('groups', a.id);
        return `a member of ${g ? g.name : a.id}`;
      }
      case 'role':
        return `anyone with the role ${a.id}`;
      case 'apiKey': {
        const k = await r.get('apiKeys', a.id);
        return `API key ${k ? k.name : a.id}`;
      }
    }
  }

  const notifications = createNotificationUseCases({
    store,
    clock,
    newId,
    ...(deps.notifySecret !== undefined ? { secret: deps.notifySecret } : {}),
    itemByIdOrRef,
    templateById,
    applySignoffAction: (...a) => applySignoffAction(...a),
  });

  // ------------------------------------------------------------------ principals

  const service: GovernanceServiceInternals = {
    ...notifications,

    async createUser(actor, input) {
      const auth = requireAdmin(actor, 'create users');
      if (!auth.ok) return auth;
      const v = validate(s.CreateUserInput, input);
      if (!v.ok) return v;
      const passwordHash = v.value.password !== undefined ? await hashPassword(v.value.password, pwParams) : undefined;
      return store.transaction(async (tx) => {
        if (await tx.userByUsername(v.value.username)) return err('CONFLICT', `The username "${v.value.username}" is taken.`, [{ path: ['username'], message: 'taken' }]);
        const missing = await missingGroups(tx, v.value.groups ?? []);
        if (missing) return missing;
        const at = now();
        const user: User = {
          id: newId('usr'),
          username: v.value.username,
          displayName: v.value.displayName,
          ...(v.value.email !== undefined ? { email: v.value.email } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
          roles: v.value.roles ?? [],
          groups: v.value.groups ?? [],
          disabled: false,
          createdAt: at,
        };
        tx.put('users', user);
        audit(tx, actor, 'user.create', `users/${user.id}`, { after: stripUser(user), passwordSet: passwordHash !== undefined }, at);
        return ok(stripUser(user));
      });
    },

    async updateUser(actor, id, input) {
      const v = validate(s.UpdateUserInput, input);
      if (!v.ok) return v;
      const self = actor.kind === 'user' && actor.id === id;
      const adminOnly = v.value.roles !== undefined || v.value.groups !== undefined || v.value.disabled !== undefined;
      if (!isAdmin(actor) && !(self && !adminOnly)) {
        return err('FORBIDDEN', self ? 'Only an administrator may change roles, groups or disable a user.' : 'Only an administrator may edit other users.');
      }
      const passwordHash = v.value.password !== undefined ? await hashPassword(v.value.password, pwParams) : undefined;
      return store.transaction(async (tx) => {
        const before = await tx.get('users', id);
        if (!before) return notFound('user', id);
        const missing = await missingGroups(tx, v.value.groups ?? []);
        if (missing) return missing;
        const { password: _pw, ...fields } = v.value;
        const after: User = { ...before, ...fields, ...(passwordHash !== undefined ? { passwordHash } : {}) };
        tx.put('users', after);
        audit(tx, actor, 'user.update', `users/${id}`, { before: stripUser(before), after: stripUser(after), passwordChanged: passwordHash !== undefined });
        return ok(stripUser(after));
      });
    },

    async listUsers(actor) {
      if (actor.kind === 'apiKey' && !hasScope(actor, 'admin')) return err('FORBIDDEN', 'Only an administrator API key may list users.');
      return ok((await store.list('users')).map(stripUser));
    },

    async createGroup(actor, input) {
      const auth = requireAdmin(actor, 'create groups');
      if (!auth.ok) return auth;
      const v = validate(s.CreateGroupInput, input);
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        const id = v.value.id ?? newId('grp');
        if (await tx.get('groups', id)) return err('CONFLICT', `A group "${id}" exists.`, [{ path: ['id'], message: 'taken' }]);
        const group: Group = { id, name: v.value.name, description: v.value.description ?? '', createdAt: now() };
        tx.put('groups', group);
        audit(tx, actor, 'group.create', `groups/${id}`, { after: group });
        return ok(group);
      });
    },

    async listGroups(actor) {
      const auth = requireRead(actor, 'list groups');
      if (!auth.ok) return auth;
      return ok(await store.list('groups'));
    },

    async createApiKey(actor, input) {
      return service.createApiKeyWithMaterial(actor, input, generateApiKey());
    },

    async createApiKeyWithMaterial(actor, input, material) {
      const auth = requireAdmin(actor, 'create API keys');
      if (!auth.ok) return auth;
      const v = validate(s.CreateApiKeyInput, input);
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        if (await tx.apiKeyByPrefix(material.prefix)) return err('CONFLICT', 'An API key with this prefix exists.');
        const key: ApiKey = {
          id: newId('key'),
          name: v.value.name,
          prefix: material.prefix,
          secretHash: material.secretHash,
          scopes: [...new Set(v.value.scopes)],
          createdBy: actor.id,
          createdAt: now(),
        };
        tx.put('apiKeys', key);
        audit(tx, actor, 'apiKey.create', `apiKeys/${key.id}`, { name: key.name, prefix: key.prefix, scopes: key.scopes });
        return ok({ key, secret: material.token });
      });
    },

    async revokeApiKey(actor, id) {
      const auth = requireAdmin(actor, 'revoke API keys');
      if (!auth.ok) return auth;
      return store.transaction(async (tx) => {
        const key = await tx.get('apiKeys', id);
        if (!key) return notFound('API key', id);
        if (key.revokedAt) return err('CONFLICT', `API key ${key.name} is already revoked.`);
        const after: ApiKey = { ...key, revokedAt: now() };
        tx.put('apiKeys', after);
        audit(tx, actor, 'apiKey.revoke', `apiKeys/${id}`, { name: key.name, prefix: key.prefix });
        return ok(after);
      });
    },

    async listApiKeys(actor) {
      const auth = requireAdmin(actor, 'list API keys');
      if (!auth.ok) return auth;
      return ok(await store.list('apiKeys'));
    },

    async authenticatePassword(username, password) {
      const fail = err('UNAUTHENTICATED', 'Invalid username or password.');
      if (typeof username !== 'string' || typeof password !== 'string' || username.length > 64 || password.length > 1024) return fail;
      const user = await store.userByUsername(username);
      if (!user?.passwordHash || user.disabled) {
        // Same work for unknown users, so timing does not reveal which usernames exist.
        dummyHash ??= hashPassword('signoff-dummy-password', pwParams);
        await verifyPassword(password, await dummyHash);
        return fail;
      }
      return (await verifyPassword(password, user.passwordHash)) ? ok(principalFromUser(user)) : fail;
    },

    async authenticateApiKey(token) {
      const fail = err('UNAUTHENTICATED', 'Invalid or revoked API key.');
      if (typeof token !== 'string') return fail;
      const parsed = parseApiKeyToken(token);
      if (!parsed) return fail;
      const key = await store.apiKeyByPrefix(parsed.prefix);
      if (!key || key.revokedAt || !verifyApiKeySecret(parsed.secret, key.secretHash)) return fail;
      return ok(principalFromApiKey(key));
    },

    async principalForUser(userId) {
      const user = await store.get('users', userId);
      if (!user || user.disabled) return err('UNAUTHENTICATED', 'Unknown or disabled user.');
      return ok(principalFromUser(user));
    },

    // ---------------------------------------------------------------- templates

    async listTemplates(actor) {
      const auth = requireRead(actor, 'list templates');
      if (!auth.ok) return auth;
      return ok([...domain.builtinTemplates(), ...(await store.list('templates'))]);
    },

    async createTemplate(actor, input) {
      const auth = requireAdmin(actor, 'create workflow templates');
      if (!auth.ok) return auth;
      const v = validate(s.CreateTemplateInput, input);
      if (!v.ok) return v;
      const stepIds = v.value.steps.map((st) => st.id);
      const dup = stepIds.findIndex((id, i) => stepIds.indexOf(id) !== i);
      if (dup >= 0) return err('VALIDATION', `Step id "${stepIds[dup]}" is used twice.`, [{ path: ['steps', dup, 'id'], message: 'duplicate step id' }]);
      return store.transaction(async (tx) => {
        if (await templateById(tx, v.value.id)) return err('CONFLICT', `A template "${v.value.id}" exists.`, [{ path: ['id'], message: 'taken' }]);
        const template: WorkflowTemplate = { ...v.value, builtin: false, createdAt: now() };
        tx.put('templates', template);
        audit(tx, actor, 'template.create', `templates/${template.id}`, { after: template });
        return ok(template);
      });
    },

    // ---------------------------------------------------------------- projects

    async createProject(actor, input) {
      const v = validate(s.CreateProjectInput, input);
      if (!v.ok) return v;
      if (actor.kind === 'apiKey' && !hasScope(actor, 'items:write')) return err('FORBIDDEN', 'This API key lacks the scope to create projects (needs items:write).');
      if (actor.kind !== 'user' && v.value.owner === undefined) return err('VALIDATION', 'A project needs an owner (a user id).', [{ path: ['owner'], message: 'required when an API key creates a project' }]);
      if (v.value.owner !== undefined && v.value.owner !== actor.id && !isAdmin(actor) && actor.kind === 'user') {
        return err('FORBIDDEN', 'Only an administrator may create a project owned by someone else.');
      }
      return store.transaction(async (tx) => {
        const owner = v.value.owner ?? actor.id;
        if (!(await tx.get('users', owner))) return err('VALIDATION', `No user "${owner}" to own the project.`, [{ path: ['owner'], message: 'unknown user' }]);
        if (await tx.projectByKey(v.value.key)) return err('CONFLICT', `A project with key "${v.value.key}" exists.`, [{ path: ['key'], message: 'taken' }]);
        const projectTemplate = await templateById(tx, v.value.templateId ?? domain.DEFAULT_PROJECT_TEMPLATE);
        if (!projectTemplate || !projectTemplate.appliesTo.includes('project')) return err('VALIDATION', 'Unknown project template.', [{ path: ['templateId'], message: 'unknown or not a project template' }]);
        const bundleTpl = v.value.itemTemplates?.bundle ?? domain.DEFAULT_ITEM_TEMPLATE;
        const mvTpl = v.value.itemTemplates?.modelVersion ?? domain.DEFAULT_ITEM_TEMPLATE;
        for (const [field, id, target] of [['bundle', bundleTpl, 'bundle'], ['modelVersion', mvTpl, 'modelVersion']] as const) {
          const t = await templateById(tx, id);
          if (!t || !t.appliesTo.includes(target)) return err('VALIDATION', `Unknown ${field} template "${id}".`, [{ path: ['itemTemplates', field], message: 'unknown template' }]);
        }
        const at = now();
        const project: Project = {
          id: newId('prj'),
          key: v.value.key,
          name: v.value.name,
          description: v.value.description ?? '',
          owner,
          links: v.value.links ?? [],
          workflow: domain.newWorkflow(projectTemplate, at),
          qualification: { decision: 'Undecided', comments: '', plan: '' },
          reviewers: { feedbackGroups: domain.standardFeedbackGroups.map((g) => ({ groupId: g.id, assignees: [] })), finalApprovers: [] },
          itemTemplates: { bundle: bundleTpl, modelVersion: mvTpl },
          createdBy: actor.id,
          createdAt: at,
          updatedAt: at,
        };
        tx.put('projects', project);
        audit(tx, actor, 'project.create', `projects/${project.id}`, { after: project }, at);
        return ok(project);
      });
    },

    async updateProject(actor, id, input) {
      const v = validate(s.UpdateProjectInput, input);
      if (!v.ok) return v;
      return editProject(actor, id, 'project.update', 'edit this project', async (tx, p) => {
        if (v.value.owner !== undefined && v.value.owner !== p.owner) {
          if (!(await tx.get('users', v.value.owner))) return err('VALIDATION', `No user "${v.value.owner}".`, [{ path: ['owner'], message: 'unknown user' }]);
        }
        return ok({ ...p, ...v.value });
      });
    },

    async setQualification(actor, id, input) {
      const v = validate(s.QualificationInput, input);
      if (!v.ok) return v;
      return editProject(actor, id, 'project.qualification', 'qualify this project', (_tx, p) => {
        const q = { ...p.qualification };
        for (const [k, val] of Object.entries(v.value)) if (val !== undefined) (q as Record<string, unknown>)[k] = val;
        return ok({ ...p, qualification: q });
      });
    },

    async setReviewers(actor, id, input) {
      const v = validate(s.ReviewersInput, input);
      if (!v.ok) return v;
      return editProject(actor, id, 'project.reviewers', 'set the reviewers of this project', async (tx, p) => {
        const all = [...v.value.feedbackGroups.flatMap((g, gi) => g.assignees.map((a, ai) => ({ a, path: ['feedbackGroups', gi, 'assignees', ai] }))), ...v.value.finalApprovers.map((a, i) => ({ a, path: ['finalApprovers', i] }))];
        for (const { a, path } of all) {
          const coll = a.kind === 'user' ? 'users' : a.kind === 'group' ? 'groups' : a.kind === 'apiKey' ? 'apiKeys' : undefined;
          if (coll && !(await tx.get(coll, a.id))) return err('VALIDATION', `No ${a.kind} "${a.id}".`, [{ path: [...path, 'id'], message: `unknown ${a.kind}` }]);
          if (a.kind === 'role' && !Id.safeParse(a.id).success) return err('VALIDATION', `Invalid role "${a.id}".`, [{ path: [...path, 'id'], message: 'invalid role name' }]);
        }
        const seen = new Set<string>();
        for (const [gi, g] of v.value.feedbackGroups.entries()) {
          if (seen.has(g.groupId)) return err('VALIDATION', `Feedback group "${g.groupId}" is listed twice.`, [{ path: ['feedbackGroups', gi, 'groupId'], message: 'duplicate' }]);
          seen.add(g.groupId);
        }
        return ok({ ...p, reviewers: v.value });
      });
    },

    async deleteProject(actor, id) {
      return store.transaction(async (tx) => {
        const p = await projectByIdOrKey(tx, id);
        if (!p) return notFound('project', id);
        const auth = requireOwner(actor, p, 'delete this project');
        if (!auth.ok) return auth;
        const items = await tx.list('items', (i) => i.projectId === p.id);
        const models = await tx.list('models', (m) => m.projectId === p.id);
        for (const i of items) tx.remove('items', i.id);
        for (const m of models) tx.remove('models', m.id);
        tx.remove('projects', p.id);
        audit(tx, actor, 'project.delete', `projects/${p.id}`, { before: p, items: items.map((i) => i.id), models: models.map((m) => m.id) });
        return ok({ id: p.id });
      });
    },

    async getProject(actor, idOrKey) {
      const auth = requireRead(actor, 'read projects');
      if (!auth.ok) return auth;
      const p = await projectByIdOrKey(store, idOrKey);
      return p ? ok(p) : notFound('project', idOrKey);
    },

    async listProjects(actor) {
      const auth = requireRead(actor, 'list projects');
      if (!auth.ok) return auth;
      return ok(await store.list('projects'));
    },

    // ---------------------------------------------------------------- models and items

    async createModel(actor, input) {
      const v = validate(s.CreateModelInput, input);
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        const p = await projectByIdOrKey(tx, v.value.projectId);
        if (!p) return err('NOT_FOUND', `No project "${v.value.projectId}".`, [{ path: ['projectId'], message: 'unknown project' }]);
        const auth = requireItemWriter(actor, p, 'create models in this project');
        if (!auth.ok) return auth;
        const existing = await tx.list('models', (m) => m.projectId === p.id && m.name === v.value.name);
        if (existing.length > 0) return err('CONFLICT', `Project ${p.key} already has a model "${v.value.name}".`, [{ path: ['name'], message: 'taken' }]);
        const at = now();
        const model: Model = { id: newId('mdl'), projectId: p.id, name: v.value.name, description: v.value.description ?? '', createdBy: actor.id, createdAt: at, updatedAt: at };
        tx.put('models', model);
        audit(tx, actor, 'model.create', `models/${model.id}`, { after: model }, at);
        return ok(model);
      });
    },

    async deleteModel(actor, id) {
      return store.transaction(async (tx) => {
        const m = await tx.get('models', id);
        if (!m) return notFound('model', id);
        const p = await tx.get('projects', m.projectId);
        if (!p) return notFound('project', m.projectId);
        const auth = requireOwner(actor, p, 'delete models of this project');
        if (!auth.ok) return auth;
        const versions = await tx.list('items', (i) => i.modelId === m.id);
        for (const i of versions) tx.remove('items', i.id);
        tx.remove('models', m.id);
        audit(tx, actor, 'model.delete', `models/${m.id}`, { before: m, items: versions.map((i) => i.id) });
        return ok({ id: m.id });
      });
    },

    async listModels(actor, projectId) {
      const auth = requireRead(actor, 'list models');
      if (!auth.ok) return auth;
      return ok(await store.list('models', projectId === undefined ? undefined : (m) => m.projectId === projectId));
    },

    async registerItem(actor, input) {
      const v = validate(s.RegisterItemInput, input);
      if (!v.ok) return v;
      const body = v.value;
      return store.transaction(async (tx) => {
        const p = await projectByIdOrKey(tx, body.projectId);
        if (!p) return err('NOT_FOUND', `No project "${body.projectId}".`, [{ path: ['projectId'], message: 'unknown project' }]);
        const auth = requireItemWriter(actor, p, 'register items in this project');
        if (!auth.ok) return auth;
        if (body.kind === 'modelVersion') {
          if (body.modelId === undefined) return err('VALIDATION', 'A model version belongs to a governed model.', [{ path: ['modelId'], message: 'required for a model version' }]);
          const model = await tx.get('models', body.modelId);
          if (!model || model.projectId !== p.id) return err('VALIDATION', `No model "${body.modelId}" in project ${p.key}.`, [{ path: ['modelId'], message: 'unknown model' }]);
          if (model.name !== body.name) return err('VALIDATION', `A version of model ${model.name} must be named "${model.name}".`, [{ path: ['name'], message: `must be "${model.name}"` }]);
        } else if (body.modelId !== undefined) {
          return err('VALIDATION', 'Only model versions belong to a model.', [{ path: ['modelId'], message: 'only for kind modelVersion' }]);
        }
        if (await tx.itemByRef(p.key, body.name, body.version)) {
          return err('CONFLICT', `${domain.formatRef(p.key, body.name, body.version)} is already registered.`, [{ path: ['version'], message: 'taken' }]);
        }
        const template = await templateById(tx, p.itemTemplates[body.kind]);
        if (!template) return err('CONFLICT', `The project's ${body.kind} template "${p.itemTemplates[body.kind]}" is missing.`);
        const at = now();
        const artifacts = normaliseArtifacts(body.artifacts);
        let item: Item = {
          id: newId('itm'),
          kind: body.kind,
          projectId: p.id,
          ...(body.modelId !== undefined ? { modelId: body.modelId } : {}),
          name: body.name,
          version: body.version,
          description: body.description ?? '',
          artifacts,
          digests: domain.digestKeys(artifacts),
          importance: body.importance,
          links: body.links ?? [],
          workflow: domain.newWorkflow(template, at),
          signoffs: domain.newSignoffs(template, at),
          createdBy: actor.id,
          createdAt: at,
          updatedAt: at,
        };
        tx.put('items', item);
        audit(tx, actor, 'item.create', `items/${item.id}`, { ref: domain.formatRef(p.key, item.name, item.version), after: item }, at);
        if (body.requestFeedback) {
          const r = applySignoffAction(tx, actor, item, p, template, { type: 'requestFeedback', notify: body.requestFeedback.notify }, undefined, at);
          if (!r.ok) return r;
          item = r.value;
        }
        return ok(item);
      });
    },

    async updateItem(actor, id, input) {
      const v = validate(s.UpdateItemInput, input);
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        const before = await itemByIdOrRef(tx, id);
        if (!before) return notFound('item', id);
        const p = await tx.get('projects', before.projectId);
        if (!p) return notFound('project', before.projectId);
        const auth = requireItemWriter(actor, p, 'edit this item');
        if (!auth.ok) return auth;
        const at = now();
        const { artifacts: newArtifacts, ...fields } = v.value;
        let item: Item = { ...before, ...fields, updatedAt: at };
        let digestsChanged = false;
        if (newArtifacts !== undefined) {
          const artifacts = normaliseArtifacts(newArtifacts);
          const digests = domain.digestKeys(artifacts);
          digestsChanged = !sameSet(digests, before.digests);
          item = { ...item, artifacts, digests };
        }
        tx.put('items', item);
        audit(tx, actor, 'item.update', `items/${item.id}`, { before: pickChanged(before, v.value), after: pickChanged(item, v.value) }, at);
        if (digestsChanged) {
          // An approval covers exactly the digests it was given: new artifacts need a new round.
          const template = await templateById(tx, item.workflow.templateId);
          for (const [stepId, so] of Object.entries(item.signoffs)) {
            if (so.status !== 'Approved' && so.approvedDigests === undefined) continue;
            const r = applySignoffAction(tx, systemPrincipal, item, p, template, { type: 'reset', comment: 'The artifacts changed after the approval: a new sign-off round starts.' }, stepId, at);
            if (!r.ok) return r;
            item = r.value;
          }
        }
        return ok(item);
      });
    },

    async deleteItem(actor, id) {
      return store.transaction(async (tx) => {
        const item = await itemByIdOrRef(tx, id);
        if (!item) return notFound('item', id);
        const p = await tx.get('projects', item.projectId);
        if (!p) return notFound('project', item.projectId);
        const auth = requireOwner(actor, p, 'delete this item');
        if (!auth.ok) return auth;
        tx.remove('items', item.id);
        audit(tx, actor, 'item.delete', `items/${item.id}`, { ref: await refOf(tx, item, p), before: item });
        return ok({ id: item.id });
      });
    },

    async getItem(actor, idOrRef) {
      const auth = requireRead(actor, 'read items');
      if (!auth.ok) return auth;
      const item = await itemByIdOrRef(store, idOrRef);
      return item ? ok(item) : notFound('item', idOrRef);
    },

    async listItems(actor, filter = {}) {
      const auth = requireRead(actor, 'list items');
      if (!auth.ok) return auth;
      const f = validate(s.ListItemsQuery, filter, 'filter');
      if (!f.ok) return f;
      const { projectId, kind } = f.value;
      return ok(await store.list('items', projectId === undefined && kind === undefined ? undefined : (i) => (projectId === undefined || i.projectId === projectId) && (kind === undefined || i.kind === kind)));
    },

    async governanceStatus(actor, idOrRef) {
      const auth = requireRead(actor, 'read items');
      if (!auth.ok) return auth;
      const item = await itemByIdOrRef(store, idOrRef);
      if (!item) return notFound('item', idOrRef);
      const project = await store.get('projects', item.projectId);
      const template = await templateById(store, item.workflow.templateId);
      const step = signoffStep(item, template);
      const current = item.workflow.steps.find((st) => st.status !== 'Finished') ?? item.workflow.steps.at(-1);
      const stepName = (id: string | undefined) => template?.steps.find((st) => st.id === id)?.name ?? id ?? '';
      const so = step.ok ? step.value.signoff : undefined;
      const groups = feedbackGroupsOf(step.ok ? step.value.def : undefined);
      const who = async (id: string) => (await store.get('users', id))?.displayName ?? (await store.get('apiKeys', id))?.name ?? id;
      const status: GovernanceStatus = {
        itemId: item.id,
        ref: domain.formatRef(project?.key ?? item.projectId, item.name, item.version),
        kind: item.kind,
        signoffStatus: so?.status ?? 'Not started',
        approved: so?.status === 'Approved',
        approvedDigests: so?.status === 'Approved' ? (so.approvedDigests ?? []) : [],
        workflowStep: stepName(current?.id),
        reviews: await Promise.all(
          (so?.feedback ?? []).map(async (r) => ({
            groupId: r.groupId,
            groupName: groups.find((g) => g.id === r.groupId)?.name ?? r.groupId,
            author: await who(r.author),
            status: r.status,
            at: r.updatedAt,
          })),
        ),
        ...(so?.finalApproval ? { finalApproval: { author: await who(so.finalApproval.author), status: so.finalApproval.status, at: so.finalApproval.updatedAt } } : {}),
      };
      return ok(status);
    },

    // ---------------------------------------------------------------- workflows

    async updateStep(actor, subject, stepId, update) {
      const v = validate(s.StepUpdateInput, update, 'step update');
      if (!v.ok) return v;
      const sid = validate(Id, stepId, 'step id');
      if (!sid.ok) return err('VALIDATION', sid.error.message, [{ path: ['stepId'], message: sid.error.message }]);
      return store.transaction(async (tx): Promise<Result<Project | Item>> => {
        const at = now();
        if (subject.kind === 'project') {
          const p = await projectByIdOrKey(tx, subject.id);
          if (!p) return notFound('project', subject.id);
          const auth = requireOwner(actor, p, 'update the workflow of this project');
          if (!auth.ok) return auth;
          const template = await templateById(tx, p.workflow.templateId);
          const r = domain.updateWorkflowStep({ workflow: p.workflow, template, signoffs: {}, stepId, update: v.value, actor, now: at });
          if (!r.ok) return r;
          const after: Project = { ...p, workflow: r.value, updatedAt: at };
          tx.put('projects', after);
          audit(tx, actor, 'project.step', `projects/${p.id}`, { stepId, update: v.value }, at);
          return ok(after);
        }
        const item = await itemByIdOrRef(tx, subject.id);
        if (!item) return notFound('item', subject.id);
        const p = await tx.get('projects', item.projectId);
        if (!p) return notFound('project', item.projectId);
        const auth = requireItemWriter(actor, p, 'update the workflow of this item');
        if (!auth.ok) return auth;
        const template = await templateById(tx, item.workflow.templateId);
        const r = domain.updateWorkflowStep({ workflow: item.workflow, template, signoffs: item.signoffs, stepId, update: v.value, actor, now: at });
        if (!r.ok) return r;
        const after: Item = { ...item, workflow: r.value, updatedAt: at };
        tx.put('items', after);
        audit(tx, actor, 'item.step', `items/${item.id}`, { stepId, update: v.value }, at);
        return ok(after);
      });
    },

    // ---------------------------------------------------------------- sign-off

    async signoffAction(actor, itemId, action, stepId) {
      const v = validate(SignoffAction, action, 'sign-off action');
      if (!v.ok) return v;
      if (v.value.type === 'expire' && actor.kind !== 'system') return err('FORBIDDEN', 'Only the scheduler expires sign-offs.');
      if (stepId !== undefined) {
        const sid = validate(Id, stepId, 'step id');
        if (!sid.ok) return err('VALIDATION', sid.error.message, [{ path: ['stepId'], message: sid.error.message }]);
      }
      const scope = requireScope(actor, ['reviews:write'], 'act on sign-offs');
      if (!scope.ok) return scope;
      return store.transaction(async (tx) => {
        const item = await itemByIdOrRef(tx, itemId);
        if (!item) return notFound('item', itemId);
        const p = await tx.get('projects', item.projectId);
        if (!p) return notFound('project', item.projectId);
        const template = await templateById(tx, item.workflow.templateId);
        return applySignoffAction(tx, actor, item, p, template, v.value, stepId, now());
      });
    },

    async myReviews(actor) {
      if (actor.kind === 'system') return ok([]);
      const scope = requireScope(actor, ['reviews:write'], 'list reviews');
      if (!scope.ok) return scope;
      const open = await store.list('items', (i) => Object.values(i.signoffs).some((so) => so.status === 'Waiting for feedback' || so.status === 'Waiting for final approval'));
      const tasks: ReviewTask[] = [];
      const projects = new Map<string, Project | undefined>();
      for (const item of open) {
        if (!projects.has(item.projectId)) projects.set(item.projectId, await store.get('projects', item.projectId));
        const p = projects.get(item.projectId);
        if (!p) continue;
        const template = await templateById(store, item.workflow.templateId);
        const ref = domain.formatRef(p.key, item.name, item.version);
        const summary = { id: item.id, kind: item.kind, name: item.name, version: item.version, importance: item.importance, projectId: item.projectId };
        for (const [stepId, so] of Object.entries(item.signoffs)) {
          const def = template?.steps.find((st) => st.id === stepId);
          if (so.status === 'Waiting for feedback') {
            for (const g of feedbackGroupsOf(def)) {
              if (!domain.assignedFeedback(actor, p.reviewers, g.id, so)) continue;
              if (so.feedback.some((r) => r.groupId === g.id && r.author === actor.id)) continue;
              const delegated = so.delegations.some((d) => d.scope === g.id && d.to === actor.id);
              tasks.push({ kind: delegated ? 'delegated' : 'feedback', item: summary, ref, stepId, groupId: g.id, signoffStatus: so.status, ...(so.feedbackRequestedAt ? { requestedAt: so.feedbackRequestedAt } : {}) });
            }
          } else if (so.status === 'Waiting for final approval' && !so.finalApproval) {
            const sod = def?.signoff?.separationOfDuties ?? true;
            if (sod && item.createdBy === actor.id) continue;
            if (!domain.finalApprover(actor, p.reviewers, so)) continue;
            const delegated = so.delegations.some((d) => d.scope === 'final' && d.to === actor.id);
            tasks.push({ kind: delegated ? 'delegated' : 'finalApproval', item: summary, ref, stepId, signoffStatus: so.status, ...(so.finalApprovalRequestedAt ? { requestedAt: so.finalApprovalRequestedAt } : {}) });
          }
        }
      }
      tasks.sort((a, b) => (b.requestedAt ?? '').localeCompare(a.requestedAt ?? ''));
      return ok(tasks);
    },

    // ---------------------------------------------------------------- infrastructures

    async createInfrastructure(actor, input) {
      const auth = requireAdmin(actor, 'create infrastructures');
      if (!auth.ok) return auth;
      const v = validate(s.CreateInfrastructureInput, input);
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        if (await tx.get('infrastructures', v.value.id)) return err('CONFLICT', `An infrastructure "${v.value.id}" exists.`, [{ path: ['id'], message: 'taken' }]);
        const clash = await namespaceClash(tx, v.value.id, v.value.namespaces ?? []);
        if (clash) return clash;
        const at = now();
        const infra: Infrastructure = {
          id: v.value.id,
          name: v.value.name,
          description: v.value.description ?? '',
          policy: v.value.policy ?? 'always',
          requireConfirmation: v.value.requireConfirmation ?? false,
          ...(v.value.unmatched !== undefined ? { unmatched: v.value.unmatched } : {}),
          production: v.value.production ?? false,
          advanceWorkflowOnDeploy: v.value.advanceWorkflowOnDeploy ?? false,
          namespaces: v.value.namespaces ?? [],
          githubEnvironments: v.value.githubEnvironments ?? [],
          createdAt: at,
          updatedAt: at,
        };
        tx.put('infrastructures', infra);
        audit(tx, actor, 'infrastructure.create', `infrastructures/${infra.id}`, { after: infra }, at);
        return ok(infra);
      });
    },

    async updateInfrastructure(actor, id, input) {
      const auth = requireAdmin(actor, 'edit infrastructures');
      if (!auth.ok) return auth;
      const v = validate(s.UpdateInfrastructureInput, input);
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        const before = await tx.get('infrastructures', id);
        if (!before) return notFound('infrastructure', id);
        if (v.value.namespaces) {
          const clash = await namespaceClash(tx, id, v.value.namespaces);
          if (clash) return clash;
        }
        const fields = Object.fromEntries(Object.entries(v.value).filter(([, x]) => x !== undefined));
        const after: Infrastructure = { ...before, ...fields, updatedAt: now() };
        tx.put('infrastructures', after);
        audit(tx, actor, 'infrastructure.update', `infrastructures/${id}`, { before, after });
        return ok(after);
      });
    },

    async deleteInfrastructure(actor, id) {
      const auth = requireAdmin(actor, 'delete infrastructures');
      if (!auth.ok) return auth;
      return store.transaction(async (tx) => {
        const before = await tx.get('infrastructures', id);
        if (!before) return notFound('infrastructure', id);
        tx.remove('infrastructures', id);
        audit(tx, actor, 'infrastructure.delete', `infrastructures/${id}`, { before });
        return ok({ id });
      });
    },

    async listInfrastructures(actor) {
      const auth = requireScope(actor, [...READ_SCOPES, 'deployments:write'], 'list infrastructures');
      if (!auth.ok) return auth;
      return ok(await store.list('infrastructures'));
    },

    async getInfrastructure(actor, id) {
      const auth = requireScope(actor, [...READ_SCOPES, 'deployments:write'], 'read infrastructures');
      if (!auth.ok) return auth;
      const infra = await store.get('infrastructures', id);
      return infra ? ok(infra) : notFound('infrastructure', id);
    },

    // ---------------------------------------------------------------- decisions and deployments

    async decide(actor, input) {
      const v = validate(s.DecisionInputSchema, input, 'decision request');
      if (!v.ok) return v;
      return service.decideValidated(actor, v.value);
    },

    async decideValidated(actor, body) {
      const dryRun = body.dryRun ?? false;
      const scope = requireScope(actor, ['decisions:read'], 'ask for decisions');
      if (!scope.ok) return scope;
      if (!dryRun && actor.kind === 'apiKey' && !hasScope(actor, 'deployments:write')) {
        return err('FORBIDDEN', 'This API key may ask for decisions but not record deployments: send dryRun: true, or use a key with deployments:write.');
      }
      const infra = await resolveInfrastructure(body);
      if (!infra.ok) return infra;
      // Literals of one shape (no conditional spreads: each was a temporary object and a copy).
      const request: DecisionRequest = { item: body.item, artifacts: body.artifacts ?? [], confirmation: body.confirmation, dryRun };
      const at = now();
      const matched = await domain.matchRequest(request, store);
      const item = matched.item;
      let itemRef: string | undefined;
      let approvers: string[] | undefined;
      let mandatorySignoffSteps: readonly string[] | undefined;
      if (item) {
        const p = await store.get('projects', item.projectId);
        itemRef = domain.formatRef(p?.key ?? item.projectId, item.name, item.version);
        const template = await templateById(store, item.workflow.templateId);
        if (template) mandatorySignoffSteps = domain.mandatorySignoffSteps(template);
        // Who can approve is said only about an item not signed off: not looked up for the others.
        if (p && !domain.signedOff(item, mandatorySignoffSteps)) approvers = await Promise.all(p.reviewers.finalApprovers.map((a) => describeAssignee(store, a)));
      }
      const decision = domain.decide(infra.value, item, request, {
        now: at,
        itemRef,
        reviewUrl: item ? `${publicUrl}/items/${item.id}` : undefined,
        approvers,
        mandatorySignoffSteps,
        unknownItemRef: matched.unknownItemRef,
      });
      if (dryRun) return ok({ decision });
      // Every non-dry-run decision is recorded, denials included: the registry is an audit of attempts.
      return store.transaction(async (tx): Promise<Result<DecisionOutput>> => {
        const deploymentId = await recordIn(tx, actor, body, decision, infra.value);
        return ok({ decision, deploymentId });
      });
    },

    async recordDeployments(actor, entries) {
      const scope = requireScope(actor, ['decisions:read'], 'record deployments');
      if (!scope.ok) return scope;
      if (actor.kind === 'apiKey' && !hasScope(actor, 'deployments:write')) {
        return err('FORBIDDEN', 'This API key may not record deployments: use a key with deployments:write.');
      }
      const bodies: s.DecisionInputBody[] = [];
      for (const [i, entry] of entries.entries()) {
        const v = validate(s.DecisionInputSchema, entry.input, `entries[${i}].input`);
        if (!v.ok) return v;
        if (v.value.dryRun === true) return err('VALIDATION', `entries[${i}] is a dry run: dry runs record nothing.`);
        bodies.push(v.value);
      }
      if (entries.length === 0) return ok({ deploymentIds: [] });
      return store.transaction(async (tx): Promise<Result<{ deploymentIds: string[] }>> => {
        const infras = new Map<string, Infrastructure | undefined>();
        const deploymentIds: string[] = [];
        for (const [i, entry] of entries.entries()) {
          const id = entry.decision.infrastructureId;
          if (!infras.has(id)) infras.set(id, await tx.get('infrastructures', id));
          deploymentIds.push(await recordIn(tx, actor, bodies[i]!, entry.decision, infras.get(id) ?? { id, advanceWorkflowOnDeploy: false }));
        }
        return ok({ deploymentIds });
      });
    },

    async listDeployments(actor, filter = {}) {
      const auth = requireScope(actor, [...READ_SCOPES, 'deployments:write'], 'list deployments');
      if (!auth.ok) return auth;
      const f = validate(s.ListDeploymentsQuery, filter, 'filter');
      if (!f.ok) return f;
      const { itemId, infrastructureId, since, until, limit } = f.value;
      const records = await store.list(
        'deployments',
        (d) =>
          (itemId === undefined || d.itemId === itemId) &&
          (infrastructureId === undefined || d.infrastructureId === infrastructureId) &&
          (since === undefined || d.at >= since) &&
          (until === undefined || d.at <= until),
      );
      records.sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id));
      return ok(limit !== undefined ? records.slice(0, limit) : records);
    },

    // ---------------------------------------------------------------- audit

    async listAudit(actor, query = {}) {
      const q = validate(s.ListAuditQuery, query, 'query');
      if (!q.ok) return q;
      if (!isAdmin(actor)) {
        // Viewers may read the history of one project or item, which they may read anyway.
        const subj = q.value.subject;
        if (actor.kind === 'apiKey' || subj === undefined || !/^(items|projects)\//.test(subj)) {
          return err('FORBIDDEN', 'Only an administrator may read the whole audit log; others may read the history of one item or project (subject=items/<id>).');
        }
      }
      return ok(
        await store.audit({
          ...(q.value.subject !== undefined ? { subject: q.value.subject } : {}),
          ...(q.value.afterSeq !== undefined ? { afterSeq: q.value.afterSeq } : {}),
          ...(q.value.limit !== undefined ? { limit: q.value.limit } : {}),
        }),
      );
    },

    async verifyAudit(actor) {
      const auth = requireAdmin(actor, 'verify the audit log');
      if (!auth.ok) return auth;
      return ok(await store.verifyAudit());
    },

    async runScheduled() {
      const at = now();
      const atDate = clock.now();
      // Once a minute, off the hot path: a scan of the items is fine here.
      const templates = new Map<string, WorkflowTemplate>();
      for (const t of [...domain.builtinTemplates(), ...(await store.list('templates'))]) templates.set(t.id, t);
      const expiry = (item: Item, stepId: string) => templates.get(item.workflow.templateId)?.steps.find((st) => st.id === stepId)?.signoff?.expiresAfter;
      // Templates with a step whose approval expires: other items are due only by a reset schedule.
      const expiring = new Set([...templates.values()].filter((t) => t.steps.some((st) => st.signoff?.expiresAfter !== undefined)).map((t) => t.id));
      /** Steps whose reset is due; allocates nothing for an item with none (at 100k items this scan took 50–170 ms a minute). */
      const none: readonly string[] = [];
      const dueSteps = (item: Item): readonly string[] => {
        const mayExpire = expiring.has(item.workflow.templateId);
        let due: string[] | undefined;
        for (const stepId in item.signoffs) {
          const so = item.signoffs[stepId]!;
          if (so.resetSchedule === undefined && !mayExpire) continue;
          const expiresAfter = mayExpire ? expiry(item, stepId) : undefined;
          if ((so.resetSchedule !== undefined || expiresAfter !== undefined) && domain.resetDue(so, atDate, expiresAfter)) (due ??= []).push(stepId);
        }
        return due ?? none;
      };
      const due = await store.list('items', (i) => dueSteps(i).length > 0);
      const changed: string[] = [];
      for (const candidate of due) {
        const r = await store.transaction(async (tx) => {
          const item = await tx.get('items', candidate.id);
          if (!item) return ok(false);
          const p = await tx.get('projects', item.projectId);
          if (!p) return ok(false);
          const template = templates.get(item.workflow.templateId);
          let current = item;
          const steps = dueSteps(item);
          for (const stepId of steps) {
            const next = applySignoffAction(tx, systemPrincipal, current, p, template, { type: 'expire' }, stepId, at);
            if (!next.ok) return next;
            current = next.value;
          }
          return ok(steps.length > 0);
        });
        if (!r.ok) return r;
        if (r.value) changed.push(candidate.id);
      }
      return ok(changed);
    },
  };

  // ------------------------------------------------------------------ shared steps

  /** Apply one sign-off action to `item` inside `tx`: transition, put, audit. */
  function applySignoffAction(tx: Tx, actor: Principal, item: Item, project: Project, template: WorkflowTemplate | undefined, action: SignoffAction, stepId: string | undefined, at: string): Result<Item> {
    const step = signoffStep(item, template, stepId);
    if (!step.ok) return step;
    const before = step.value.signoff;
    const ctx = transitionContext(actor, item, project, step.value.def, at);
    const r = domain.transition(before, action, ctx);
    if (!r.ok) return r;
    const after: Item = { ...item, signoffs: { ...item.signoffs, [step.value.stepId]: r.value }, updatedAt: at };
    tx.put('items', after);
    const change: Record<string, unknown> = {
      ref: domain.formatRef(project.key, item.name, item.version),
      stepId: step.value.stepId,
      action,
      from: before.status,
      to: r.value.status,
      round: r.value.round,
    };
    if (action.type === 'editFeedback') {
      const review = before.feedback.find((f) => f.id === action.reviewId);
      if (review) change.reviewBefore = { status: review.status };
    } else if (action.type === 'editFinalApproval' && before.finalApproval) {
      change.reviewBefore = { status: before.finalApproval.status };
    }
    if (action.type === 'reset' || action.type === 'expire') {
      // The audit log keeps what a reset clears.
      change.cleared = { round: before.round, feedback: before.feedback, finalApproval: before.finalApproval, delegations: before.delegations, approvedDigests: before.approvedDigests };
    }
    tx.appendAudit({ at, ...actorAudit(actor), action: `signoff.${action.type}`, subject: `items/${item.id}`, change });
    return ok(after);
  }

  async function editProject(actor: Principal, id: string, action: string, what: string, change: (tx: Tx, p: Project) => Promise<Result<Project>> | Result<Project>): Promise<Result<Project>> {
    return store.transaction(async (tx) => {
      const before = await projectByIdOrKey(tx, id);
      if (!before) return notFound('project', id);
      const auth = requireOwner(actor, before, what);
      if (!auth.ok) return auth;
      const r = await change(tx, before);
      if (!r.ok) return r;
      const at = now();
      const after: Project = { ...r.value, updatedAt: at };
      tx.put('projects', after);
      audit(tx, actor, action, `projects/${before.id}`, { before: diffPick(before, after), after: diffPick(after, before) }, at);
      return ok(after);
    });
  }

  async function missingGroups(r: StoreReader, groups: readonly string[]): Promise<{ ok: false; error: SignoffError } | undefined> {
    for (const [i, g] of groups.entries()) {
      if (!(await r.get('groups', g))) return err('VALIDATION', `No group "${g}".`, [{ path: ['groups', i], message: 'unknown group' }]);
    }
    return undefined;
  }

  async function namespaceClash(r: StoreReader, id: string, namespaces: readonly string[]): Promise<{ ok: false; error: SignoffError } | undefined> {
    for (const [i, ns] of namespaces.entries()) {
      const other = await r.infrastructureByNamespace(ns);
      if (other && other.id !== id) return err('CONFLICT', `Namespace ${ns} already belongs to infrastructure ${other.id}.`, [{ path: ['namespaces', i], message: `belongs to ${other.id}` }]);
    }
    return undefined;
  }

  async function resolveInfrastructure(body: s.DecisionInputBody): Promise<Result<Infrastructure>> {
    if (body.infrastructure !== undefined) {
      const infra = await store.get('infrastructures', body.infrastructure);
      return infra ? ok(infra) : err('NOT_FOUND', `No infrastructure "${body.infrastructure}".`, [{ path: ['infrastructure'], message: 'unknown infrastructure' }]);
    }
    if (body.namespace !== undefined) {
      const infra = await store.infrastructureByNamespace(body.namespace);
      return infra ? ok(infra) : err('NOT_FOUND', `No infrastructure covers namespace ${body.namespace}.`, [{ path: ['namespace'], message: 'no infrastructure lists this namespace' }]);
    }
    const gh = body.github;
    if (!gh) return err('VALIDATION', 'Name the infrastructure.', [{ path: ['infrastructure'], message: 'required' }]);
    // Infrastructures are few (tens): a scan here is cheap, and GitHub decisions are not the webhook's hot path.
    const owner = gh.repository.split('/')[0]?.toLowerCase();
    const all = await store.list('infrastructures');
    const exact = all.find((i) => i.githubEnvironments.some((e) => e.environment === gh.environment && e.repository.toLowerCase() === gh.repository.toLowerCase()));
    const wildcard = exact ?? all.find((i) => i.githubEnvironments.some((e) => e.environment === gh.environment && e.repository.toLowerCase() === `${owner}/*`));
    return wildcard ? ok(wildcard) : err('NOT_FOUND', `No infrastructure maps ${gh.repository} environment ${gh.environment}.`, [{ path: ['github'], message: 'no infrastructure maps this repository and environment' }]);
  }

  return service;
}

function normaliseArtifacts(a: s.ArtifactsInput): Artifacts {
  return {
    images: [...new Set(a.images ?? [])],
    storage: a.storage ?? [],
    ...(a.checksum !== undefined ? { checksum: a.checksum } : {}),
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sb = new Set(b);
  return a.every((x) => sb.has(x));
}

function pickChanged(item: Item, input: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(input)) out[k] = (item as Record<string, unknown>)[k];
  if ('artifacts' in input) out.digests = item.digests;
  return out;
}

function diffPick(a: Project, b: Project): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a) as (keyof Project)[]) {
    if (k === 'updatedAt') continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out[k] = a[k];
  }
  return out;
}
