import { z } from 'zod';
import { Timestamp } from './common.js';

export const Policy = z.enum(['prevent', 'warn', 'always']);
export type Policy = z.infer<typeof Policy>;

export const UnmatchedAction = z.enum(['deny', 'warn', 'allow']);
export type UnmatchedAction = z.infer<typeof UnmatchedAction>;

export const GithubEnvironment = z.object({
  /** `owner/repo`, or `owner/*` for every repository of an owner. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/(\*|[A-Za-z0-9_.-]+)$/),
  environment: z.string().min(1).max(255),
});
export type GithubEnvironment = z.infer<typeof GithubEnvironment>;

export const Infrastructure = z.object({
  id: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a DNS label (it is used as a Kubernetes label value)'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  policy: Policy.default('always'),
  /** Under `warn`: refuse unless the deployer confirms with a reason. */
  requireConfirmation: z.boolean().default(false),
  /** What to do with artifacts that match no governed item. Default: deny under `prevent`, warn under `warn`, allow under `always`. */
  unmatched: UnmatchedAction.optional(),
  production: z.boolean().default(false),
  /** Move an item's workflow to its production step after an admitted deployment here. */
  advanceWorkflowOnDeploy: z.boolean().default(false),
  /** Namespaces covered (documentation and static maps; the label `signoff.dev/infrastructure` is authoritative). */
  namespaces: z.array(z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/)).default([]),
  githubEnvironments: z.array(GithubEnvironment).default([]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Infrastructure = z.infer<typeof Infrastructure>;
