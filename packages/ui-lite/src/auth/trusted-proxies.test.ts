import { describe, expect, it } from 'vitest';
import { parseTrustedProxies } from './trusted-proxies.js';

describe('parseTrustedProxies', () => {
  it('matches addresses and CIDR ranges, IPv4-mapped IPv6 included', () => {
    const trusted = parseTrustedProxies(['10.0.0.0/8', '192.168.1.10', 'fd00::/8']);
    expect(trusted('10.1.2.3')).toBe(true);
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
    expect(trusted('192.168.1.10')).toBe(true);
    expect(trusted('192.168.1.11')).toBe(false);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('127.0.0.1')).toBe(false);
    expect(trusted(undefined)).toBe(false);
    expect(trusted('not an address')).toBe(false);
  });

  it('trusts nothing when the list is empty', () => {
    expect(parseTrustedProxies([])('127.0.0.1')).toBe(false);
  });

  it('refuses malformed entries at start-up', () => {
    expect(() => parseTrustedProxies(['10.0.0.0/33'])).toThrow(/prefix/);
    expect(() => parseTrustedProxies(['proxy.local'])).toThrow(/not an IP/);
    expect(() => parseTrustedProxies(['10.0.0.0/x'])).toThrow(/prefix/);
  });
});
