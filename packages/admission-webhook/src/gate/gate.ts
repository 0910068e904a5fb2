import type { DecisionInput, ErrorCode } from '@signoff/core';
import type { DecisionSource } from '../decision-source/types.js';
import type { NamespaceResolver } from '../namespaces/types.js';
import type { AdmissionRequest, AdmissionResponse } from '../review/envelope.js';
import { artifactsFor, planReview, type Workload } from '../review/extract.js';
import {
  toAdmissionResponse,
  verdictForDecision,
  verdictForPlan,
  verdictForUnavailable,
  verdictForUngoverned,
  type FailurePolicy,
  type Verdict,
} from '../review/response.js';

export interface GateOptions {
  namespaces: NamespaceResolver;
  source: DecisionSource;
  /** Groups allowed to change a namespace's infrastructure label. */
  adminGroups: readonly string[];
  failurePolicy: FailurePolicy;
}

/** What happened, for metrics and logs. */
export interface GateResult {
  response: AdmissionResponse;
  outcome: 'allow' | 'warn' | 'deny' | 'skip' | 'unavailable';
  kind: string;
  infrastructure: string;
  workload?: Workload;
  error?: string;
}

/** Answer when the source could not be asked: the failure policy decides. */
const UNREACHABLE: readonly ErrorCode[] = ['UNAVAILABLE', 'UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'STORE_LOCKED'];

export function decisionInputFor(workload: Workload, infrastructure: string): DecisionInput {
  return {
    infrastructure,
    ...(workload.item ? { item: workload.item } : {}),
    artifacts: artifactsFor(workload),
    ...(workload.confirmation ? { confirmation: { reason: workload.confirmation.slice(0, 1000) } } : {}),
    dryRun: workload.dryRun,
    target: {
      kind: 'kubernetes',
      namespace: workload.namespace,
      name: workload.name,
      resource: workload.resource,
      operation: workload.operation,
      uid: workload.uid,
      requester: workload.username,
    },
  };
}

/** The admission gate: plan (pure) → namespace → decision source → verdict (pure). */
export function createGate(options: GateOptions): { review(request: AdmissionRequest): Promise<GateResult> } {
  return {
    async review(request) {
      const kind = request.subResource ? `${request.kind.kind}/${request.subResource}` : request.kind.kind;
      const plan = planReview(request, { adminGroups: options.adminGroups });
      const done = (verdict: Verdict, outcome: GateResult['outcome'], infrastructure: string, extra: Partial<GateResult> = {}): GateResult => ({
        response: toAdmissionResponse(request.uid, verdict),
        outcome,
        kind,
        infrastructure,
        ...extra,
      });
      if (plan.action === 'admit') return done(verdictForPlan(plan), 'skip', options.namespaces.infrastructureOf(request.namespace ?? '') ?? '');
      if (plan.action === 'guard-namespace') return done(verdictForPlan(plan), 'deny', plan.from);
      const workload = plan.workload;
      const infrastructure = options.namespaces.infrastructureOf(workload.namespace);
      if (infrastructure === undefined) return done(verdictForUngoverned(workload), 'skip', '', { workload });
      let result;
      try {
        result = await options.source.decide(decisionInputFor(workload, infrastructure));
      } catch (e) {
        result = { ok: false as const, error: { code: 'UNAVAILABLE' as const, message: e instanceof Error ? e.message : String(e) } };
      }
      if (!result.ok) {
        const reachable = !UNREACHABLE.includes(result.error.code);
        const verdict = verdictForUnavailable(
          workload,
          infrastructure,
          options.source.policyOf(infrastructure),
          reachable ? undefined : options.source.where,
          reachable ? `${result.error.code}: ${result.error.message}` : result.error.message,
          options.failurePolicy,
        );
        return done(verdict, 'unavailable', infrastructure, { workload, error: `${result.error.code}: ${result.error.message}` });
      }
      const decision = result.value.decision;
      return done(verdictForDecision(workload, decision), decision.outcome, infrastructure, { workload });
    },
  };
}
