/*
 * The sentences of a decision. Every enforcement point shows them verbatim, so each says what is
 * wrong and what to do, in at most MAX_REASON characters, with digests shortened.
 */
import type { Infrastructure, UnmatchedAction } from '../schemas/infrastructure.js';
import type { Outcome } from './schema.js';
import type { SignoffStatus } from '../signoff/schema.js';
import { shortenDigests, type Artifact } from '../refs/artifact.js';

export const MAX_REASON = 200;
/** Artifact sentences in one decision; the rest are counted in one more sentence. */
const MAX_ARTIFACT_REASONS = 5;
const CONFIRM_HINT = 'confirm with a reason (confirm-unapproved)';

/** The first candidate that fits, else the last one cut to fit. */
function fit(...candidates: string[]): string {
  for (const c of candidates) if (c.length <= MAX_REASON) return c;
  const last = candidates[candidates.length - 1] ?? '';
  return `${last.slice(0, MAX_REASON - 1)}…`;
}

/** An artifact for a sentence: digests shortened, long names cut in the middle. */
export function show(raw: string, max = 90): string {
  const s = shortenDigests(raw);
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
  if (artifacts === 0) return fit(`${ref} is approved.`);
  return fit(`${ref} is approved and its approval covers ${artifacts === 1 ? 'the deployed artifact' : `all ${artifacts} deployed artifacts`}.`);
}

export function unapprovedPolicy(infra: Infrastructure, outcome: Outcome): string {
  const id = infra.id;
  switch (infra.policy) {
    case 'prevent':
      return fit(`${id} requires approval (policy prevent).`);
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
  const names = approvers.length > 2 ? [...approvers.slice(0, 2), 'another final approver'] : [...approvers];
  const joined = names.join(' or ');
  return approvers.some((a) => a.includes('(')) ? joined : `${joined} (final approver${approvers.length > 1 ? 's' : ''})`;
}

export function notApproved(ref: string, status: SignoffStatus, approvers: readonly string[] | undefined, reviewUrl: string | undefined): string {
  const head = `${ref} is not approved: its sign-off is ${status}.`;
  const person = who(approvers);
  const where = reviewUrl !== undefined ? ` at ${reviewUrl}` : ' in signoff';
  const candidates = [
    ...(person ? [`${head} Ask ${person} to review it${where}.`, `${head} Ask ${who(approvers?.slice(0, 1))} to review it${where}.`] : []),
    `${head} Get it reviewed${where}.`,
    `${head} Get it reviewed in signoff.`,
  ];
  return fit(...candidates);
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

/** One sentence per artifact that stands in the way, most actionable first, deduplicated. */
export function artifactProblems(seen: readonly { raw: string; parsed?: Artifact; problem?: string }[], mode: ArtifactMode): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  let more = 0;
  for (const { raw, parsed, problem } of seen) {
    if (done.has(raw)) continue;
    done.add(raw);
    const line = artifactProblem(raw, parsed, problem, mode);
    if (line === undefined) continue;
    if (out.length < MAX_ARTIFACT_REASONS) out.push(line);
    else more++;
  }
  if (more > 0) out.push(`${more} more artifact${more === 1 ? ' is' : 's are'} not covered either.`);
  return out;
}

function artifactProblem(raw: string, parsed: Artifact | undefined, problem: string | undefined, mode: ArtifactMode): string | undefined {
  if (!parsed) {
    return fit(`${quote(raw)} is neither an image reference nor a storage URI (${problem ?? 'invalid'}), so it cannot match an approval.`, `${quote(raw, 60)} is neither an image reference nor a storage URI, so it cannot match an approval.`);
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
      return fit(`${show(raw)} matches no governed item.`);
    case 'approved':
      if (mode.covered.has(parsed.key)) return undefined;
      return fit(
        `${show(raw)} is not among the digests approved for ${mode.ref}; the approval covers exactly the digests it was given.`,
        `${show(raw, 60)} is not among the digests approved for ${mode.ref}.`,
      );
    case 'unapproved':
      if (mode.itemDigests.has(parsed.key)) return undefined;
      return fit(`${show(raw)} is not one of the artifacts of ${mode.ref}, so its approval would not cover it.`, `${show(raw, 60)} is not one of the artifacts of ${mode.ref}.`);
  }
}
