import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkItemRef, formatItemRef, isItemId, ItemIdOrRef, ItemRefString, parseItemRef } from './item-ref.js';
import { formatImageRef, parseImageRef, parseImageRefByGrammar, scanImageRef } from './image-ref.js';
import { BoundedCache } from './bounded-cache.js';
import { artifactKey, itemDigestKeys, LONG_DIGEST_RE, normaliseStorageUri, parseArtifact, recogniseArtifacts, shortenDigests } from './artifact.js';

const HEX = 'f'.repeat(64);
const D = `sha256:${HEX}`;

describe('item references', () => {
  it('parses project/name@version', () => {
    expect(parseItemRef('shop/web-bundle@v2')).toEqual({ project: 'shop', name: 'web-bundle', version: 'v2' });
    expect(parseItemRef('fraud/fraud-model@3')).toEqual({ project: 'fraud', name: 'fraud-model', version: '3' });
    expect(parseItemRef('a.b/c_d@1.2.3+build-4')).toEqual({ project: 'a.b', name: 'c_d', version: '1.2.3+build-4' });
  });

  it.each([
    ['', 'expected project/name@version'],
    ['shop', 'expected project/name@version'],
    ['shop/web', 'expected project/name@version'],
    ['shop@v1/web', 'expected project/name@version'],
    ['/web@v1', 'project'],
    ['Shop/web@v1', 'project'],
    ['shop/@v1', 'name'],
    ['shop/web@', 'version'],
    ['shop/web@v 1', 'version'],
    ['shop/a/b@v1', 'name'],
  ])('rejects %j, naming the %s', (input, what) => {
    const r = checkItemRef(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('VALIDATION');
      expect(r.error.message).toContain(what);
    }
    expect(parseItemRef(input)).toBeUndefined();
  });

  it('formats and round-trips', () => {
    expect(formatItemRef('shop', 'web-bundle', 'v1')).toBe('shop/web-bundle@v1');
    expect(formatItemRef({ project: 'shop', name: 'web-bundle', version: 'v1' })).toBe('shop/web-bundle@v1');
    const slug = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
    const version = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,20}$/);
    fc.assert(
      fc.property(slug, slug, version, (p, n, v) => {
        expect(parseItemRef(formatItemRef(p, n, v))).toEqual({ project: p, name: n, version: v });
      }),
    );
  });

  it('tells ids from references', () => {
    expect(isItemId('itm_3k9x')).toBe(true);
    expect(isItemId('shop/web@v1')).toBe(false);
    expect(isItemId('')).toBe(false);
    expect(isItemId('ITM')).toBe(false);
  });

  it('works as zod schemas', () => {
    expect(ItemRefString.parse('shop/web-bundle@v1')).toEqual({ project: 'shop', name: 'web-bundle', version: 'v1' });
    const bad = ItemRefString.safeParse('shop/Web@v1');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['name']);
    expect(ItemIdOrRef.safeParse('itm_1').success).toBe(true);
    expect(ItemIdOrRef.safeParse('shop/web@v1').success).toBe(true);
    expect(ItemIdOrRef.safeParse('shop web').success).toBe(false);
  });
});

