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

const REFERENCE_RE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

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
  if (!DIGEST_RE.test(digest)) return 'a digest is algorithm:hex, e.g. sha256:<64 hex>';
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) return `unsupported digest algorithm "${algorithm}" (use sha256)`;
  if (hex.length !== expected) return `a ${algorithm} digest has ${expected} hex characters, not ${hex.length}`;
  if (hex !== hex.toLowerCase()) return 'digest hex must be lowercase';
  return undefined;
}

/** Splits a familiar name into registry and path, as `docker pull` does. */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
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
  if (input.length === 0) return invalid(input, 'it is empty');
  if (IDENTIFIER_RE.test(input)) return invalid(input, 'a bare 64-hex string is an image id; write a digest as sha256:<hex>');
  const m = REFERENCE_RE.exec(input);
  if (!m) {
    if (REFERENCE_RE.test(input.toLowerCase())) return invalid(input, 'the repository name must be lowercase');
    if (/\s/.test(input)) return invalid(input, 'it contains whitespace');
    return invalid(input, 'expected [registry[:port]/]path[:tag][@sha256:<digest>]');
  }
  const name = m[1] as string;
  const tag = m[2];
  const digest = m[3];
  if (name.length > NAME_MAX_LENGTH) return invalid(input, `the name is longer than ${NAME_MAX_LENGTH} characters`);
  const { domain, path } = splitDomain(name);
  // A first component that is not a registry must itself be a valid path component.
  if (!DOMAIN_RE.test(domain)) return invalid(input, `"${domain}" is not a registry host`);
  if (path !== path.toLowerCase()) return invalid(input, 'the repository name must be lowercase');
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem) return invalid(input, problem);
  }
  return ok({
    name,
    domain,
    path,
    repository: `${domain}/${path}`,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  });
}

/** Formats a reference back: `name[:tag][@digest]` with the name as written. */
export function formatImageRef(ref: Pick<ImageReference, 'name' | 'tag' | 'digest'>): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
