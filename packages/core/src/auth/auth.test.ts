import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password.js';
import { apiKeyFromToken, generateApiKey, parseApiKeyToken, verifyApiKeySecret } from './api-key.js';
import { hasScope, isAdmin } from './principal.js';

const fast = { N: 1024, r: 8, p: 1 };

describe('passwords', () => {
  it('hashes with scrypt and verifies', async () => {
    const h = await hashPassword('correct horse', fast);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct hors', h)).toBe(false);
    expect(await hashPassword('correct horse', fast)).not.toBe(h);
  });
  it('rejects malformed hashes without throwing', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AA==$AA==')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1024$8$1$$')).toBe(false);
  });
});

describe('API keys', () => {
  it('generates sk_<prefix>_<secret> and stores only a hash', () => {
    const k = generateApiKey();
    expect(k.token).toMatch(/^sk_[a-f0-9]{10}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKeyToken(k.token);
    expect(parsed?.prefix).toBe(k.prefix);
    expect(k.secretHash).not.toContain(parsed?.secret ?? '??');
    expect(verifyApiKeySecret(parsed?.secret ?? '', k.secretHash)).toBe(true);
    expect(verifyApiKeySecret('wrong', k.secretHash)).toBe(false);
    expect(generateApiKey().prefix).not.toBe(k.prefix);
  });
  it('accepts a caller-chosen opaque token and finds it by a derived prefix', () => {
    const k = apiKeyFromToken('demo-secret-for-scripts');
    expect(k).toBeDefined();
    const parsed = parseApiKeyToken('demo-secret-for-scripts');
    expect(parsed?.prefix).toBe(k?.prefix);
    expect(verifyApiKeySecret(parsed?.secret ?? '', k?.secretHash ?? '')).toBe(true);
    expect(apiKeyFromToken('short')).toBeUndefined();
    expect(parseApiKeyToken('has space in the token')).toBeUndefined();
  });
});

describe('principals', () => {
  it('knows admins and scopes', () => {
    expect(isAdmin({ kind: 'user', id: 'u', username: 'u', displayName: 'U', roles: ['admin'], groups: [] })).toBe(true);
    expect(isAdmin({ kind: 'apiKey', id: 'k', name: 'k', scopes: ['decisions:read'] })).toBe(false);
    expect(hasScope({ kind: 'apiKey', id: 'k', name: 'k', scopes: ['admin'] }, 'reviews:write')).toBe(true);
    expect(hasScope({ kind: 'apiKey', id: 'k', name: 'k', scopes: ['decisions:read'] }, 'deployments:write')).toBe(false);
  });
});
