import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sharedKey, recogniseArtifact, shortenArtifact, shortenDigests } from './artifact.js';

const HEX = '0123456789abcdef';

describe('shortenArtifact', () => {
  it('gives what shortenDigests gives for the recognised string', () => {
    const hex = (n: number) => fc.string({ unit: fc.constantFrom(...HEX.split('')), minLength: n, maxLength: n });
    const part = fc.oneof(
      fc.constantFrom('', ' ', 'web', 'nginx', 'sha', 'sha256', 'sha256:', 'x', ':', '/', '@', '.', 'registry.example.com', 'localhost:5000', ':1.2', 'ABC', 'sha384:', 'sha512:'),
      hex(64).map((h) => `@sha256:${h}`),
      hex(64).map((h) => `sha256:${h}`),
      hex(96).map((h) => `@sha384:${h}`),
      hex(40),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
        const raw = parts.join('');
        expect(shortenArtifact(recogniseArtifact(raw))).toBe(shortenDigests(raw));
      }),
      { numRuns: 3000 },
    );
  });

  it('shortens a pinned image at its digest', () => {
    const d = `sha256:${'ab'.repeat(32)}`;
    expect(shortenArtifact(recogniseArtifact(`registry.example.com/shop/web@${d}`))).toBe('registry.example.com/shop/web@sha256:abababababab…');
    expect(shortenArtifact(recogniseArtifact(d))).toBe('sha256:abababababab…');
    expect(shortenArtifact(recogniseArtifact(` web@${d} `))).toBe(` web@sha256:abababababab… `);
  });
});

describe('sharedKey', () => {
  it('returns an equal string, the same object for equal strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        expect(sharedKey(s)).toBe(s);
      }),
      { numRuns: 500 },
    );
    const a = `sha256:${'0'.repeat(64)}`;
    const b = JSON.parse(JSON.stringify(a)) as string;
    expect(sharedKey(b)).toBe(sharedKey(a));
  });
});
