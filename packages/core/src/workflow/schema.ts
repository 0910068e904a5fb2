import { z } from 'zod';
import { Id, Link, Timestamp } from '../schemas/common.js';
import { ReviewTimeout } from '../notify/schema.js';

export const StepStatus = z.enum(['Not started', 'Ongoing', 'Finished']);
export type StepStatus = z.infer<typeof StepStatus>;

export const FieldDefinition = z.object({
  id: Id,
  label: z.string().min(1).max(200),
  type: z.enum(['text', 'longtext', 'number', 'select', 'date', 'boolean']),
  options: z.array(z.string()).optional(),
  required: z.boolean().default(false),
  /** Bounds of a `number` field, inclusive (e.g. ratings 1..5). */
  min: z.number().optional(),
  max: z.number().optional(),
});
export type FieldDefinition = z.infer<typeof FieldDefinition>;

export const FeedbackGroupDefinition = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  /** Approvals ("Approved" feedback) needed from this group before final approval may be requested. */
  quorum: z.number().int().min(0).max(100).default(0),
});
export type FeedbackGroupDefinition = z.infer<typeof FeedbackGroupDefinition>;

export const SignoffDefinition = z.object({
  mandatory: z.boolean(),
  /** Feedback groups of this sign-off; when absent, the standard three. */
  feedbackGroups: z.array(FeedbackGroupDefinition).optional(),
  /** When true, the item's creator cannot give the final approval. */
  separationOfDuties: z.boolean().default(true),
  /** Approval expiry: reset the sign-off this long after it was approved (ISO 8601 duration, e.g. `P90D`). */
  expiresAfter: z.string().optional(),
  /** Remind pending reviewers this often (ISO 8601 duration, e.g. `P1D`); overrides the server default. */
  reminderEvery: z.string().regex(/^P/, 'must be an ISO 8601 duration such as P1D').optional(),
  /** What happens when a review stays pending too long, per importance; overrides the server default. */
  reviewTimeouts: z.array(ReviewTimeout).optional(),
});
export type SignoffDefinition = z.infer<typeof SignoffDefinition>;

export const StepDefinition = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  fields: z.array(FieldDefinition).default([]),
  signoff: SignoffDefinition.optional(),
  /** Marks the step that an admitted production deployment moves the item to. */
  production: z.boolean().default(false),
});
export type StepDefinition = z.infer<typeof StepDefinition>;

export const TemplateTarget = z.enum(['project', 'bundle', 'modelVersion']);
export type TemplateTarget = z.infer<typeof TemplateTarget>;

export const WorkflowTemplate = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  appliesTo: z.array(TemplateTarget).min(1),
  steps: z.array(StepDefinition).min(1),
  builtin: z.boolean().default(false),
  createdAt: Timestamp,
});
export type WorkflowTemplate = z.infer<typeof WorkflowTemplate>;

export const FieldValue = z.union([z.string().max(20_000), z.number(), z.boolean(), z.null()]);
export type FieldValue = z.infer<typeof FieldValue>;

export const StepState = z.object({
  id: Id,
  status: StepStatus,
  notes: z.string().max(20_000).default(''),
  links: z.array(Link).default([]),
  fields: z.record(z.string(), FieldValue).default({}),
  updatedAt: Timestamp.optional(),
  updatedBy: z.string().optional(),
});
export type StepState = z.infer<typeof StepState>;

export const WorkflowState = z.object({
  templateId: Id,
  steps: z.array(StepState),
});
export type WorkflowState = z.infer<typeof WorkflowState>;
