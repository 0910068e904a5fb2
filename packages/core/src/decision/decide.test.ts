import { describe, expect, it } from 'vitest';
import { decide, defaultUnmatched, type DecideContext } from './decide.js';
import { Decision, type DecisionRequest, type Outcome } from './schema.js';
import type { Policy, UnmatchedAction } from '../schemas/infrastructure.js';
import { SignoffStatus } from '../signoff/schema.js';
import { makeInfra, makeItem, signoff, T } from './__fixtures__/world.js';

const hex = (c: string) => c.repeat(64);
const WEB = `registry.example.com/shop/web@sha256:${hex('a')}`;
const MIGRATE = `registry.example.com/shop/migrate@sha256:${hex('b')}`;
const OTHER_WEB = `registry.example.com/shop/web@sha256:f151da89719f19cc48ab2aa2cd657c806fd43007fd066b9986370f928ab263fb`;
const NGINX = 'nginx:1.25';
const REF = 'shop/web-bundle@v2';
const URL = 'https://signoff.example.com/items/itm_v2';
const CTX: DecideContext = { now: T, itemRef: REF, reviewUrl: URL, approvers: ['Fiona Final'] };

const POLICIES: Policy[] = ['prevent', 'warn', 'always'];
const UNMATCHED: (UnmatchedAction | undefined)[] = [undefined, 'deny', 'warn', 'allow'];
const BOOLS = [false, true];
const SCENARIOS = ['match', 'mismatch', 'unpinned'] as const;

function itemWith(status: SignoffStatus) {
  const images = [MIGRATE, WEB];
  return makeItem({
    id: 'itm_v2',
    name: 'web-bundle',
    version: 'v2',
    images,
    signoffs: { review: signoff(status, status === 'Approved' ? [`sha256:${hex('b')}`, `sha256:${hex('a')}`] : undefined) },
  });
}

function artifactsFor(scenario: (typeof SCENARIOS)[number]): string[] {
  switch (scenario) {
    case 'match':
      return [MIGRATE, WEB];
    case 'mismatch':
      return [MIGRATE, OTHER_WEB];
    case 'unpinned':
      return [MIGRATE, WEB, NGINX];
  }
}

const request = (artifacts: string[], confirmed: boolean, item?: string): DecisionRequest => ({
  artifacts,
  dryRun: false,
  ...(item !== undefined ? { item } : {}),
  ...(confirmed ? { confirmation: { reason: 'hotfix for INC-42, approved by phone' } } : {}),
});

/** The policy table of DESIGN.md, stated plainly. */
function expectedOutcome(policy: Policy, requireConfirmation: boolean, confirmed: boolean, approved: boolean): Outcome {
  if (approved) return 'allow';
  if (policy === 'prevent') return 'deny';
  if (policy === 'always') return 'allow';
  return requireConfirmation && !confirmed ? 'deny' : 'warn';
}

function checkShape(d: Decision, artifacts: string[]) {
  expect(Decision.parse(d)).toEqual(d);
  expect(d.artifacts.map((a) => a.artifact)).toEqual(artifacts);
  expect(d.reasons.length).toBeGreaterThan(0);
  for (const r of d.reasons) {
    expect(r.length).toBeLessThanOrEqual(200);
    expect(r).not.toMatch(/[a-f0-9]{64}/);
  }
}

const matchedCases = POLICIES.flatMap((policy) =>
  BOOLS.flatMap((requireConfirmation) =>
    BOOLS.flatMap((confirmed) =>
      SignoffStatus.options.flatMap((status) =>
        SCENARIOS.flatMap((scenario) => UNMATCHED.map((unmatched) => ({ policy, requireConfirmation, confirmed, status, scenario, unmatched }))),
      ),
    ),
  ),
);

