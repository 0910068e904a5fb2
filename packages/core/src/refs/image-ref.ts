import { err, ok, type Result } from '../result.js';

/*
 * OCI image references, after the grammar of distribution/reference (the one Docker, containerd
 * and the kubelet use):
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain "/"] path-component ["/" path-component]*
 *   domain           := host [":" port-number]
 *   host             := domain-name | "[" IPv6address "]"
 *   domain-name      := domain-component ["." domain-component]*
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" hex   (sha256: 64, sha384: 96, sha512: 128 lowercase hex)
 *
 * and its "familiar" normalisation: a first component without ".", ":" or uppercase that is not
 * "localhost" is not a registry, so the registry is docker.io; a single-component docker.io
 * name lives under library/ (`nginx` → `docker.io/library/nginx`).
 *
 * Written here rather than taken from npm: the one port on npm is CommonJS, throws, and has not
 * been released for two years; the grammar is a handful of expressions.
 */

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE_RE = new RegExp(`^((?:(${DOMAIN})/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** `sha256:` + 64 lowercase hex from `at` to the end of `s` (a loop: no substring, no regex). */
function isSha256At(s: string, at: number): boolean {
  if (s.length - at !== 71 || !s.startsWith('sha256:', at)) return false;
  for (let i = at + 7; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
function isSha256(d: string): boolean {
  return isSha256At(d, 0);
}
const UPPER_RE = /[A-Z]/;

const NAME_MAX_LENGTH = 255;
const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPOSITORY_PREFIX = 'library/';

/** Hex lengths of the digest algorithms registries accept (go-digest). */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageReference {
  /** The name as written, without tag and digest (`nginx`, `registry.example.com:5000/shop/web`). */
  name: string;
  /** Registry host and optional port, defaulted: `docker.io`. */
  domain: string;
  /** Path in the registry, defaulted: `library/nginx`. */
  path: string;
  /** Canonical repository: `docker.io/library/nginx`. */
  repository: string;
  tag?: string;
  /** `algorithm:hex`, lowercase algorithm. */
  digest?: string;
}

function invalid(input: string, why: string): Result<never> {
  return err('VALIDATION', `"${clip(input)}" is not a valid image reference: ${why}`, [{ path: [], message: why }]);
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Validates `algorithm:hex` as registries do; returns the reason it is invalid, if it is. */
export function digestProblem(digest: string): string | undefined {
  if (isSha256(digest)) return undefined;
  if (!DIGEST_RE.test(digest)) return 'a digest is algorithm:hex, e.g. sha256:<64 hex>';
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) return `unsupported digest algorithm "${algorithm}" (use sha256)`;
  if (hex.length !== expected) return `a ${algorithm} digest has ${expected} hex characters, not ${hex.length}`;
  if (UPPER_RE.test(hex)) return 'digest hex must be lowercase';
  return undefined;
}

/** Splits a familiar name into registry and path, as `docker pull` does. */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || UPPER_RE.test(first));
  let domain = isDomain ? first : DEFAULT_DOMAIN;
  let path = isDomain ? name.slice(slash + 1) : name;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPOSITORY_PREFIX + path;
  return { domain, path };
}

/**
 * Parses an image reference as a container runtime would (`nginx:1.25`,
 * `registry.example.com:5000/shop/web:1.2@sha256:…`), defaulting the registry to docker.io.
 */
export function parseImageRef(input: string): Result<ImageReference> {
  const fast = scanImageRef(input);
  return fast ? ok(fast) : parseImageRefByGrammar(input);
}

const isLowerAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
const isUpper = (c: number) => c >= 65 && c <= 90;
const isAlnum = (c: number) => isLowerAlnum(c) || isUpper(c);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWord = (c: number) => isAlnum(c) || c === 95;
const isHexOrColon = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 58;
const DOT = 46;
const DASH = 45;
const UNDERSCORE = 95;
const COLON = 58;

/** path-component over s[start, end): alpha-numeric [separator alpha-numeric]*. */
function pathComponentOk(s: string, start: number, end: number): boolean {
  let i = start;
  for (;;) {
    if (i >= end || !isLowerAlnum(s.charCodeAt(i))) return false;
    while (i < end && isLowerAlnum(s.charCodeAt(i))) i++;
    if (i === end) return true;
    const c = s.charCodeAt(i);
    if (c === DOT) i++;
    else if (c === UNDERSCORE) i += s.charCodeAt(i + 1) === UNDERSCORE && i + 1 < end ? 2 : 1;
    else if (c === DASH) while (i < end && s.charCodeAt(i) === DASH) i++;
    else return false;
  }
}

/** domain over s[start, end): host [":" port]. */
function domainOk(s: string, start: number, end: number): boolean {
  let i = start;
  if (s.charCodeAt(i) === 91) {
    const from = ++i;
    while (i < end && isHexOrColon(s.charCodeAt(i))) i++;
    if (i === from || i >= end || s.charCodeAt(i) !== 93) return false;
    i++;
  } else {
    for (;;) {
      if (i >= end || !isAlnum(s.charCodeAt(i))) return false;
      let last = s.charCodeAt(i++);
      while (i < end && (isAlnum(s.charCodeAt(i)) || s.charCodeAt(i) === DASH)) last = s.charCodeAt(i++);
      if (last === DASH) return false;
      if (i < end && s.charCodeAt(i) === DOT) {
        i++;
        continue;
      }
      break;
    }
  }
  if (i === end) return true;
  if (s.charCodeAt(i) !== COLON) return false;
  const from = ++i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  return i > from && i === end;
}

function tagOk(s: string, start: number, end: number): boolean {
  if (end - start < 1 || end - start > 128 || !isWord(s.charCodeAt(start))) return false;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isWord(c) && c !== DOT && c !== DASH) return false;
  }
  return true;
}

/** The familiar rule: a first component with ".", ":" or uppercase, or "localhost", is a registry. */
function looksLikeRegistry(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === DOT || c === COLON || isUpper(c)) return true;
  }
  return end === 9 && s.startsWith('localhost');
}

/**
 * A single pass over the reference without regular expressions, for the hot path (every
 * decision parses every image). Answers only when the reference is valid and its digest, if any,
 * is sha256; `undefined` hands the input to {@link parseImageRefByGrammar}, which also explains
 * what is wrong. The tests check both agree.
 */
export function scanImageRef(input: string): ImageReference | undefined {
  const n = input.length;
  if (n === 0 || (n === 64 && IDENTIFIER_RE.test(input))) return undefined;
  const at = input.indexOf('@');
  let nameEnd = at < 0 ? n : at;
  let digest: string | undefined;
  if (at >= 0) {
    if (!isSha256At(input, at + 1)) return undefined;
    digest = input.slice(at + 1);
  }
  const lastSlash = input.lastIndexOf('/', nameEnd - 1);
  const colon = input.indexOf(':', lastSlash + 1);
  let tag: string | undefined;
  if (colon >= 0 && colon < nameEnd) {
    if (!tagOk(input, colon + 1, nameEnd)) return undefined;
    tag = input.slice(colon + 1, nameEnd);
    nameEnd = colon;
  }
  if (nameEnd > NAME_MAX_LENGTH) return undefined;
  const firstSlash = input.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let pathStart = 0;
  if (firstSlash >= 0 && firstSlash < nameEnd && looksLikeRegistry(input, firstSlash)) {
    if (!domainOk(input, 0, firstSlash)) return undefined;
    domain = input.slice(0, firstSlash);
    pathStart = firstSlash + 1;
  }
  for (let from = pathStart; ; ) {
    const slash = input.indexOf('/', from);
    const end = slash < 0 || slash >= nameEnd ? nameEnd : slash;
    if (!pathComponentOk(input, from, end)) return undefined;
    if (end === nameEnd) break;
    from = end + 1;
  }
  let path = input.slice(pathStart, nameEnd);
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPOSITORY_PREFIX + path;
  const ref: ImageReference = { name: input.slice(0, nameEnd), domain, path, repository: `${domain}/${path}` };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The reference parser written as the grammar's regular expressions: slower, explains failures. */
export function parseImageRefByGrammar(input: string): Result<ImageReference> {
  if (input.length === 0) return invalid(input, 'it is empty');
  if (IDENTIFIER_RE.test(input)) return invalid(input, 'a bare 64-hex string is an image id; write a digest as sha256:<hex>');
  const m = REFERENCE_RE.exec(input);
  if (!m) {
    if (REFERENCE_RE.test(input.toLowerCase())) return invalid(input, 'the repository name must be lowercase');
    if (/\s/.test(input)) return invalid(input, 'it contains whitespace');
    return invalid(input, 'expected [registry[:port]/]path[:tag][@sha256:<digest>]');
  }
  const name = m[1] as string;
  const grammarDomain = m[2];
  const tag = m[3];
  const digest = m[4];
  if (name.length > NAME_MAX_LENGTH) return invalid(input, `the name is longer than ${NAME_MAX_LENGTH} characters`);
  const { domain, path } = splitDomain(name);
  // The grammar may have read the first component as a path component ("a.b__c/d"), while the
  // familiar rules make it the registry: then it must be a valid host. (The path is lowercase
  // by the grammar.)
  if (domain !== DEFAULT_DOMAIN && domain !== grammarDomain && !DOMAIN_RE.test(domain)) return invalid(input, `"${domain}" is not a registry host`);
  // And the other way round: read as a host by the grammar ("[a]/b"), a path component by the rules.
  if (grammarDomain !== undefined && !looksLikeRegistry(grammarDomain, grammarDomain.length) && !PATH_COMPONENT_RE.test(grammarDomain)) {
    return invalid(input, `"${grammarDomain}" is neither a registry host nor a repository path component`);
  }
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem) return invalid(input, problem);
  }
  const ref: ImageReference = { name, domain, path, repository: `${domain}/${path}` };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ok(ref);
}

/** Formats a reference back: `name[:tag][@digest]` with the name as written. */
export function formatImageRef(ref: Pick<ImageReference, 'name' | 'tag' | 'digest'>): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
