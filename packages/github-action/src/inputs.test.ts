import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDuration, parseInputs } from './inputs.js';

const base: Record<string, string> = {
  'server-url': 'https://signoff.example.com',
  'api-key': 'sk_abc_def',
  item: 'shop/web-bundle@v2',
  infrastructure: 'production',
};
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['500ms', 500],
    ['45', 45_000],
    [' 5M ', 300_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '1d', '-5m', '1.5h', '10 minutes'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('reads back any whole number of each unit', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.constantFrom(['s', 1000], ['m', 60_000], ['h', 3_600_000]), (n, [unit, ms]) => {
        expect(parseDuration(`${n}${unit}`)).toBe(n * ms);
      }),
    );
  });
});

describe('parseInputs', () => {
  it('applies the defaults of action.yml', () => {
    const r = parseInputs(reader(base));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ mode: 'gate', 'dry-run': false, 'commit-status': true, 'pr-comment': true, digests: [], importance: 'Moderate' });
    expect(r.value['wait-for-approval']).toBeUndefined();
  });

  it('splits digests on lines and commas', () => {
    const r = parseInputs(reader({ ...base, digests: 'a@sha256:1\n\n  b , c\n' }));
    expect(r.ok && r.value.digests).toEqual(['a@sha256:1', 'b', 'c']);
  });

  it.each([
    [{ 'server-url': '' }, 'server-url'],
    [{ 'server-url': 'ftp://x' }, 'server-url'],
    [{ 'api-key': ' ' }, 'api-key'],
    [{ 'wait-for-approval': 'a while' }, 'wait-for-approval'],
    [{ 'dry-run': 'maybe' }, 'dry-run'],
    [{ mode: 'deploy' }, 'mode'],
    [{ infrastructure: 'Prod Env' }, 'infrastructure'],
    [{ item: 'not a ref!' }, 'item'],
    [{ infrastructure: '', environment: '' }, 'infrastructure'],
    [{ environment: 'production' }, 'infrastructure'],
    [{ importance: 'urgent' }, 'importance'],
    [{ 'commit-status': 'sometimes' }, 'commit-status'],
  ])('names the bad input %j', (patch, name) => {
    const r = parseInputs(reader({ ...base, ...patch }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(`"${name}"`);
  });

  it('register mode needs a full reference and digests', () => {
    const bad = parseInputs(reader({ ...base, mode: 'register', item: 'itm_1', digests: 'x' }));
    expect(!bad.ok && bad.message).toContain('"item"');
    const noDigests = parseInputs(reader({ ...base, mode: 'register' }));
    expect(!noDigests.ok && noDigests.message).toContain('"digests"');
    const good = parseInputs(reader({ ...base, mode: 'register', digests: 's3://m/1', 'request-feedback': 'it-ops, risk' }));
    expect(good.ok && good.value['request-feedback']).toEqual(['it-ops', 'risk']);
  });
});
