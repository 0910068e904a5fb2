import { expect, it } from 'vitest';
import { parseNamespaceMap, staticNamespaces } from './static-map.js';

it('parses ns=infra lists separated by commas or lines, with comments', () => {
  const r = parseNamespaceMap('ml-prod=production, shop-dev=development\n# staging\nml-staging = staging\n');
  expect(r.ok && [...r.value.entries()]).toEqual([
    ['ml-prod', 'production'],
    ['shop-dev', 'development'],
    ['ml-staging', 'staging'],
  ]);
  const ns = staticNamespaces(r.ok ? r.value : new Map());
  expect(ns.synced()).toBe(true);
  expect(ns.infrastructureOf('ml-staging')).toBe('staging');
  expect(ns.infrastructureOf('other')).toBeUndefined();
});

it.each([
  ['ml-prod', 'ml-prod'],
  ['ml-prod=Production', 'Production'],
  ['ML_PROD=production', 'ML_PROD'],
  ['a=b=c', 'a=b=c'],
])('refuses %s, naming the bad part', (text, named) => {
  const r = parseNamespaceMap(text);
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.error.code).toBe('VALIDATION');
    expect(r.error.message).toContain(named);
  }
});
