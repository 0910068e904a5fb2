/*
 * The sentences of a decision. Every enforcement point shows them verbatim, so each says what is
 * wrong and what to do, in at most MAX_REASON characters, with digests shortened.
 */
import type { Infrastructure, UnmatchedAction } from '../schemas/infrastructure.js';
import type { Outcome } from './schema.js';
import type { SignoffStatus } from '../signoff/schema.js';
import { shortenArtifact, shortenDigests, type RecognisedArtifact } from '../refs/artifact.js';

export const MAX_REASON = 200;
/** Artifact sentences in one decision; the rest are counted in one more sentence. */
const MAX_ARTIFACT_REASONS = 5;
const CONFIRM_HINT = 'confirm with a reason (confirm-unapproved)';

/** The first candidate that fits, else the last one cut to fit. */
function fit(...candidates: string[]): string {
  for (const c of candidates) if (c.length <= MAX_REASON) return c;
  return cut(candidates[candidates.length - 1] ?? '');
}

/*
 * The hot path's forms of `fit(a, b)`: the same answer, with the shorter candidate built only
 * when the first one does not fit (most sentences fit at once).
 */
function fits(c: string): boolean {
  return c.length <= MAX_REASON;
}
function cut(last: string): string {
  return fits(last) ? last : `${last.slice(0, MAX_REASON - 1)}…`;
}

/** An artifact for a sentence: digests shortened, long names cut in the middle. */
export function show(raw: string, max = 90): string {
  return middle(shortenDigests(raw), max);
}

/** {@link show} for a recognised artifact (its digest is known, so it is not scanned for). */
function showArtifact(a: RecognisedArtifact, max = 90): string {
  return middle(shortenArtifact(a), max);
}

function middle(s: string, max: number): string {
  if (s.length <= max) return s;
  const half = Math.floor((max - 1) / 2);
  return `${s.slice(0, half)}…${s.slice(s.length - half)}`;
}

function quote(s: string, max = 80): string {
  return `"${s.length > max ? `${s.slice(0, max - 1)}…` : s}"`;
}

export function nothingToRun(): string {
  return 'Nothing to run: the request names no artifact and no item, so there is nothing to approve.';
}

export function approved(ref: string, artifacts: number): string {
  if (artifacts === 0) return cut(`${ref} is approved.`);
  return cut(`${ref} is approved and its approval covers ${artifacts === 1 ? 'the deployed artifact' : `all ${artifacts} deployed artifacts`}.`);
}

export function unapprovedPolicy(infra: Infrastructure, outcome: Outcome): string {
  const id = infra.id;
  switch (infra.policy) {
    case 'prevent':
      return cut(`${id} requires approval (policy prevent).`);
    case 'warn':
      return outcome === 'deny'
        ? fit(`${id} requires a confirmation to deploy unapproved artifacts (policy warn): ${CONFIRM_HINT}, or get them approved.`)
        : fit(`${id} admits unapproved artifacts with a warning (policy warn).`);
    case 'always':
      return fit(`${id} admits unapproved artifacts (policy always); the deployment is recorded.`);
  }
}

export function unmatchedPolicy(infra: Infrastructure, action: UnmatchedAction, outcome: Outcome, defaulted: boolean): string {
  const id = infra.id;
  const setting = `unmatched: ${action}${defaulted ? `, the default under policy ${infra.policy}` : ''}`;
  switch (action) {
    case 'deny':
      return fit(
        `${id} refuses artifacts that match no governed item (${setting}): register them as a bundle or model version and get it approved.`,
        `${id} refuses artifacts that match no governed item (${setting}).`,
      );
    case 'warn':
      return outcome === 'deny'
        ? fit(
            `${id} requires a confirmation for artifacts that match no governed item (${setting}): ${CONFIRM_HINT}, or register and approve them.`,
            `${id} requires a confirmation for artifacts that match no governed item (unmatched: ${action}): ${CONFIRM_HINT}.`,
          )
        : fit(`${id} admits artifacts that match no governed item with a warning (${setting}).`);
    case 'allow':
      return fit(`${id} admits artifacts that match no governed item (${setting}); the deployment is recorded.`);
  }
}

function who(approvers: readonly string[] | undefined): string | undefined {
  if (!approvers || approvers.length === 0) return undefined;
  const first = approvers[0] as string;
  const joined =
    approvers.length === 1 ? first : approvers.length === 2 ? `${first} or ${approvers[1] as string}` : `${first} or ${approvers[1] as string} or another final approver`;
  let described = false;
  for (const a of approvers) if (a.includes('(')) described = true;
  return described ? joined : `${joined} (final approver${approvers.length > 1 ? 's' : ''})`;
}

