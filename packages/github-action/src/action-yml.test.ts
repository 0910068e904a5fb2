import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseInputs, RawInputs } from './inputs.js';

const pkg = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));

interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string;
}
interface ActionYml {
  name?: string;
  description?: string;
  branding?: { icon?: string; color?: string };
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string }>;
  runs: { using?: string; main?: string };
}

const action = parse(readFileSync(pkg('action.yml'), 'utf8')) as ActionYml;
const readme = readFileSync(pkg('README.md'), 'utf8');
const OUTPUTS = ['decision', 'signoff-status', 'item-id', 'review-url', 'deployment-id'];

describe('action.yml', () => {
  it('runs dist/index.js on node24 and says what it is', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(existsSync(pkg('dist/index.js'))).toBe(true);
    expect(action.name).toMatch(/\S/);
    expect(action.description).toMatch(/\S/);
    // GitHub Marketplace colours; the icon is one of Feather's.
    expect(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']).toContain(action.branding?.color);
    expect(action.branding?.icon).toMatch(/^[a-z-]+$/);
  });

  it('declares exactly the inputs the Action reads, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(RawInputs.shape).sort());
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).toMatch(/\S/);
    expect(action.inputs['server-url']?.required).toBe(true);
    expect(action.inputs['api-key']?.required).toBe(true);
    expect(action.inputs['github-token']?.default).toBe('${{ github.token }}');
    expect(action.inputs['wait-for-approval']?.default).toBeUndefined();
    expect(action.inputs['commit-status']?.default).toBe('true');
    expect(action.inputs['pr-comment']?.default).toBe('true');
    expect(action.inputs['dry-run']?.default).toBe('false');
  });

  it('a missing input means the same as action.yml\'s default (the bundle run directly)', () => {
    const base: Record<string, string> = { 'server-url': 'https://signoff.example.com', 'api-key': 'k', infrastructure: 'production', item: 'shop/web-bundle@v2' };
    const withDefaults = parseInputs((n) => base[n] ?? (action.inputs[n]?.default?.includes('${{') ? '' : (action.inputs[n]?.default ?? '')));
    const without = parseInputs((n) => base[n] ?? '');
    expect(withDefaults.ok).toBe(true);
    expect(without).toEqual(withDefaults);
  });

  it('declares the five outputs, each described', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUTS].sort());
    for (const [name, o] of Object.entries(action.outputs)) expect(o.description, name).toMatch(/\S/);
  });
});

describe('README', () => {
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] ?? '') as { jobs?: Record<string, { needs?: string | string[]; steps?: { uses?: string; with?: Record<string, unknown> }[] }> });
  const workflow = blocks.find((b) => b.jobs?.build && b.jobs.deploy);

  it('shows the build job registering and the deploy job gating, as uses: <owner>/signoff/packages/github-action@v1', () => {
    expect(workflow).toBeDefined();
    const uses = (job: string) => (workflow?.jobs?.[job]?.steps ?? []).filter((s) => s.uses === '<owner>/signoff/packages/github-action@v1');
    const [register] = uses('build');
    const [gate] = uses('deploy');
    expect(register?.with?.mode).toBe('register');
    expect(gate?.with?.mode ?? 'gate').toBe('gate');
    expect([workflow?.jobs?.deploy?.needs].flat()).toContain('build');
    for (const step of [register, gate]) {
      for (const key of Object.keys(step?.with ?? {})) expect(Object.keys(action.inputs), key).toContain(key);
      expect(step?.with).toHaveProperty('server-url');
      expect(step?.with).toHaveProperty('api-key');
    }
  });

  it('lists every input and output', () => {
    for (const name of [...Object.keys(action.inputs), ...OUTPUTS]) expect(readme, name).toContain(`\`${name}\``);
  });

  it('reports the size of dist/index.js (within 10 %) and the startup figures', () => {
    expect(readme).not.toContain('DIST_SIZE');
    const m = /dist\/index\.js[^\n]*?: ([\d,.]+) KiB/.exec(readme);
    expect(m, 'a line "dist/index.js …: <n> KiB"').not.toBeNull();
    const reported = Number((m?.[1] ?? '0').replace(/,/g, ''));
    const actual = statSync(pkg('dist/index.js')).size / 1024;
    expect(Math.abs(reported - actual) / actual).toBeLessThan(0.1);
    expect(readme).toMatch(/spawn → decision/);
    expect(readme).toMatch(/machine: \d+ cores/);
  });
});