describe('decide: a matched item, every combination', () => {
  it('covers the whole table', () => {
    expect(matchedCases).toHaveLength(3 * 2 * 2 * 6 * 3 * 4);
  });

  it.each(matchedCases)('$policy confirm=$requireConfirmation given=$confirmed $status $scenario unmatched=$unmatched', ({ policy, requireConfirmation, confirmed, status, scenario, unmatched }) => {
    const infra = makeInfra('production', policy, { requireConfirmation, ...(unmatched ? { unmatched } : {}) });
    const artifacts = artifactsFor(scenario);
    const d = decide(infra, itemWith(status), request(artifacts, confirmed, REF), CTX);
    const approved = status === 'Approved' && scenario === 'match';
    const outcome = expectedOutcome(policy, requireConfirmation, confirmed, approved);

    expect(d.outcome).toBe(outcome);
    expect(d.approved).toBe(approved);
    expect(d.signoffStatus).toBe(status);
    expect(d.policy).toBe(policy);
    expect(d.infrastructureId).toBe('production');
    expect(d.item).toEqual({ id: 'itm_v2', kind: 'bundle', ref: REF, projectId: 'prj_shop' });
    expect(d.reviewUrl).toBe(URL);
    expect(d.decidedAt).toBe(T);
    expect(d.confirmed).toBe(!approved && policy === 'warn' && confirmed);
    checkShape(d, artifacts);

    // Verdicts: an artifact is covered only by an Approved sign-off's digests; an unpinned one never.
    for (const v of d.artifacts) {
      expect(v.pinned).toBe(v.artifact !== NGINX);
      expect(v.covered).toBe(status === 'Approved' && (v.artifact === MIGRATE || v.artifact === WEB));
      if (v.pinned) expect(v.key).toMatch(/^sha256:[a-f0-9]{64}$/);
      else expect(v.key).toBeUndefined();
    }

    const text = d.reasons.join('\n');
    if (approved) {
      expect(d.reasons[0]).toBe(`${REF} is approved and its approval covers all 2 deployed artifacts.`);
      return;
    }
    // The policy comes first, saying what the infrastructure does with unapproved artifacts.
    expect(d.reasons[0]).toContain(`production`);
    expect(d.reasons[0]).toContain(`policy ${policy}`);
    if (policy === 'prevent') expect(d.reasons[0]).toBe('production requires approval (policy prevent).');
    if (outcome === 'deny' && policy === 'warn') expect(d.reasons[0]).toContain('confirm-unapproved');
    if (status !== 'Approved') {
      expect(text).toContain(`${REF} is not approved: its sign-off is ${status}. Ask Fiona Final (final approver) to review it at ${URL}.`);
    } else {
      expect(text).not.toContain('is not approved');
    }
    if (scenario === 'mismatch' && status === 'Approved') {
      expect(text).toContain(`registry.example.com/shop/web@sha256:f151da89719f… is not among the digests approved for ${REF}; the approval covers exactly the digests it was given.`);
    }
    if (scenario === 'mismatch' && status !== 'Approved') {
      expect(text).toContain(`registry.example.com/shop/web@sha256:f151da89719f… is not one of the artifacts of ${REF}`);
    }
    if (scenario === 'unpinned') {
      expect(text).toContain('nginx:1.25 is not pinned by digest: pin it as nginx@sha256:<digest> so it can match an approval.');
    }
    if (d.confirmed) expect(text).toContain('"hotfix for INC-42, approved by phone"');
    else expect(text).not.toContain('hotfix');
  });
});

const INPUTS = ['pinned', 'unpinned', 'unknown-ref', 'unknown-ref+pinned', 'nothing'] as const;
const AGENT = `registry.example.com/platform/node-agent@sha256:9f4e31b9bc50cb59f129e2b820d470b15bab2220fa403730f8bc94a02b997aa0`;
const unmatchedCases = POLICIES.flatMap((policy) =>
  BOOLS.flatMap((requireConfirmation) =>
    BOOLS.flatMap((confirmed) => UNMATCHED.flatMap((unmatched) => INPUTS.map((input) => ({ policy, requireConfirmation, confirmed, unmatched, input })))),
  ),
);

