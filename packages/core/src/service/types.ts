import type { Result } from '../result.js';
import type { Principal, User, Group, ApiKey, Scope, Assignee } from '../schemas/principal.js';
import type { Project, Qualification, SignoffReviewers } from '../schemas/project.js';
import type { Item, ItemKind, Model, Artifacts } from '../schemas/item.js';
import type { Importance, Link } from '../schemas/common.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import type { Decision, DeploymentRecord, DeploymentTarget } from '../decision/schema.js';
import type { AuditEvent, AuditVerification } from '../audit/schema.js';
import type { StepStatus, WorkflowTemplate, FieldValue } from '../workflow/schema.js';
import type { SignoffAction } from '../signoff/actions.js';
import type { SignoffStatus } from '../signoff/schema.js';
import type { NotificationUseCases } from './notifications.js';

/** Injected clock: tests drive time, nothing reads `Date.now()` directly. */
export interface Clock {
  now(): Date;
}

export type Subject = { kind: 'project'; id: string } | { kind: 'item'; id: string };

export interface StepUpdate {
  status?: StepStatus;
  notes?: string;
  links?: Link[];
  fields?: Record<string, FieldValue>;
}

export interface DecisionInput {
  /** Infrastructure id, or how to find it. */
  infrastructure?: string;
  namespace?: string;
  github?: { repository: string; environment: string };
  item?: string;
  artifacts?: string[];
  confirmation?: { reason: string };
  dryRun?: boolean;
  target?: DeploymentTarget;
}

export interface DecisionOutput {
  decision: Decision;
  /** Set when the deployment was recorded (admitted and not a dry run). */
  deploymentId?: string;
}

export interface ReviewTask {
  kind: 'feedback' | 'finalApproval' | 'delegated';
  item: Pick<Item, 'id' | 'kind' | 'name' | 'version' | 'importance' | 'projectId'>;
  ref: string;
  stepId: string;
  groupId?: string;
  signoffStatus: SignoffStatus;
  requestedAt?: string;
}

export interface GovernanceStatus {
  itemId: string;
  ref: string;
  kind: ItemKind;
  signoffStatus: SignoffStatus;
  approved: boolean;
  approvedDigests: string[];
  workflowStep: string;
  reviews: { groupId: string; groupName: string; author: string; status: string; at: string }[];
  finalApproval?: { author: string; status: string; at: string };
}

/**
 * One function per use case. Each takes the acting principal, checks authorisation,
 * applies the pure logic, writes store and audit together, and returns a Result with a
 * stable error code. The HTTP layer, the webhook's embedded mode and the UI all call this.
 */
export interface GovernanceService extends NotificationUseCases {
  // principals
  createUser(actor: Principal, input: { username: string; displayName: string; email?: string; password?: string; roles?: string[]; groups?: string[] }): Promise<Result<User>>;
  updateUser(actor: Principal, id: string, input: { displayName?: string; email?: string; password?: string; roles?: string[]; groups?: string[]; disabled?: boolean }): Promise<Result<User>>;
  listUsers(actor: Principal): Promise<Result<User[]>>;
  createGroup(actor: Principal, input: { id?: string; name: string; description?: string }): Promise<Result<Group>>;
  listGroups(actor: Principal): Promise<Result<Group[]>>;
  createApiKey(actor: Principal, input: { name: string; scopes: Scope[] }): Promise<Result<{ key: ApiKey; secret: string }>>;
  revokeApiKey(actor: Principal, id: string): Promise<Result<ApiKey>>;
  listApiKeys(actor: Principal): Promise<Result<ApiKey[]>>;
  /** Verifies a password (scrypt) and returns the principal; rate limiting is the caller's job. */
  authenticatePassword(username: string, password: string): Promise<Result<Principal>>;
  /** Verifies a bearer token `sk_<prefix>_<secret>`. */
  authenticateApiKey(token: string): Promise<Result<Principal>>;
  principalForUser(userId: string): Promise<Result<Principal>>;

  // templates
  listTemplates(actor: Principal): Promise<Result<WorkflowTemplate[]>>;
  createTemplate(actor: Principal, input: Omit<WorkflowTemplate, 'createdAt' | 'builtin'>): Promise<Result<WorkflowTemplate>>;

