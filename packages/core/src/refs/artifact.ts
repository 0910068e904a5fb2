import { err, ok, type Result } from '../result.js';
import type { Artifacts } from '../schemas/item.js';
import { BoundedCache, sharedCopies } from './bounded-cache.js';
import { digestProblem, parseImageRef } from './image-ref.js';

export const ArtifactKind = { image: 'image', uri: 'uri', digest: 'digest' } as const;
export type ArtifactKind = (typeof ArtifactKind)[keyof typeof ArtifactKind];

/** An artifact as deployed, recognised. */
export interface Artifact {
  /** As written by the deployer. */
  raw: string;
  kind: ArtifactKind;
  /**
   * The matching key, as Item records carry them in `digests`: `sha256:<hex>` for an image
   * pinned by digest or a bare digest, `uri:<uri>` for a storage URI. Absent for an image that
   * is not pinned: nothing can match it.
   */
  key?: string;
  /** Pinned by digest (images), or a storage URI / bare digest (always matched by key). */
  pinned: boolean;
  /** Images: canonical repository, e.g. `docker.io/library/nginx`. */
  repository?: string;
  /** Images: the name as written, without tag and digest (`nginx`). */
  name?: string;
  tag?: string;
}

const URI_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\S+)$/;
const HAS_SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const BARE_DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** `sha256:abc` is, by the grammar, image `sha256` with tag `abc`; nobody means that. */
const DIGEST_LIKE_RE = /^sha(?:256|384|512):[0-9a-fA-F]*$/;

/**
 * The one spelling of a storage URI used for matching: lowercase scheme, no trailing slash
 * (`s3://models/fraud/v3/` and `S3://models/fraud/v3` are the same model).
 */
export function normaliseStorageUri(uri: string): string {
  const m = URI_RE.exec(uri.trim());
  if (!m) return uri;
  const rest = (m[2] as string).replace(/\/+$/, '');
  return `${(m[1] as string).toLowerCase()}://${rest === '' ? (m[2] as string) : rest}`;
}

/** `uri:<normalised uri>`. */
export function uriKey(uri: string): string {
  return `uri:${normaliseStorageUri(uri)}`;
}

/**
 * Recognises an artifact string as deployed: a storage URI (`s3://…`, `gs://…`, `https://…`),
 * a bare digest (`sha256:<hex>`), or an OCI image reference (pinned when it carries a digest).
 */
export function parseArtifact(raw: string): Result<Artifact> {
  return recognise(raw);
}

function recognise(raw: string): Result<Artifact> {
  const input = raw.trim();
  if (input.includes('://') && HAS_SCHEME_RE.test(input)) {
    if (!URI_RE.test(input)) {
      return err('VALIDATION', `"${clip(raw)}" is not a valid storage URI: it contains whitespace or has no path`, [{ path: [], message: 'invalid URI' }]);
    }
    return ok({ raw, kind: 'uri', key: sharedKey(uriKey(input)), pinned: true });
  }
  if (!input.includes('/') && !input.includes('@') && (BARE_DIGEST_RE.test(input) || DIGEST_LIKE_RE.test(input))) {
    const problem = digestProblem(input);
    if (problem) return err('VALIDATION', `"${clip(raw)}" is not a valid digest: ${problem}`, [{ path: [], message: problem }]);
    return ok({ raw, kind: 'digest', key: sharedKey(input), pinned: true });
  }
  const image = parseImageRef(input);
  if (!image.ok) return image;
  const { digest, repository, name, tag } = image.value;
  const artifact: Artifact = { raw, kind: 'image', pinned: digest !== undefined, repository, name };
  if (digest !== undefined) artifact.key = sharedKey(digest);
  if (tag !== undefined) artifact.tag = tag;
  return ok(artifact);
}

/**
 * One shared copy of each matching key (bounded): the recognised artifacts' keys and the sets of
 * approved digests the decision builds hold the same string objects, so a covered digest is found
 * by identity (`Set.has` compares identity first) without reading the characters of a string
 * allocated elsewhere on the heap with its item record. A key evicted from here and seen again
 * gets a new copy: then the comparison reads the characters, as it would without this.
 */
export const sharedKey: (s: string) => string = sharedCopies(65_536, 300);

/** An artifact string as the decision sees it: recognised (`parsed`), or why it is not (`problem`). */
export interface RecognisedArtifact {
  readonly raw: string;
  readonly parsed?: Readonly<Artifact>;
  readonly problem?: string;
  /** `parsed.key` and `parsed.pinned` (false when not recognised), at hand for the hot path. */
  readonly key?: string;
  readonly pinned: boolean;
}

/**
 * Distinct artifact strings remembered by {@link recogniseArtifact}: a cluster deploys the same
 * few thousand references again and again. The young half (16k) holds the working set; at
 * ~0.3 KB an entry, at most ~10 MB.
 */