describe('decide: nothing matched, every combination', () => {
  it.each(unmatchedCases)('$policy confirm=$requireConfirmation given=$confirmed unmatched=$unmatched $input', ({ policy, requireConfirmation, confirmed, unmatched, input }) => {
    const infra = makeInfra('staging', policy, { requireConfirmation, ...(unmatched ? { unmatched } : {}) });
    const artifacts = input === 'pinned' || input === 'unknown-ref+pinned' ? [AGENT] : input === 'unpinned' ? [NGINX] : [];
    const unknown = input.startsWith('unknown-ref') ? 'platform/node-agent@1' : undefined;
    const d = decide(infra, undefined, request(artifacts, confirmed, unknown), { now: T, ...(unknown ? { unknownItemRef: unknown } : {}) });
    checkShape(d, artifacts);
    expect(d.signoffStatus).toBe('Unmatched');
    expect(d.approved).toBe(false);
    expect(d.item).toBeUndefined();
    expect(d.artifacts.every((a) => !a.covered)).toBe(true);

    if (input === 'nothing') {
      expect(d.outcome).toBe('allow');
      expect(d.reasons).toEqual(['Nothing to run: the request names no artifact and no item, so there is nothing to approve.']);
      return;
    }
    const action = unmatched ?? defaultUnmatched(policy);
    const outcome: Outcome = action === 'deny' ? 'deny' : action === 'allow' ? 'allow' : requireConfirmation && !confirmed ? 'deny' : 'warn';
    expect(d.outcome).toBe(outcome);
    expect(d.confirmed).toBe(action === 'warn' && confirmed);
    expect(d.reasons[0]).toContain(`staging`);
    expect(d.reasons[0]).toContain(`match no governed item`);
    expect(d.reasons[0]).toContain(`unmatched: ${action}`);
    if (unmatched === undefined) expect(d.reasons[0]).toContain(`the default under policy ${policy}`);
    if (outcome === 'deny' && action === 'warn') expect(d.reasons[0]).toContain('confirm-unapproved');
    const text = d.reasons.join('\n');
    if (unknown) expect(text).toContain('"platform/node-agent@1" names no governed item');
    if (input === 'pinned') expect(text).toContain('registry.example.com/platform/node-agent@sha256:9f4e31b9bc50… matches no governed item.');
    if (input === 'unpinned') expect(text).toContain('nginx:1.25 is not pinned by digest');
  });
});

