import type { Decision, Policy } from '@signoff/core';
import type { AdmissionResponse } from './envelope.js';
import { CONFIRM_ANNOTATION, type GatePlan, type ImageChange, type Workload } from './extract.js';

/** The gate's answer before it is put on the wire. */
export interface Verdict {
  allowed: boolean;
  /** Shown by kubectl after "denied the request:"; set when `allowed` is false. */
  message?: string;
  warnings: string[];
  audit: Record<string, string>;
}

export const WARNING_MAX = 120;
export const WARNINGS_TOTAL_MAX = 4096;
const MESSAGE_MAX = 8192;

/** Put a verdict on the wire as an admission.k8s.io/v1 AdmissionReview answering `uid`. */
export function toAdmissionResponse(uid: string, verdict: Verdict): AdmissionResponse {
  const warnings = fitWarnings(verdict.warnings);
  const audit = auditAnnotations(verdict.audit);
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: verdict.allowed,
      ...(verdict.allowed
        ? {}
        : { status: { code: 403, reason: 'Forbidden', message: clip(clean(verdict.message ?? 'denied by the signoff gate'), MESSAGE_MAX) } }),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(Object.keys(audit).length > 0 ? { auditAnnotations: audit } : {}),
    },
  };
}

const AUDIT_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function auditAnnotations(input: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    if (k.length > 63 || !AUDIT_KEY.test(k)) continue;
    out[k] = clip(String(v), 1024);
  }
  return out;
}

// Control characters and runs of white space become one space. Most texts (core's reasons) have
// neither: one test instead of two replacing passes on the hot path.
// eslint-disable-next-line no-control-regex
const UNCLEAN = /[\u0000-\u001f\u007f]|[^\S ]| {2}/;
// eslint-disable-next-line no-control-regex
const UNCLEAN_RUN = /[\s\u0000-\u001f\u007f]+/g;
const clean = (s: string): string => (UNCLEAN.test(s) ? s.replace(UNCLEAN_RUN, ' ') : s).trim();
const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

const WARNING_PREFIX = /^(\s*warning\s*:\s*)+/i;

/** Split a sentence into pieces of at most `max` characters, at spaces when possible. */
export function splitWarning(text: string, max = WARNING_MAX): string[] {
  // kubectl prints "Warning: " before each line itself; a line of ours must not start with it.
  const unprefix = (s: string): string => s.replace(WARNING_PREFIX, '');
  let rest = unprefix(clean(text));
  const out: string[] = [];
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    const piece = rest.slice(0, cut).trimEnd();
    if (piece) out.push(piece);
    rest = unprefix(rest.slice(cut).trimStart());
  }
  if (rest) out.push(rest);
  return out;
}


/** Warnings as the API server accepts them: each ≤ 120 characters, 4096 in all, no "Warning:" prefix. */
export function fitWarnings(warnings: readonly string[]): string[] {
  const pieces = warnings.flatMap((w) => splitWarning(w));
  const out: string[] = [];
  let total = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    const more = `… and ${pieces.length - i} more warning line(s)`;
    if (total + p.length + more.length > WARNINGS_TOTAL_MAX && i < pieces.length - 1) {
      out.push(more);
      break;
    }
    if (total + p.length > WARNINGS_TOTAL_MAX) break;
    out.push(p);
    total += p.length;
  }
  return out;
}

const describeChange = (c: ImageChange): string =>
  c.from === undefined ? `${c.kind} "${c.container}" is new and runs ${c.to}` : `${c.kind} "${c.container}" changed from ${c.from} to ${c.to}`;

const what = (w: Workload): string => `${w.kind} ${w.namespace}/${w.name}`;

function decisionAudit(decision: Decision, workload: Workload): Record<string, string> {
  return {
    decision: decision.outcome,
    item: decision.item?.ref ?? workload.item ?? 'none',
    policy: decision.policy,
    'signoff-status': decision.signoffStatus,
    infrastructure: decision.infrastructureId,
    ...(decision.confirmed && workload.confirmation ? { confirmation: workload.confirmation } : {}),
    ...(workload.dryRun ? { 'dry-run': 'true' } : {}),
  };
}

