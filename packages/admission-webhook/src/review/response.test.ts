import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from '@signoff/core';
import { AdmissionReview } from './envelope.js';
import { planReview, type Workload } from './extract.js';
import {
  WARNINGS_TOTAL_MAX,
  WARNING_MAX,
  fitWarnings,
  splitWarning,
  toAdmissionResponse,
  verdictForDecision,
  verdictForPlan,
  verdictForUnavailable,
  verdictForUngoverned,
  type Verdict,
} from './response.js';
import { fixture, namespaceUpdate } from '../__fixtures__/fixtures.js';

const workloadOf = (name: string): Workload => {
  const p = planReview(AdmissionReview.parse(fixture(name)).request, { adminGroups: [] });
  if (p.action !== 'decide') throw new Error('not a workload');
  return p.workload;
};

const decision = (over: Partial<Decision>): Decision => ({
  outcome: 'deny',
  policy: 'prevent',
  infrastructureId: 'production',
  signoffStatus: 'Rejected',
  approved: false,
  item: { id: 'itm_1', kind: 'bundle', ref: 'shop/web-bundle@v1', projectId: 'prj_1' },
  artifacts: [],
  reasons: ['shop/web-bundle@v1 is Rejected: its final approval was Rejected by fiona'],
  confirmed: false,
  reviewUrl: 'https://signoff.example.com/items/itm_1',
  decidedAt: '2026-11-23T10:00:00.000Z',
  ...over,
});

describe('toAdmissionResponse', () => {
  it('denies with 403 Forbidden, the reasons, the policy and the review link; audit annotations; no patch', () => {
    const w = workloadOf('deployment-update');
    const r = toAdmissionResponse(w.uid, verdictForDecision(w, decision({})));
    expect(r.apiVersion).toBe('admission.k8s.io/v1');
    expect(r.kind).toBe('AdmissionReview');
    expect(r.response.uid).toBe('d7ce9034-180c-4310-ab66-ce28a75de519');
    expect(r.response.allowed).toBe(false);
    expect(r.response.status?.code).toBe(403);
    expect(r.response.status?.reason).toBe('Forbidden');
    const m = r.response.status!.message;
    expect(m).toContain('Deployment ml-prod/web');
    expect(m).toContain('policy prevent');
    expect(m).toContain('shop/web-bundle@v1 is Rejected: its final approval was Rejected by fiona.');
    expect(m).toContain('container "web" changed from registry.example.com/shop/web@sha256:1739');
    expect(m).toContain('Review and approve it at https://signoff.example.com/items/itm_1');
    expect(r.response.auditAnnotations).toMatchObject({ decision: 'deny', item: 'shop/web-bundle@v1', policy: 'prevent', 'signoff-status': 'Rejected' });
    expect(r.response).not.toHaveProperty('patch');
    expect(r.response).not.toHaveProperty('patchType');
  });

  it('does not repeat a review link the reasons already give', () => {
    const w = workloadOf('pod-create');
    const r = toAdmissionResponse(w.uid, verdictForDecision(w, decision({ reasons: ['not approved; approve at https://signoff.example.com/items/itm_1'] })));
    expect(r.response.status!.message.split('https://signoff.example.com/items/itm_1')).toHaveLength(2);
  });

  it('admits a warn decision with warnings that carry the reasons', () => {
    const w = workloadOf('deployment-create');
    const r = toAdmissionResponse(w.uid, verdictForDecision(w, decision({ outcome: 'warn', policy: 'warn', infrastructureId: 'staging' })));
    expect(r.response.allowed).toBe(true);
    expect(r.response.status).toBeUndefined();
    const text = r.response.warnings!.join(' ');
    expect(text).toContain('not approved for "staging" (policy warn)');
    expect(text).toContain('https://signoff.example.com/items/itm_1');
    for (const line of r.response.warnings!) expect(line.length).toBeLessThanOrEqual(WARNING_MAX);
  });

  it('admits an allow decision without warnings and with string audit values', () => {
    const w = workloadOf('deployment-create');
    const r = toAdmissionResponse(w.uid, verdictForDecision(w, decision({ outcome: 'allow', signoffStatus: 'Approved', approved: true, reasons: [] })));
    expect(r.response).toEqual({
      uid: w.uid,
      allowed: true,
      auditAnnotations: { decision: 'allow', item: 'shop/web-bundle@v1', policy: 'prevent', 'signoff-status': 'Approved', infrastructure: 'production' },
    });
  });

  it('records a confirmed warn deploy with its reason', () => {
    const w = { ...workloadOf('deployment-create'), confirmation: 'hotfix INC-42' };
    const r = toAdmissionResponse(w.uid, verdictForDecision(w, decision({ outcome: 'warn', policy: 'warn', confirmed: true })));
    expect(r.response.auditAnnotations?.confirmation).toBe('hotfix INC-42');
    expect(r.response.warnings!.join(' ')).toContain('hotfix INC-42');
  });

  it('denies a namespace label change with the namespace, the infrastructure and who asked', () => {
    const p = planReview(AdmissionReview.parse(namespaceUpdate('ml-prod', 'production', undefined, [])).request, { adminGroups: ['ops'] });
    if (p.action !== 'guard-namespace') throw new Error('expected the guard');
    const r = toAdmissionResponse('u1', verdictForPlan(p));
    expect(r.response.allowed).toBe(false);
    expect(r.response.status!.message).toMatch(/namespace ml-prod is governed by infrastructure "production".*dev@example.com may not remove that label/);
  });

  it.each([
    ['prevent', 'by-policy', false],
    ['warn', 'by-policy', true],
    ['always', 'by-policy', true],
    [undefined, 'by-policy', false],
    ['always', 'fail-closed', false],
    ['prevent', 'fail-open', true],
  ] as const)('server unreachable under %s with %s: allowed=%s', (policy, failure, allowed) => {
    const w = workloadOf('deployment-create');
    const r = toAdmissionResponse(w.uid, verdictForUnavailable(w, 'production', policy, 'https://signoff:8080', 'connect ECONNREFUSED', failure));
    expect(r.response.allowed).toBe(allowed);
    const text = allowed ? r.response.warnings!.join(' ') : r.response.status!.message;
    expect(text).toContain('the signoff gate could not reach the signoff server at https://signoff:8080: connect ECONNREFUSED');
  });
});

