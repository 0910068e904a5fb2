import { z } from 'zod';
import { Id, Importance, Link, Slug, Timestamp, Version } from '../schemas/common.js';
import { ApiKey, Assignee, Group, Principal, RoleName, Scope, User } from '../schemas/principal.js';
import { Project, Qualification, SignoffReviewers } from '../schemas/project.js';
import { ImageRef, Item, ItemKind, Model, StorageArtifact } from '../schemas/item.js';
import { GithubEnvironment, Infrastructure } from '../schemas/infrastructure.js';
import { Decision, DeploymentRecord, DeploymentTarget } from '../decision/schema.js';
import { AuditEvent, AuditVerification } from '../audit/schema.js';
import { FieldValue, StepDefinition, StepStatus, WorkflowTemplate } from '../workflow/schema.js';
import { FeedbackStatus, FinalStatus, SignoffStatus } from '../signoff/schema.js';

/*
 * Request and response schemas of the HTTP API. The service validates its inputs with the
 * same schemas, so the API and the service cannot disagree. Request bodies are strict:
 * an unknown field is a VALIDATION error naming it.
 */

const comment = z.string().max(20_000);
const password = z.string().min(8, 'must be at least 8 characters').max(1024);

// ---------------------------------------------------------------- principals

export const CreateUserInput = z.strictObject({
  username: User.shape.username,
  displayName: z.string().min(1).max(200),
  email: z.email().optional(),
  password: password.optional(),
  roles: z.array(RoleName).max(50).optional(),
  groups: z.array(Id).max(200).optional(),
});
export type CreateUserInput = z.infer<typeof CreateUserInput>;

export const UpdateUserInput = z.strictObject({
  displayName: z.string().min(1).max(200).optional(),
  email: z.email().optional(),
  password: password.optional(),
  roles: z.array(RoleName).max(50).optional(),
  groups: z.array(Id).max(200).optional(),
  disabled: z.boolean().optional(),
});
export type UpdateUserInput = z.infer<typeof UpdateUserInput>;

export const CreateGroupInput = z.strictObject({
  id: Id.optional(),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
});
export type CreateGroupInput = z.infer<typeof CreateGroupInput>;

export const CreateApiKeyInput = z.strictObject({
  name: z.string().min(1).max(200),
  scopes: z.array(Scope).min(1).max(Scope.options.length),
});
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;

export const LoginInput = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});
export type LoginInput = z.infer<typeof LoginInput>;

/** A user as the API shows it: never the password hash. */
export const PublicUser = User.omit({ passwordHash: true });
export type PublicUser = z.infer<typeof PublicUser>;
/** An API key as the API shows it: never the secret's hash. */
export const PublicApiKey = ApiKey.omit({ secretHash: true });
export type PublicApiKey = z.infer<typeof PublicApiKey>;
export const CreatedApiKey = z.object({
  key: PublicApiKey,
  /** The bearer token `sk_<prefix>_<secret>`; shown once. */
  secret: z.string(),
});

// ---------------------------------------------------------------- templates

export const CreateTemplateInput = z.strictObject({
  id: Id,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  appliesTo: WorkflowTemplate.shape.appliesTo,
  steps: z.array(StepDefinition).min(1).max(50),
});
export type CreateTemplateInput = z.infer<typeof CreateTemplateInput>;

// ---------------------------------------------------------------- projects

export const CreateProjectInput = z.strictObject({
  key: Slug,
  name: z.string().min(1).max(200),
  description: z.string().max(20_000).optional(),
  owner: Id.optional(),
  links: z.array(Link).max(100).optional(),
  templateId: Id.optional(),
  itemTemplates: z.strictObject({ bundle: Id.optional(), modelVersion: Id.optional() }).optional(),
});
export type CreateProjectInput = z.infer<typeof CreateProjectInput>;

export const UpdateProjectInput = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(20_000).optional(),
  owner: Id.optional(),
  links: z.array(Link).max(100).optional(),
});
export type UpdateProjectInput = z.infer<typeof UpdateProjectInput>;

export const QualificationInput = z.strictObject({
  value: Qualification.shape.value,
  risk: Qualification.shape.risk,
  feasibility: Qualification.shape.feasibility,
  decision: Qualification.shape.decision.optional(),
  comments: z.string().max(20_000).optional(),
  plan: z.string().max(20_000).optional(),
});
export type QualificationInput = z.infer<typeof QualificationInput>;

