import { err, ok, type Result } from '../result.js';
import type { Principal, Scope } from '../schemas/principal.js';
import type { Project } from '../schemas/project.js';
import { hasScope, isAdmin } from '../auth/principal.js';

/*
 * Authorisation rules of the service (the HTTP layer only pre-filters API key scopes):
 * - admin: a user with role `admin`, an API key with scope `admin`, or the system.
 * - owner: the user named as a project's owner; owners edit their project and its items.
 * - assigned reviewer: decided by the sign-off machine from the project's reviewers
 *   (user, group, role or API key, delegation honoured).
 * - viewer: every authenticated user reads projects, items, infrastructures, deployments.
 * API keys act only within their scopes.
 */

export type Ok = Result<true>;
const yes: Ok = ok(true);

export function requireAdmin(actor: Principal, what: string): Ok {
  return isAdmin(actor) ? yes : err('FORBIDDEN', `Only an administrator may ${what}.`);
}

export function requireScope(actor: Principal, scopes: readonly Scope[], what: string): Ok {
  if (actor.kind !== 'apiKey' || scopes.some((s) => hasScope(actor, s))) return yes;
  return err('FORBIDDEN', `This API key lacks the scope to ${what} (needs ${scopes.join(' or ')}).`);
}

/** Scopes that let an API key read projects, items and infrastructures. */
export const READ_SCOPES: readonly Scope[] = ['items:read', 'items:write', 'reviews:write', 'decisions:read'];

export function requireRead(actor: Principal, what: string): Ok {
  return requireScope(actor, READ_SCOPES, what);
}

export function isOwner(actor: Principal, project: Project): boolean {
  return actor.kind === 'user' && actor.id === project.owner;
}

/** Owner or admin; API keys need `items:write` and may not edit projects (they own none). */
export function requireOwner(actor: Principal, project: Project, what: string): Ok {
  if (isAdmin(actor) || isOwner(actor, project)) return yes;
  return err('FORBIDDEN', `Only the owner of project ${project.key} or an administrator may ${what}.`);
}

/** Items: the project's owner, an admin, or an API key with `items:write` (CI registering builds). */
export function requireItemWriter(actor: Principal, project: Project, what: string): Ok {
  if (isAdmin(actor) || isOwner(actor, project)) return yes;
  if (actor.kind === 'apiKey' && hasScope(actor, 'items:write')) return yes;
  return err('FORBIDDEN', `Only the owner of project ${project.key}, an administrator or an API key with items:write may ${what}.`);
}

export function actorKind(actor: Principal): 'user' | 'apiKey' | 'system' {
  return actor.kind;
}
