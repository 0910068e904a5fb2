import { BlockList, isIP } from 'node:net';

export interface AddressMatcher {
  (address: string | undefined): boolean;
}

/**
 * Parses `--trusted-proxy` values (`10.0.0.0/8`, `192.168.1.10`, `::1`, `fd00::/8`).
 * Throws on a malformed value: this runs at start-up, where a typo must stop the server.
 */
export function parseTrustedProxies(cidrs: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const raw of cidrs) {
    const value = raw.trim();
    const [addr = '', prefixText] = value.split('/');
    const family = isIP(addr);
    if (family === 0) throw new Error(`--trusted-proxy: "${value}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(addr, type);
      continue;
    }
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      throw new Error(`--trusted-proxy: "${value}" has an invalid prefix length`);
    }
    list.addSubnet(addr, prefix, type);
  }
  return (address) => {
    if (!address || cidrs.length === 0) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const ip = mapped?.[1] ?? address;
    const family = isIP(ip);
    if (family === 0) return false;
    return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  };
}