export const ReviewersInput = z.strictObject({
  feedbackGroups: z
    .array(z.strictObject({ groupId: Id, assignees: z.array(Assignee).max(200).default([]) }))
    .max(50)
    .default([]),
  finalApprovers: z.array(Assignee).max(200).default([]),
});
export type ReviewersInput = z.infer<typeof ReviewersInput>;
// The reviewers input is exactly the stored shape.
void SignoffReviewers;

// ---------------------------------------------------------------- models and items

export const CreateModelInput = z.strictObject({
  projectId: Id,
  name: Slug,
  description: z.string().max(20_000).optional(),
});
export type CreateModelInput = z.infer<typeof CreateModelInput>;

export const ArtifactsInput = z.strictObject({
  images: z.array(ImageRef).max(200).optional(),
  storage: z.array(StorageArtifact).max(200).optional(),
  checksum: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/)
    .optional(),
});
export type ArtifactsInput = z.infer<typeof ArtifactsInput>;

export const RegisterItemInput = z.strictObject({
  kind: ItemKind,
  projectId: Id,
  modelId: Id.optional(),
  name: Slug,
  version: Version,
  description: z.string().max(20_000).optional(),
  artifacts: ArtifactsInput,
  importance: Importance,
  links: z.array(Link).max(100).optional(),
  requestFeedback: z.strictObject({ notify: z.array(Assignee).max(200).default([]) }).optional(),
});
export type RegisterItemInput = z.infer<typeof RegisterItemInput>;

export const UpdateItemInput = z.strictObject({
  description: z.string().max(20_000).optional(),
  artifacts: ArtifactsInput.optional(),
  importance: Importance.optional(),
  links: z.array(Link).max(100).optional(),
});
export type UpdateItemInput = z.infer<typeof UpdateItemInput>;

export const ListItemsQuery = z.object({ projectId: Id.optional(), kind: ItemKind.optional() });
export type ListItemsQuery = z.infer<typeof ListItemsQuery>;

export const GovernanceStatusResponse = z.object({
  itemId: z.string(),
  ref: z.string(),
  kind: ItemKind,
  signoffStatus: SignoffStatus,
  approved: z.boolean(),
  approvedDigests: z.array(z.string()),
  workflowStep: z.string(),
  reviews: z.array(
    z.object({ groupId: z.string(), groupName: z.string(), author: z.string(), status: z.string(), at: z.string() }),
  ),
  finalApproval: z.object({ author: z.string(), status: z.string(), at: z.string() }).optional(),
});

// ---------------------------------------------------------------- workflow steps

export const StepUpdateInput = z.strictObject({
  status: StepStatus.optional(),
  notes: z.string().max(20_000).optional(),
  links: z.array(Link).max(100).optional(),
  fields: z.record(z.string().max(64), FieldValue).optional(),
});
export type StepUpdateInput = z.infer<typeof StepUpdateInput>;

// ---------------------------------------------------------------- sign-off action bodies (HTTP)

export const NotifyBody = z.strictObject({ notify: z.array(Assignee).max(200).default([]) });
export const SubmitFeedbackBody = z.strictObject({ groupId: Id, status: FeedbackStatus, comment: comment.default('') });
export const EditFeedbackBody = z.strictObject({ status: FeedbackStatus.optional(), comment: comment.optional() });
export const DelegateBody = z.strictObject({
  /** Feedback group id, or `final` for the final approval. */
  scope: z.union([Id, z.literal('final')]),
  /** User id of the delegate. */
  to: Id,
  comment: z.string().max(2000).default(''),
});
export const FinalApprovalBody = z.strictObject({ status: FinalStatus, comment: comment.default('') });
export const EditFinalApprovalBody = z.strictObject({ status: FinalStatus.optional(), comment: comment.optional() });
export const CommentBody = z.strictObject({ comment: comment.default('') });
export const EmptyBody = z.strictObject({});
export const ScheduleResetBody = z
  .strictObject({
    at: Timestamp.optional(),
    /** ISO 8601 duration for recurring resets, e.g. `P90D`. */
    every: z.string().max(64).optional(),
  })
  .refine((b) => b.at !== undefined || b.every !== undefined, {
    message: 'give "at" (one-off) or "every" (recurring)',
    path: ['at'],
  });