describe('decide: the finer points', () => {
  const prevent = makeInfra('production', 'prevent');

  it('treats an item without a sign-off as unapproved', () => {
    const item = makeItem({ id: 'itm_x', name: 'x', version: '1', images: [WEB], signoffs: {} });
    const d = decide(prevent, item, request([WEB], false), { now: T, itemRef: 'shop/x@1' });
    expect(d).toMatchObject({ outcome: 'deny', approved: false, signoffStatus: 'Not started' });
    expect(d.reasons[1]).toBe('shop/x@1 is not approved: its sign-off is Not started. Get it reviewed in signoff.');
  });

  it('counts only the mandatory sign-offs when the template says which', () => {
    const item = makeItem({
      id: 'itm_x',
      name: 'x',
      version: '1',
      images: [WEB],
      signoffs: { review: signoff('Approved', [`sha256:${hex('a')}`]), optional: signoff('Not started') },
    });
    expect(decide(prevent, item, request([WEB], false), { now: T }).outcome).toBe('deny');
    expect(decide(prevent, item, request([WEB], false), { now: T, mandatorySignoffSteps: ['review'] }).outcome).toBe('allow');
    expect(decide(prevent, item, request([WEB], false), { now: T, mandatorySignoffSteps: ['optional'] })).toMatchObject({ outcome: 'deny', signoffStatus: 'Not started' });
  });

  it('covers only the digests every counted approval was given', () => {
    const item = makeItem({
      id: 'itm_x',
      name: 'x',
      version: '1',
      images: [WEB, MIGRATE],
      signoffs: { a: signoff('Approved', [`sha256:${hex('a')}`, `sha256:${hex('b')}`]), b: signoff('Approved', [`sha256:${hex('a')}`]) },
    });
    const d = decide(prevent, item, request([WEB, MIGRATE], false), { now: T });
    expect(d.outcome).toBe('deny');
    expect(d.artifacts.map((a) => a.covered)).toEqual([true, false]);
  });

  it('an Approved sign-off without recorded digests covers nothing', () => {
    const so = signoff('Approved');
    const item = makeItem({ id: 'itm_x', name: 'x', version: '1', images: [WEB], signoffs: { review: so } });
    expect(decide(prevent, item, request([WEB], false), { now: T }).outcome).toBe('deny');
  });

  it('allows an approved item named without artifacts (e.g. a GitHub deployment by reference)', () => {
    const d = decide(prevent, itemWith('Approved'), request([], false, REF), CTX);
    expect(d).toMatchObject({ outcome: 'allow', approved: true, reasons: [`${REF} is approved.`] });
  });

  it('matches storage URIs and bare digests by key', () => {
    const model = makeItem({
      id: 'itm_m',
      kind: 'modelVersion',
      name: 'fraud-model',
      version: '3',
      storage: [{ uri: 's3://models/fraud/v3', checksum: `sha256:${hex('c')}` }],
      signoffs: { review: signoff('Approved', ['uri:s3://models/fraud/v3', `sha256:${hex('c')}`]) },
    });
    expect(decide(prevent, model, request(['s3://models/fraud/v3/', `sha256:${hex('c')}`], false), { now: T })).toMatchObject({ outcome: 'allow', approved: true });
    const d = decide(prevent, model, request(['s3://models/fraud/v4'], false), { now: T, itemRef: 'fraud/fraud-model@3' });
    expect(d.outcome).toBe('deny');
    expect(d.reasons.join('\n')).toContain('s3://models/fraud/v4 is not among the digests approved for fraud/fraud-model@3');
  });

  it('says an artifact is unreadable rather than crashing', () => {
    const d = decide(prevent, itemWith('Approved'), request([WEB, 'Not An Image!'], false), CTX);
    expect(d.outcome).toBe('deny');
    expect(d.artifacts[1]).toEqual({ artifact: 'Not An Image!', covered: false, pinned: false });
    expect(d.reasons.join('\n')).toContain('"Not An Image!" is neither an image reference nor a storage URI');
  });

  it('notes an unknown reference when the digests matched an item after all', () => {
    const d = decide(prevent, itemWith('Approved'), request([MIGRATE, WEB], false, 'shop/web-bundle@v9'), { ...CTX, unknownItemRef: 'shop/web-bundle@v9' });
    expect(d.outcome).toBe('allow');
    expect(d.reasons).toContain(`"shop/web-bundle@v9" names no governed item; ${REF} was matched by its digests instead.`);
  });

  it('keeps reasons short with long names, many approvers and many artifacts', () => {
    const long = `registry.example.com/${'very-long-path-component/'.repeat(8)}web@sha256:${hex('d')}`;
    const many = Array.from({ length: 12 }, (_, i) => `registry.example.com/shop/extra${i}@sha256:${hex((i % 10).toString())}`);
    const d = decide(prevent, itemWith('Rejected'), request([long, ...many, long], false), {
      ...CTX,
      reviewUrl: `https://signoff.example.com/${'x'.repeat(150)}`,
      approvers: ['Fiona Final', 'a member of Risk & Compliance', 'anyone with the role approver'],
    });
    expect(d.artifacts).toHaveLength(14);
    expect(d.artifacts[0]?.artifact).toBe(long);
    for (const r of d.reasons) expect(r.length).toBeLessThanOrEqual(200);
    expect(d.reasons.filter((r) => r.includes('is not one of the artifacts'))).toHaveLength(5);
    expect(d.reasons.at(-1)).toBe('8 more artifacts are not covered either.');
    expect(d.reasons[1]).toContain(`${REF} is not approved: its sign-off is Rejected.`);
  });

  it('names several approvers', () => {
    const d = decide(prevent, itemWith('Waiting for final approval'), request([WEB], false), { ...CTX, approvers: ['Fiona Final', 'a member of Business'] });
    expect(d.reasons[1]).toBe(`${REF} is not approved: its sign-off is Waiting for final approval. Ask Fiona Final or a member of Business (final approvers) to review it at ${URL}.`);
  });
});