export function notApproved(ref: string, status: SignoffStatus, approvers: readonly string[] | undefined, reviewUrl: string | undefined): string {
  const head = `${ref} is not approved: its sign-off is ${status}.`;
  const where = reviewUrl !== undefined ? ` at ${reviewUrl}` : ' in signoff';
  // The candidates in order, each built only when the one before does not fit.
  const person = who(approvers);
  if (person !== undefined) {
    const ask = `${head} Ask ${person} to review it${where}.`;
    if (fits(ask)) return ask;
    const askOne = `${head} Ask ${who(approvers?.slice(0, 1))} to review it${where}.`;
    if (fits(askOne)) return askOne;
  }
  const get = `${head} Get it reviewed${where}.`;
  if (fits(get)) return get;
  return cut(`${head} Get it reviewed in signoff.`);
}

export function unknownRef(ref: string, hasArtifacts: boolean): string {
  return fit(
    `${quote(ref)} names no governed item: check the reference (project/name@version or item id)${hasArtifacts ? '; no governed item matches the artifacts either' : ''}.`,
    `${quote(ref, 40)} names no governed item: check the reference (project/name@version or item id).`,
  );
}

export function unknownRefMatchedByDigest(unknown: string, ref: string): string {
  return fit(`${quote(unknown)} names no governed item; ${ref} was matched by its digests instead.`);
}

export function confirmedWith(reason: string): string {
  return fit(`The deployer confirmed the unapproved deployment: ${quote(reason, 120)}.`);
}

export type ArtifactMode =
  | { kind: 'unmatched' }
  | { kind: 'approved'; ref: string; covered: ReadonlySet<string> }
  | { kind: 'unapproved'; ref: string; itemDigests: ReadonlySet<string> };

/**
 * One sentence per artifact that stands in the way, most actionable first, deduplicated. Appends
 * to `out` (the decision's reasons) and returns it.
 */
export function artifactProblems(seen: readonly RecognisedArtifact[], mode: ArtifactMode, out: string[] = []): string[] {
  let lines = 0;
  let more = 0;
  // Deduplicated by string: a linear look back for the usual handful, a set for long lists.
  const done = seen.length > 8 ? new Set<string>() : undefined;
  for (let i = 0; i < seen.length; i++) {
    const a = seen[i] as RecognisedArtifact;
    if (done !== undefined) {
      if (done.has(a.raw)) continue;
      done.add(a.raw);
    } else if (seenBefore(seen, i)) continue;
    const line = artifactProblem(a, mode);
    if (line === undefined) continue;
    if (lines < MAX_ARTIFACT_REASONS) {
      out.push(line);
      lines++;
    } else more++;
  }
  if (more > 0) out.push(`${more} more artifact${more === 1 ? ' is' : 's are'} not covered either.`);
  return out;
}

function seenBefore(seen: readonly RecognisedArtifact[], i: number): boolean {
  const raw = (seen[i] as RecognisedArtifact).raw;
  for (let j = 0; j < i; j++) if ((seen[j] as RecognisedArtifact).raw === raw) return true;
  return false;
}

function artifactProblem(a: RecognisedArtifact, mode: ArtifactMode): string | undefined {
  const { raw, parsed } = a;
  if (!parsed) {
    return fit(`${quote(raw)} is neither an image reference nor a storage URI (${a.problem ?? 'invalid'}), so it cannot match an approval.`, `${quote(raw, 60)} is neither an image reference nor a storage URI, so it cannot match an approval.`);
  }
  if (parsed.key === undefined) {
    const name = parsed.name ?? raw;
    return fit(
      `${show(raw, 60)} is not pinned by digest: pin it as ${show(name, 60)}@sha256:<digest> so it can match an approval.`,
      `${show(raw, 60)} is not pinned by digest: pin it as <image>@sha256:<digest> so it can match an approval.`,
    );
  }
  switch (mode.kind) {
    case 'unmatched':
      return cut(`${showArtifact(a)} matches no governed item.`);
    case 'approved': {
      if (mode.covered.has(parsed.key)) return undefined;
      const long = `${showArtifact(a)} is not among the digests approved for ${mode.ref}; the approval covers exactly the digests it was given.`;
      return fits(long) ? long : cut(`${showArtifact(a, 60)} is not among the digests approved for ${mode.ref}.`);
    }
    case 'unapproved': {
      if (mode.itemDigests.has(parsed.key)) return undefined;
      const long = `${showArtifact(a)} is not one of the artifacts of ${mode.ref}, so its approval would not cover it.`;
      return fits(long) ? long : cut(`${showArtifact(a, 60)} is not one of the artifacts of ${mode.ref}.`);
    }
  }
}