/** Which step's sign-off; defaults to the item's first step with a sign-off. */
export const SignoffQuery = z.object({ stepId: Id.optional() });

export const ReviewTaskResponse = z.object({
  kind: z.enum(['feedback', 'finalApproval', 'delegated']),
  item: Item.pick({ id: true, kind: true, name: true, version: true, importance: true, projectId: true }),
  ref: z.string(),
  stepId: z.string(),
  groupId: z.string().optional(),
  signoffStatus: SignoffStatus,
  requestedAt: z.string().optional(),
});

// ---------------------------------------------------------------- infrastructures

const infraFields = {
  name: Infrastructure.shape.name,
  description: z.string().max(2000).optional(),
  policy: Infrastructure.shape.policy.unwrap().optional(),
  requireConfirmation: z.boolean().optional(),
  unmatched: Infrastructure.shape.unmatched,
  production: z.boolean().optional(),
  advanceWorkflowOnDeploy: z.boolean().optional(),
  namespaces: z.array(z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/).max(63)).max(500).optional(),
  githubEnvironments: z.array(GithubEnvironment).max(500).optional(),
};
export const CreateInfrastructureInput = z.strictObject({ id: Infrastructure.shape.id, ...infraFields });
export type CreateInfrastructureInput = z.infer<typeof CreateInfrastructureInput>;
export const UpdateInfrastructureInput = z.strictObject({ ...infraFields, name: infraFields.name.optional() });
export type UpdateInfrastructureInput = z.infer<typeof UpdateInfrastructureInput>;

// ---------------------------------------------------------------- decisions, deployments, audit

export const DecisionInputSchema = z
  .strictObject({
    /** Infrastructure id. */
    infrastructure: Infrastructure.shape.id.optional(),
    /** Or: a Kubernetes namespace listed by an infrastructure. */
    namespace: z.string().min(1).max(63).optional(),
    /** Or: a GitHub repository and environment mapped by an infrastructure. */
    github: z.strictObject({ repository: z.string().min(3).max(200), environment: z.string().min(1).max(255) }).optional(),
    /** Item id or `project/name@version`. */
    item: z.string().min(1).max(300).optional(),
    artifacts: z.array(z.string().min(1).max(1024)).max(200).optional(),
    confirmation: z.strictObject({ reason: z.string().min(1).max(1000) }).optional(),
    dryRun: z.boolean().optional(),
    target: DeploymentTarget.optional(),
  })
  .superRefine((v, ctx) => {
    const given = [v.infrastructure, v.namespace, v.github].filter((x) => x !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['infrastructure'],
        message: 'give exactly one of "infrastructure", "namespace" or "github"',
      });
    }
  });
export type DecisionInputBody = z.infer<typeof DecisionInputSchema>;

export const DecisionOutputSchema = z.object({ decision: Decision, deploymentId: z.string().optional() });

export const ListDeploymentsQuery = z.object({
  itemId: Id.optional(),
  infrastructureId: z.string().max(63).optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
export type ListDeploymentsQuery = z.infer<typeof ListDeploymentsQuery>;

export const ListAuditQuery = z.object({
  subject: z.string().max(200).optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;

// ---------------------------------------------------------------- path parameters

export const IdParams = z.object({ id: Id });
/** Items accept an id or a URL-encoded `project/name@version` reference. */
export const ItemRefParams = z.object({ id: z.string().min(1).max(300) });
export const ProjectRefParams = z.object({ id: z.string().min(1).max(64) });
export const InfrastructureParams = z.object({ id: Infrastructure.shape.id });
export const StepParams = z.object({ id: z.string().min(1).max(300), stepId: Id });
export const ReviewParams = z.object({ id: z.string().min(1).max(300), reviewId: Id });

// ---------------------------------------------------------------- re-exported response schemas

export const DeletedResponse = z.object({ id: z.string() });
export {
  AuditEvent as AuditEventResponse,
  AuditVerification as AuditVerificationResponse,
  DeploymentRecord as DeploymentRecordResponse,
  Group as GroupResponse,
  Infrastructure as InfrastructureResponse,
  Item as ItemResponse,
  Model as ModelResponse,
  Principal as PrincipalResponse,
  Project as ProjectResponse,
  WorkflowTemplate as TemplateResponse,
};
