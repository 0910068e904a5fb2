import type { ApiKey, Principal, Scope, User } from '../schemas/principal.js';

/** The principal a user acts as: their roles and groups at this moment. */
export function principalFromUser(user: User): Principal {
  return {
    kind: 'user',
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    roles: [...user.roles],
    groups: [...user.groups],
  };
}

export function principalFromApiKey(key: ApiKey): Principal {
  return { kind: 'apiKey', id: key.id, name: key.name, scopes: [...key.scopes] };
}

export const systemPrincipal: Principal = { kind: 'system', id: 'system' };

/** Users with role `admin`, API keys with scope `admin`, and the system itself. */
export function isAdmin(p: Principal): boolean {
  if (p.kind === 'system') return true;
  if (p.kind === 'user') return p.roles.includes('admin');
  return p.scopes.includes('admin');
}

/** Users are not limited by scopes; API keys only act within theirs (`admin` includes all). */
export function hasScope(p: Principal, scope: Scope): boolean {
  if (p.kind !== 'apiKey') return true;
  return p.scopes.includes(scope) || p.scopes.includes('admin');
}
