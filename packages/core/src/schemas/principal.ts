import { z } from 'zod';
import { Id, Timestamp } from './common.js';

/** Built-in roles. Any other role name may be used in assignments (e.g. `mlops-admin`). */
export const BuiltinRole = z.enum(['admin', 'viewer']);
export type BuiltinRole = z.infer<typeof BuiltinRole>;

export const RoleName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/);

export const User = z.object({
  id: Id,
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._@-]*$/),
  displayName: z.string().min(1).max(200),
  email: z.email().optional(),
  /** `scrypt$N$r$p$saltB64$hashB64`; absent for SSO-only users. */
  passwordHash: z.string().optional(),
  roles: z.array(RoleName).default([]),
  groups: z.array(Id).default([]),
  disabled: z.boolean().default(false),
  createdAt: Timestamp,
});
export type User = z.infer<typeof User>;

export const Group = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
  createdAt: Timestamp,
});
export type Group = z.infer<typeof Group>;

export const Scope = z.enum([
  'decisions:read',
  'deployments:write',
  'items:read',
  'items:write',
  'reviews:write',
  'admin',
]);
export type Scope = z.infer<typeof Scope>;

export const ApiKey = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  /** Public prefix shown in lists and used to find the key (`sk_<prefix>_<secret>`). */
  prefix: z.string().min(6).max(32),
  /** Hash of the secret; the secret itself is shown once at creation. */
  secretHash: z.string(),
  scopes: z.array(Scope).min(1),
  createdBy: Id,
  createdAt: Timestamp,
  revokedAt: Timestamp.optional(),
  lastUsedAt: Timestamp.optional(),
});
export type ApiKey = z.infer<typeof ApiKey>;

/** Who is asking. Built by the server from a session, an API key or trusted SSO headers. */
export const Principal = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('user'),
    id: Id,
    username: z.string(),
    displayName: z.string(),
    roles: z.array(z.string()),
    groups: z.array(z.string()),
  }),
  z.object({
    kind: z.literal('apiKey'),
    id: Id,
    name: z.string(),
    scopes: z.array(Scope),
  }),
  /** The system itself (scheduler, migrations, demo loader). */
  z.object({ kind: z.literal('system'), id: z.literal('system') }),
]);
export type Principal = z.infer<typeof Principal>;

/** Someone a review can be assigned to. */
export const Assignee = z.object({
  kind: z.enum(['user', 'group', 'role', 'apiKey']),
  id: z.string().min(1).max(64),
});
export type Assignee = z.infer<typeof Assignee>;
