import { z } from 'zod';
import { Id, Link, Slug, Timestamp } from './common.js';
import { Assignee } from './principal.js';
import { WorkflowState } from '../workflow/schema.js';

export const Rating = z.number().int().min(1).max(5);
export type Rating = z.infer<typeof Rating>;

export const QualificationDecision = z.enum(['Undecided', 'Go', 'No go', 'On hold']);
export type QualificationDecision = z.infer<typeof QualificationDecision>;

export const Qualification = z.object({
  value: Rating.optional(),
  risk: Rating.optional(),
  feasibility: Rating.optional(),
  decision: QualificationDecision.default('Undecided'),
  comments: z.string().max(20_000).default(''),
  plan: z.string().max(20_000).default(''),
});
export type Qualification = z.infer<typeof Qualification>;

/** Who reviews in one feedback group of the project's children. */
export const FeedbackGroupAssignment = z.object({
  groupId: Id,
  assignees: z.array(Assignee).default([]),
});
export type FeedbackGroupAssignment = z.infer<typeof FeedbackGroupAssignment>;

export const SignoffReviewers = z.object({
  feedbackGroups: z.array(FeedbackGroupAssignment).default([]),
  finalApprovers: z.array(Assignee).default([]),
});
export type SignoffReviewers = z.infer<typeof SignoffReviewers>;

export const Project = z.object({
  id: Id,
  /** Used in references: `<key>/<name>@<version>`. Unique. */
  key: Slug,
  name: z.string().min(1).max(200),
  description: z.string().max(20_000).default(''),
  owner: Id,
  links: z.array(Link).default([]),
  workflow: WorkflowState,
  qualification: Qualification,
  reviewers: SignoffReviewers,
  /** Template used for the project's bundles and model versions. */
  itemTemplates: z.object({ bundle: Id, modelVersion: Id }),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Project = z.infer<typeof Project>;
