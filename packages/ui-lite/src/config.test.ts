import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';

describe('resolveConfig', () => {
  it('has the documented defaults', () => {
    const r = resolveConfig({}, {});
    expect(r.ok && r.value).toMatchObject({ port: 8080, host: '127.0.0.1', data: './data/signoff.json', demo: false, ssoHeaders: false, trustedProxies: [], logLevel: 'info', ssoUserHeader: 'x-forwarded-user' });
  });

  it('reads SIGNOFF_* variables, and flags win over them', () => {
    const env = { SIGNOFF_PORT: '9090', SIGNOFF_DEMO: 'true', SIGNOFF_TRUSTED_PROXY: '10.0.0.0/8, 192.168.0.1', SIGNOFF_DATA: '/var/lib/signoff.json', SIGNOFF_SSO_USER_HEADER: 'X-Auth-User' };
    const r = resolveConfig({ port: '0' }, env);
    expect(r.ok && r.value).toMatchObject({ port: 0, demo: true, trustedProxies: ['10.0.0.0/8', '192.168.0.1'], data: '/var/lib/signoff.json', ssoUserHeader: 'x-auth-user' });
  });

  it('treats empty variables as unset and accepts the usual booleans', () => {
    const r = resolveConfig({}, { SIGNOFF_PORT: '', SIGNOFF_DEMO: 'off', SIGNOFF_SSO_HEADERS: '1' });
    expect(r.ok && r.value).toMatchObject({ port: 8080, demo: false, ssoHeaders: true });
  });

  it('names the flag and the variable of an invalid setting', () => {
    const r = resolveConfig({ port: 'eighty' }, { SIGNOFF_PUBLIC_URL: 'ftp://x', SIGNOFF_ADMIN_PASSWORD: 'short' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain('--port (SIGNOFF_PORT)');
      expect(r.error.message).toContain('--public-url (SIGNOFF_PUBLIC_URL)');
      expect(r.error.message).toContain('--admin-password (SIGNOFF_ADMIN_PASSWORD)');
    }
    expect(resolveConfig({ port: 70000 }, {}).ok).toBe(false);
    expect(resolveConfig({}, { SIGNOFF_DEMO: 'maybe' }).ok).toBe(false);
  });
});