/** The verdict for a decision of core's `decide`, with its reasons verbatim. */
export function verdictForDecision(workload: Workload, decision: Decision): Verdict {
  const audit = decisionAudit(decision, workload);
  const reasons = decision.reasons.map(clean).filter(Boolean);
  const changes = workload.changed.map(describeChange);
  const link =
    decision.reviewUrl && !reasons.some((r) => r.includes(decision.reviewUrl!)) ? `Review and approve it at ${decision.reviewUrl}` : undefined;
  if (decision.outcome === 'deny') {
    const parts = [
      `signoff: ${what(workload)} may not be deployed to infrastructure "${decision.infrastructureId}" (policy ${decision.policy}${
        decision.item
          ? `, ${decision.item.ref} is ${decision.signoffStatus}${decision.signoffStatus === 'Approved' ? `, but not for everything this ${workload.kind} runs` : ''}`
          : ''
      }).`,
      ...reasons.map((r) => (/[.!?]$/.test(r) ? r : `${r}.`)),
      ...(changes.length > 0 ? [`On this update: ${changes.join('; ')}.`] : []),
      ...(link ? [`${link}.`] : []),
      ...(decision.policy === 'warn' && !decision.confirmed && reasons.some((r) => /confirm/i.test(r))
        ? [`To deploy it anyway, annotate the ${workload.kind} with ${CONFIRM_ANNOTATION}: "<reason>" (the reason is audited).`]
        : []),
    ];
    return { allowed: false, message: parts.join(' '), warnings: [], audit };
  }
  const warnings: string[] = [];
  if (decision.outcome === 'warn') {
    warnings.push(`signoff: ${what(workload)} is not approved for "${decision.infrastructureId}" (policy ${decision.policy})`);
    warnings.push(...reasons);
    if (changes.length > 0) warnings.push(`On this update: ${changes.join('; ')}`);
    if (link) warnings.push(link);
  }
  if (decision.confirmed && workload.confirmation) warnings.push(`signoff: deployment confirmed without approval: ${workload.confirmation}`);
  return { allowed: true, warnings, audit };
}

export function verdictForPlan(plan: Exclude<GatePlan, { action: 'decide' }>): Verdict {
  if (plan.action === 'admit') return { allowed: true, warnings: [], audit: { decision: 'allow', reason: plan.why } };
  const change = plan.to === undefined ? 'remove' : `change it to "${plan.to}"`;
  return {
    allowed: false,
    message:
      `signoff: namespace ${plan.namespace} is governed by infrastructure "${plan.from}" (label signoff.dev/infrastructure); ` +
      `${plan.username} may not ${change === 'remove' ? 'remove that label' : change}. Only members of the signoff admin group may change it.`,
    warnings: [],
    audit: { decision: 'deny', item: 'none', policy: 'namespace-guard', 'signoff-status': 'Unmatched', infrastructure: plan.from },
  };
}

/** A workload in a namespace that no infrastructure governs. */
export function verdictForUngoverned(workload: Workload): Verdict {
  return { allowed: true, warnings: [], audit: { decision: 'allow', item: workload.item ?? 'none', reason: `namespace ${workload.namespace} is not governed` } };
}

export const FailurePolicy = ['by-policy', 'fail-closed', 'fail-open'] as const;
export type FailurePolicy = (typeof FailurePolicy)[number];

/**
 * The decision source could not answer. `by-policy`: deny under `prevent` (and when the
 * infrastructure's policy is unknown), admit with a warning under `warn`/`always`.
 */
export function verdictForUnavailable(
  workload: Workload,
  infrastructureId: string,
  policy: Policy | undefined,
  where: string | undefined,
  cause: string,
  failurePolicy: FailurePolicy,
): Verdict {
  const deny = failurePolicy === 'fail-closed' || (failurePolicy === 'by-policy' && (policy === undefined || policy === 'prevent'));
  const audit = {
    decision: deny ? 'deny' : 'allow',
    item: workload.item ?? 'none',
    policy: policy ?? 'unknown',
    'signoff-status': 'Unknown',
    infrastructure: infrastructureId,
    'signoff-unavailable': clip(cause, 500),
  };
  const sentence =
    where === undefined ? `the signoff gate could not get a decision: ${clean(cause)}` : `the signoff gate could not reach the signoff server at ${where}: ${clean(cause)}`;
  if (deny) {
    return {
      allowed: false,
      message: `signoff: ${what(workload)} was not admitted to infrastructure "${infrastructureId}" (policy ${policy ?? 'unknown'}): ${sentence}. Retry when the server is back, or ask an admin.`,
      warnings: [],
      audit,
    };
  }
  return { allowed: true, warnings: [`signoff: admitted without a decision: ${sentence}`], audit };
}
