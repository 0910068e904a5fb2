import { err, ok, type Result } from '@signoff/core';
import type { NamespaceResolver } from './types.js';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Parse `ns=infra,ns2=infra2` (commas or new lines; `#` comments), the format of
 * `--namespace-map` and of a namespace-map file.
 */
export function parseNamespaceMap(text: string): Result<Map<string, string>> {
  const map = new Map<string, string>();
  const entries = text
    .split(/[,\n]/)
    .map((s) => s.replace(/#.*$/, '').trim())
    .filter(Boolean);
  for (const entry of entries) {
    const m = /^([^=\s]+)\s*[=:]\s*([^=\s]+)$/.exec(entry);
    if (!m) return err('VALIDATION', `namespace map: "${entry}" is not namespace=infrastructure`, [{ path: ['namespaceMap'], message: 'expected namespace=infrastructure' }]);
    const [, ns, infra] = m as unknown as [string, string, string];
    if (!DNS_LABEL.test(ns) || ns.length > 63) return err('VALIDATION', `namespace map: "${ns}" is not a namespace name`, [{ path: ['namespaceMap', ns], message: 'not a DNS label' }]);
    if (!DNS_LABEL.test(infra) || infra.length > 63) return err('VALIDATION', `namespace map: "${infra}" is not an infrastructure id`, [{ path: ['namespaceMap', ns], message: 'not a DNS label' }]);
    map.set(ns, infra);
  }
  return ok(map);
}

/** A fixed namespace → infrastructure map, for clusters that prefer it to labels. */
export function staticNamespaces(map: ReadonlyMap<string, string> | Record<string, string>): NamespaceResolver {
  const m = new Map<string, string>(map instanceof Map ? (map as ReadonlyMap<string, string>) : Object.entries(map));
  return {
    infrastructureOf: (ns) => m.get(ns),
    synced: () => true,
    entries: () => [...m.entries()],
    close: () => Promise.resolve(),
  };
}