  // projects
  createProject(actor: Principal, input: { key: string; name: string; description?: string; owner?: string; links?: Link[]; templateId?: string; itemTemplates?: { bundle?: string; modelVersion?: string } }): Promise<Result<Project>>;
  updateProject(actor: Principal, id: string, input: { name?: string; description?: string; owner?: string; links?: Link[] }): Promise<Result<Project>>;
  setQualification(actor: Principal, id: string, input: Partial<Qualification>): Promise<Result<Project>>;
  setReviewers(actor: Principal, id: string, input: SignoffReviewers): Promise<Result<Project>>;
  deleteProject(actor: Principal, id: string): Promise<Result<{ id: string }>>;
  getProject(actor: Principal, idOrKey: string): Promise<Result<Project>>;
  listProjects(actor: Principal): Promise<Result<Project[]>>;

  // models and items
  createModel(actor: Principal, input: { projectId: string; name: string; description?: string }): Promise<Result<Model>>;
  deleteModel(actor: Principal, id: string): Promise<Result<{ id: string }>>;
  listModels(actor: Principal, projectId?: string): Promise<Result<Model[]>>;
  registerItem(actor: Principal, input: { kind: ItemKind; projectId: string; modelId?: string; name: string; version: string; description?: string; artifacts: Partial<Artifacts>; importance: Importance; links?: Link[]; requestFeedback?: { notify: Assignee[] } }): Promise<Result<Item>>;
  /** Changing artifacts after an approval starts a new sign-off round. */
  updateItem(actor: Principal, id: string, input: { description?: string; artifacts?: Partial<Artifacts>; importance?: Importance; links?: Link[] }): Promise<Result<Item>>;
  deleteItem(actor: Principal, id: string): Promise<Result<{ id: string }>>;
  /** By id or `project/name@version`. */
  getItem(actor: Principal, idOrRef: string): Promise<Result<Item>>;
  listItems(actor: Principal, filter?: { projectId?: string; kind?: ItemKind }): Promise<Result<Item[]>>;
  governanceStatus(actor: Principal, idOrRef: string): Promise<Result<GovernanceStatus>>;

  // workflows
  updateStep(actor: Principal, subject: Subject, stepId: string, update: StepUpdate): Promise<Result<Project | Item>>;

  // sign-off (stepId defaults to the item's first step with a sign-off)
  signoffAction(actor: Principal, itemId: string, action: SignoffAction, stepId?: string): Promise<Result<Item>>;
  myReviews(actor: Principal): Promise<Result<ReviewTask[]>>;

  // infrastructures
  createInfrastructure(actor: Principal, input: Omit<Infrastructure, 'createdAt' | 'updatedAt'>): Promise<Result<Infrastructure>>;
  updateInfrastructure(actor: Principal, id: string, input: Partial<Omit<Infrastructure, 'id' | 'createdAt' | 'updatedAt'>>): Promise<Result<Infrastructure>>;
  deleteInfrastructure(actor: Principal, id: string): Promise<Result<{ id: string }>>;
  listInfrastructures(actor: Principal): Promise<Result<Infrastructure[]>>;
  getInfrastructure(actor: Principal, id: string): Promise<Result<Infrastructure>>;

  // decisions and deployments
  decide(actor: Principal, input: DecisionInput): Promise<Result<DecisionOutput>>;
  /**
   * `decide` for input already parsed with the route's `DecisionInputSchema` (what the route
   * table's `invoke` receives): the same, without validating the body a second time (measured:
   * ≈ 10 % of the server's CPU per decision). Everything else is checked as in `decide`.
   */
  decideValidated(actor: Principal, body: DecisionInput): Promise<Result<DecisionOutput>>;
  /**
   * Records decisions already taken by `decide` with `dryRun: true` (the same inputs, sent with
   * `dryRun: false` here), all in one store transaction: each entry becomes the deployment record
   * and audit event `decide` would have written. For enforcement points that answer first and
   * record in batches (the embedded admission webhook). Dry runs are refused: they record nothing.
   */
  recordDeployments(actor: Principal, entries: readonly { input: DecisionInput; decision: Decision }[]): Promise<Result<{ deploymentIds: string[] }>>;
  listDeployments(actor: Principal, filter?: { itemId?: string; infrastructureId?: string; since?: string; until?: string; limit?: number }): Promise<Result<DeploymentRecord[]>>;

  // audit
  listAudit(actor: Principal, query?: { subject?: string; afterSeq?: number; limit?: number }): Promise<Result<AuditEvent[]>>;
  verifyAudit(actor: Principal): Promise<Result<AuditVerification>>;

  /** Runs due scheduled resets and expiries against the clock; returns the items changed. */
  runScheduled(): Promise<Result<string[]>>;
}