describe('warnings limits', () => {
  it('splits a long reason at spaces into lines of at most 120 characters and drops a "Warning:" prefix', () => {
    const long = 'Warning: ' + 'the image registry.example.com/shop/web is not pinned by digest and '.repeat(4);
    const lines = splitWarning(long);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[0]!.startsWith('the image')).toBe(true);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
    expect(lines.join(' ')).toBe(long.slice('Warning: '.length).trim());
  });

  it('holds for any input: each ≤ 120, total ≤ 4096, no control characters', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 600 }), { maxLength: 80 }), (warnings) => {
        const out = fitWarnings(warnings);
        expect(out.reduce((n, w) => n + w.length, 0)).toBeLessThanOrEqual(WARNINGS_TOTAL_MAX);
        for (const w of out) {
          expect(w.length).toBeLessThanOrEqual(WARNING_MAX);
          // eslint-disable-next-line no-control-regex
          expect(w).not.toMatch(/[\u0000-\u001f]/);
          expect(w).not.toMatch(/^\s*warning\s*:/i);
          expect(w.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('says how many lines were left out when 4096 characters are not enough', () => {
    const out = fitWarnings(Array.from({ length: 100 }, (_, i) => `reason ${i} `.padEnd(100, 'x')));
    expect(out.at(-1)).toMatch(/^… and \d+ more warning line\(s\)$/);
  });
});

describe('"Warning:" prefixes', () => {
  it('are dropped however often they repeat, and from the start of every continuation line', () => {
    const lines = fitWarnings(['Warning: WARNING:warning : x', `${'a '.repeat(58)}Warning: the rest`, 'warning:']);
    expect(lines[0]).toBe('x');
    expect(lines.every((l) => !/^\s*warning\s*:/i.test(l))).toBe(true);
    expect(lines).toContain('the rest');
  });
});

// Kubernetes prefixes each key with the webhook's name and drops the annotation unless the
// result is a qualified name: name part ≤ 63 characters, alphanumeric at both ends, [-_.] inside.
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

describe('auditAnnotations', () => {
  const w = workloadOf('deployment-create');
  const verdicts: [string, Verdict][] = [
    ['deny', verdictForDecision(w, decision({}))],
    ['warn confirmed', verdictForDecision({ ...w, confirmation: 'INC-1', dryRun: true }, decision({ outcome: 'warn', policy: 'warn', confirmed: true }))],
    ['allow', verdictForDecision(w, decision({ outcome: 'allow', signoffStatus: 'Approved', approved: true }))],
    ['unavailable', verdictForUnavailable(w, 'production', 'prevent', 'https://signoff', 'ECONNREFUSED', 'by-policy')],
    ['ungoverned', verdictForUngoverned(w)],
    ['admit', verdictForPlan({ action: 'admit', why: 'DELETE adds nothing to run' })],
    ['namespace guard', verdictForPlan({ action: 'guard-namespace', namespace: 'ml-prod', from: 'production', username: 'dev', groups: [] })],
  ];

  it.each(verdicts)('%s: every key is a valid qualified name, with decision, item and policy', (_name, verdict) => {
    const audit = toAdmissionResponse('u', verdict).response.auditAnnotations!;
    for (const key of Object.keys(audit)) expect(key).toMatch(QUALIFIED_NAME);
    expect(audit.decision).toMatch(/^(allow|warn|deny)$/);
    if (verdict.allowed === false || 'policy' in audit) {
      expect(audit).toHaveProperty('item');
      expect(audit).toHaveProperty('policy');
      expect(audit).toHaveProperty('signoff-status');
    }
  });

  it('a decision carries decision, item, policy, sign-off status and infrastructure; a confirmed dry run says so', () => {
    const [, confirmed] = verdicts[1]!;
    expect(toAdmissionResponse('u', confirmed).response.auditAnnotations).toEqual({
      decision: 'warn',
      item: 'shop/web-bundle@v1',
      policy: 'warn',
      'signoff-status': 'Rejected',
      infrastructure: 'production',
      confirmation: 'INC-1',
      'dry-run': 'true',
    });
  });

  it('drops any key Kubernetes would refuse, for any input', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 80 }), fc.string({ maxLength: 2000 })), (audit) => {
        const out = toAdmissionResponse('u', { allowed: true, warnings: [], audit }).response.auditAnnotations ?? {};
        for (const [k, v] of Object.entries(out)) {
          expect(k).toMatch(QUALIFIED_NAME);
          expect(v.length).toBeLessThanOrEqual(1024);
        }
        for (const k of Object.keys(audit)) if (QUALIFIED_NAME.test(k)) expect(out).toHaveProperty([k]);
      }),
    );
  });
});