export const RECOGNISED_CACHE_SIZE = 32_768;
const recognised = new BoundedCache<RecognisedArtifact>(RECOGNISED_CACHE_SIZE);

/**
 * {@link parseArtifact} for the decision's hot path: the same answer, remembered per string
 * (bounded), so a reference deployed again is not parsed again. The answer is shared: read it,
 * never change it (typed readonly; not frozen, which costs more than the parse).
 */
export function recogniseArtifact(raw: string): RecognisedArtifact {
  let r = recognised.get(raw);
  if (r === undefined) {
    const p = recognise(raw);
    // One object shape for both answers.
    r = p.ok
      ? { raw, parsed: p.value, problem: undefined, key: p.value.key, pinned: p.value.pinned }
      : { raw, parsed: undefined, problem: p.error.issues?.[0]?.message ?? p.error.message, key: undefined, pinned: false };
    recognised.set(raw, r);
  }
  return r;
}

let lastRaws: readonly string[] | undefined;
let lastSeen: readonly RecognisedArtifact[] = [];

/**
 * {@link recogniseArtifact} for each string of a request's artifact list. The match and the
 * decision read the same list one after the other, so the answer for the last list is kept and
 * given again when the same strings come in the same array (checked element by element).
 */
export function recogniseArtifacts(raws: readonly string[]): readonly RecognisedArtifact[] {
  if (raws === lastRaws && lastSeen.length === raws.length) {
    let same = true;
    for (let i = 0; i < raws.length; i++) {
      if ((lastSeen[i] as RecognisedArtifact).raw !== raws[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastSeen;
  }
  const out = new Array<RecognisedArtifact>(raws.length);
  for (let i = 0; i < raws.length; i++) out[i] = recogniseArtifact(raws[i] as string);
  lastRaws = raws;
  lastSeen = out;
  return lastSeen;
}

/** The matching key of an artifact string, or `undefined` (unpinned image, invalid input). */
export function artifactKey(raw: string): string | undefined {
  return recogniseArtifact(raw).key;
}

/**
 * The `digests` an Item record carries, derived from its artifacts: `sha256:<hex>` for each image
 * and each checksum, `uri:<uri>` for each storage URI. Deduplicated, in declaration order.
 */
export function itemDigestKeys(artifacts: Artifacts): string[] {
  const keys = new Set<string>();
  for (const image of artifacts.images) {
    const key = artifactKey(image);
    if (key !== undefined) keys.add(key);
  }
  for (const s of artifacts.storage) {
    keys.add(uriKey(s.uri));
    if (s.checksum !== undefined) keys.add(s.checksum);
  }
  if (artifacts.checksum !== undefined) keys.add(artifacts.checksum);
  return [...keys];
}

/** The expression {@link shortenDigests} implements (kept for the tests that compare both). */
export const LONG_DIGEST_RE = /\b(sha256|sha384|sha512):([a-f0-9]{12})[a-f0-9]{20,}/g;

const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isLowerHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);

/**
 * Shortens every digest in a text to its first 12 hex characters, for messages: the same as
 * `text.replace(LONG_DIGEST_RE, '$1:$2…')`, by one scan without a regular expression (it runs
 * for each artifact a reason names).
 */
export function shortenDigests(text: string): string {
  let i = text.indexOf('sha');
  if (i < 0) return text;
  let out = '';
  let last = 0;
  while (i >= 0) {
    const alg = text.startsWith('256:', i + 3) || text.startsWith('384:', i + 3) || text.startsWith('512:', i + 3);
    if (alg && (i === 0 || !isWordChar(text.charCodeAt(i - 1)))) {
      let end = i + 7;
      while (end < text.length && isLowerHex(text.charCodeAt(end))) end++;
      if (end - (i + 7) >= 32) {
        out += `${text.slice(last, i + 19)}…`;
        last = end;
        i = text.indexOf('sha', end);
        continue;
      }
    }
    i = text.indexOf('sha', i + 1);
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * {@link shortenDigests} of a recognised artifact's string, without scanning it when the answer
 * is known: an image (or bare digest) whose key is a valid sha256 digest (64 lowercase hex) at
 * the very end, preceded by `@` (or nothing), and with no other `sha` before it, is shortened
 * there and only there.
 */
export function shortenArtifact(a: RecognisedArtifact): string {
  const raw = a.raw;
  const key = a.parsed?.key;
  if (key !== undefined && key.length === 71 && a.parsed?.kind !== 'uri') {
    const at = raw.length - 71;
    if (at >= 0 && raw.indexOf('sha') === at && (at === 0 || raw.charCodeAt(at - 1) === 64) && raw.endsWith(key) && key.startsWith('sha256:')) {
      return `${raw.slice(0, at + 19)}…`;
    }
  }
  return shortenDigests(raw);
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