describe('image references (distribution/reference grammar)', () => {
  it.each([
    ['nginx', { domain: 'docker.io', path: 'library/nginx', name: 'nginx' }],
    ['nginx:1.25', { domain: 'docker.io', path: 'library/nginx', tag: '1.25' }],
    ['library/nginx:latest', { domain: 'docker.io', path: 'library/nginx', tag: 'latest' }],
    ['docker.io/nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['index.docker.io/nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['bitnami/redis:7', { domain: 'docker.io', path: 'bitnami/redis', tag: '7' }],
    ['localhost/foo', { domain: 'localhost', path: 'foo' }],
    ['localhost:5000/foo/bar:tag', { domain: 'localhost:5000', path: 'foo/bar', tag: 'tag' }],
    ['test.com:5000', { domain: 'docker.io', path: 'library/test.com', tag: '5000' }],
    ['test:5000/repo', { domain: 'test:5000', path: 'repo' }],
    ['[::1]:5000/repo', { domain: '[::1]:5000', path: 'repo' }],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', { domain: 'sub-dom1.foo.com', path: 'bar/baz/quux', tag: 'some-long-tag' }],
    ['b.gcr.io/test.example.com/my-app:test.example.com', { domain: 'b.gcr.io', path: 'test.example.com/my-app', tag: 'test.example.com' }],
    ['xn--n3h.com/myimage:xn--n3h.com', { domain: 'xn--n3h.com', path: 'myimage' }],
    ['foo_bar.com:8080', { domain: 'docker.io', path: 'library/foo_bar.com', tag: '8080' }],
    ['a__b/c--d/e.f', { domain: 'docker.io', path: 'a__b/c--d/e.f' }],
    ['Example.com/repo', { domain: 'Example.com', path: 'repo' }],
    [`registry.example.com/shop/web@${D}`, { domain: 'registry.example.com', path: 'shop/web', digest: D, repository: 'registry.example.com/shop/web' }],
    [`test:5000/repo:tag@${D}`, { domain: 'test:5000', path: 'repo', tag: 'tag', digest: D }],
    [`nginx@sha512:${'a'.repeat(128)}`, { digest: `sha512:${'a'.repeat(128)}` }],
    ['lowercase:Uppercase', { tag: 'Uppercase' }],
  ])('parses %s', (input, expected) => {
    const r = parseImageRef(input);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok) {
      expect(r.value).toMatchObject(expected);
      expect(r.value.repository).toBe(`${r.value.domain}/${r.value.path}`);
      expect(formatImageRef(r.value)).toBe(input);
    }
  });

  it.each([
    ['', 'empty'],
    [':justtag', 'expected'],
    [`@${D}`, 'expected'],
    ['repo@sha256:ffffffffffffffffffffffffffffffffff', '64 hex'],
    [`validname@invaliddigest:${HEX}`, 'unsupported digest algorithm'],
    [`repo@sha256:${'F'.repeat(64)}`, 'lowercase'],
    ['Uppercase:tag', 'lowercase'],
    ['test:5000/Uppercase/lowercase:tag', 'lowercase'],
    ['aa/asdf$$^/aa', 'expected'],
    ['a/a/a/a/:tag', 'expected'],
    ['repo:-tag', 'expected'],
    [`repo:${'t'.repeat(129)}`, 'expected'],
    [`${Array.from({ length: 129 }, () => 'a').join('/')}:tag`, '255'],
    ['nginx :1.25', 'whitespace'],
    [HEX, 'sha256:<hex>'],
    ['foo//bar', 'expected'],
    ['foo/-bar', 'expected'],
    ['foo_/bar', 'expected'],
    ['[a]/b', 'neither a registry host nor a repository path component'],
    ['a.b__c/d', 'is not a registry host'],
  ])('rejects %j (%s)', (input, why) => {
    const r = parseImageRef(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(why);
  });

  it('answers quickly on hostile input (no catastrophic backtracking)', () => {
    for (const s of ['a'.repeat(1000) + '!', 'a-'.repeat(500) + '!', 'a.'.repeat(500) + '/', 'a__'.repeat(300) + '_', `${'a'.repeat(300)}:${'b'.repeat(300)}`]) {
      expect(parseImageRef(s).ok).toBe(false);
    }
  });

  it('round-trips generated references', () => {
    const comp = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,6}){0,2}$/);
    const host = fc.stringMatching(/^[a-z0-9]{1,8}(?:\.[a-z0-9]{1,8}){1,2}(?::[0-9]{2,5})?$/);
    const tag = fc.stringMatching(/^\w[\w.-]{0,20}$/);
    const hex = fc.stringMatching(/^[a-f0-9]{64}$/);
    fc.assert(
      fc.property(fc.option(host, { nil: undefined }), fc.array(comp, { minLength: 1, maxLength: 3 }), fc.option(tag, { nil: undefined }), fc.option(hex, { nil: undefined }), (h, path, t, x) => {
        const name = [...(h ? [h] : []), ...path].join('/');
        const raw = formatImageRef({ name, ...(t !== undefined ? { tag: t } : {}), ...(x !== undefined ? { digest: `sha256:${x}` } : {}) });
        const r = parseImageRef(raw);
        // A first component with a "." reads as a registry host, and "a.b__c" is not one.
        const bogusHost = !h && path.length > 1 && (path[0] as string).includes('.') && !/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(path[0] as string);
        expect(r.ok, raw).toBe(!bogusHost);
        if (r.ok) {
          expect(r.value.name).toBe(name);
          expect(r.value.tag).toBe(t);
          expect(r.value.digest).toBe(x === undefined ? undefined : `sha256:${x}`);
        }
      }),
    );
  });

  it('the fast scanner and the grammar agree', () => {
    const piece = fc.constantFrom('a', 'b', 'z', '0', '9', 'A', '.', '..', '_', '__', '___', '-', '--', '/', '//', ':', '5000', '@', '[', ']', '::1', 'localhost', 'docker.io', 'index.docker.io', 'x.y', ' ', 'é');
    const digest = fc.constantFrom('', `@sha256:${HEX}`, `@sha256:${'A'.repeat(64)}`, '@sha256:abc', `@sha512:${'a'.repeat(128)}`, `@md5:${'a'.repeat(32)}`);
    const check = (s: string) => {
      const fast = scanImageRef(s);
      const slow = parseImageRefByGrammar(s);
      if (fast) expect(slow, s).toEqual({ ok: true, value: fast });
      // The scanner answers every valid reference except those with a digest other than sha256.
      if (slow.ok && (slow.value.digest === undefined || slow.value.digest.startsWith('sha256:'))) expect(fast, s).toBeDefined();
      expect(parseImageRef(s)).toEqual(slow);
    };
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), fc.option(fc.constantFrom(':', ':v1', ':V1.2-rc_3', ':-x'), { nil: '' }), digest, (ps, tag, d) => check(ps.join('') + tag + d)), { numRuns: 6_000 });
    fc.assert(fc.property(fc.string({ maxLength: 80 }), check), { numRuns: 2_000 });
    // Mostly valid references, some with one character changed.
    const comp = fc.stringMatching(/^[a-z0-9]{1,4}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,4}){0,2}$/);
    const host = fc.stringMatching(/^(?:[a-zA-Z0-9][a-zA-Z0-9-]{0,3}[a-zA-Z0-9]?(?:\.[a-z0-9]{1,4}){0,2}|localhost|\[[0-9a-f:]{1,6}\])(?::[0-9]{1,5})?$/);
    fc.assert(
      fc.property(fc.option(host, { nil: undefined }), fc.array(comp, { minLength: 1, maxLength: 3 }), fc.option(fc.stringMatching(/^\w[\w.-]{0,8}$/), { nil: undefined }), digest, fc.nat(), fc.constantFrom('', 'A', '-', '_', '.', '/', ':', '@', '$'), (h, path, t, d, at, ch) => {
        const raw = [...(h !== undefined ? [h] : []), ...path].join('/') + (t !== undefined ? `:${t}` : '') + d;
        const i = at % (raw.length + 1);
        check(raw);
        check(raw.slice(0, i) + ch + raw.slice(i + (ch === '' ? 1 : 0)));
      }),
      { numRuns: 8_000 },
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseImageRef(s);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});

describe('artifacts as deployed', () => {
  it('recognises images, pinned or not', () => {
    expect(parseArtifact(`registry.example.com/shop/web@${D}`)).toEqual({
      ok: true,
      value: { raw: `registry.example.com/shop/web@${D}`, kind: 'image', key: D, pinned: true, repository: 'registry.example.com/shop/web', name: 'registry.example.com/shop/web' },
    });
    expect(parseArtifact('nginx:1.25')).toEqual({
      ok: true,
      value: { raw: 'nginx:1.25', kind: 'image', pinned: false, repository: 'docker.io/library/nginx', name: 'nginx', tag: '1.25' },
    });
    const both = parseArtifact(`nginx:1.25@${D}`);
    expect(both.ok && both.value).toMatchObject({ kind: 'image', key: D, pinned: true, tag: '1.25' });
  });

  it('recognises storage URIs and bare digests', () => {
    expect(parseArtifact('s3://models/fraud/v3')).toEqual({ ok: true, value: { raw: 's3://models/fraud/v3', kind: 'uri', key: 'uri:s3://models/fraud/v3', pinned: true } });
    expect(artifactKey('gs://bucket/model/')).toBe('uri:gs://bucket/model');
    expect(artifactKey('HTTPS://example.com/m.onnx')).toBe('uri:https://example.com/m.onnx');
    expect(parseArtifact(D)).toEqual({ ok: true, value: { raw: D, kind: 'digest', key: D, pinned: true } });
    expect(normaliseStorageUri('s3://b/p///')).toBe('s3://b/p');
  });

  it('rejects what is neither', () => {
    for (const bad of ['s3:// spaced path', 'sha256:abc', `sha256:${'F'.repeat(64)}`, 'md5:0123456789abcdef0123456789abcdef', 'NGINX', '']) {
      const r = parseArtifact(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('VALIDATION');
    }
    expect(artifactKey('nginx')).toBeUndefined();
  });

  it('derives the digests an Item carries', () => {
    const c1 = `sha256:${'1'.repeat(64)}`;
    const c2 = `sha256:${'2'.repeat(64)}`;
    expect(
      itemDigestKeys({
        images: [`registry.example.com/shop/web@${D}`, `mirror.example.com/shop/web:1@${D}`],
        storage: [{ uri: 's3://models/fraud/v3/', checksum: c1 }, { uri: 'gs://m/x' }],
        checksum: c2,
      }),
    ).toEqual([D, 'uri:s3://models/fraud/v3', c1, 'uri:gs://m/x', c2]);
    expect(itemDigestKeys({ images: [], storage: [] })).toEqual([]);
  });

  it('an item key and the same artifact deployed agree', () => {
    const hex = fc.stringMatching(/^[a-f0-9]{64}$/);
    fc.assert(
      fc.property(hex, fc.constantFrom('registry.example.com/a/b', 'nginx', 'localhost:5000/x'), (h, repo) => {
        const image = `${repo}@sha256:${h}`;
        expect(itemDigestKeys({ images: [image], storage: [] })).toEqual([artifactKey(image)]);
      }),
    );
  });

  it('shortens digests for messages', () => {
    expect(shortenDigests(`web@${D} and ${D}`)).toBe('web@sha256:ffffffffffff… and sha256:ffffffffffff…');
    expect(shortenDigests('sha256:abc')).toBe('sha256:abc');
  });

  it('shortens exactly as the expression does', () => {
    const parts = ['sha256:', 'sha384:', 'sha512:', 'sha1:', 'xsha256:', '_', ' ', '@', 'a'.repeat(12), 'f'.repeat(20), '0123456789abcdef'.repeat(4), 'A', 'é', 'sha'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { maxLength: 12 }), (chunks) => {
        const text = chunks.join('');
        expect(shortenDigests(text)).toBe(text.replace(LONG_DIGEST_RE, '$1:$2…'));
      }),
      { numRuns: 2000 },
    );
  });

  it('recognises a list once and gives the same answer for the same strings', () => {
    const list = [`web@${D}`, 'nginx:1.25', 'NOT AN IMAGE'];
    const first = recogniseArtifacts(list);
    expect(recogniseArtifacts(list)).toBe(first);
    expect(first.map((s) => s.parsed?.key)).toEqual([D, undefined, undefined]);
    list[0] = 's3://models/a';
    expect(recogniseArtifacts(list).map((s) => s.parsed?.key)).toEqual(['uri:s3://models/a', undefined, undefined]);
  });
});

describe('BoundedCache', () => {
  it('holds at most its bound and keeps what is read again', () => {
    const c = new BoundedCache<number>(4);
    for (let i = 0; i < 100; i++) {
      c.set(`k${i}`, i);
      expect(c.size).toBeLessThanOrEqual(4);
    }
    const d = new BoundedCache<number>(4);
    d.set('a', 1);
    d.set('b', 2);
    d.set('c', 3); // a, b become the old generation
    expect(d.get('a')).toBe(1); // read again: back in the young one
    d.set('d', 4); // c, a become the old generation; b, never read again, is dropped
    d.set('e', 5);
    expect(d.get('b')).toBeUndefined();
    expect(d.get('a')).toBe(1);
    expect(d.get('e')).toBe(5);
    expect(d.size).toBeLessThanOrEqual(4);
    d.set('x'.repeat(2000), 9);
    expect(d.get('x'.repeat(2000))).toBeUndefined();
  });
});
