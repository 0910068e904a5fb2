import { beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '@signoff/core';
import { AdmissionReview } from '../review/envelope.js';
import { createGate, type GateResult } from './gate.js';
import type { DemoSetup } from '../demo.js';
import { DB_IMAGE as POSTGRES_14, demoWorld, WEB_V1 } from '../__fixtures__/demo.js';
import { FIXTURE_NAMES, asKind, derive, ephemeralContainers, fixture, namespaceUpdate, type Json } from '../__fixtures__/fixtures.js';

let demo: DemoSetup;
let gate: ReturnType<typeof createGate>;
const SYSTEM = { kind: 'system', id: 'system' } as const;

beforeAll(async () => {
  demo = await demoWorld();
  gate = createGate({ namespaces: demo.namespaces, source: demo.source, adminGroups: ['signoff-admins'], failurePolicy: 'by-policy' });
});

const answer = async (review: Json): Promise<GateResult> => gate.review(AdmissionReview.parse(review).request);
const deployments = async (): Promise<DeploymentRecord[]> => {
  // the embedded source records admissions in batches after answering: write what waits
  await demo.source.flush();
  const r = await demo.service.listDeployments(SYSTEM);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

// DESIGN.md, "With that data, the fixtures must be answered so".
const TABLE: Record<string, 'allow' | 'deny'> = {
  'deployment-create': 'allow',
  'deployment-update': 'deny',
  'deployment-create-dryrun': 'allow',
  'deployment-scale': 'allow',
  'deployment-delete': 'allow',
  'statefulset-create': 'allow',
  'daemonset-create': 'deny',
  'job-create': 'deny',
  'cronjob-create': 'allow',
  'pod-create': 'deny',
  'inferenceservice-create': 'deny',
  'deployment-create-unpinned-tags': 'deny',
  'deployment-update-unpinned-tags': 'allow',
};

describe('every captured fixture gets the answer of DESIGN.md with the demo world', () => {
  it('covers every fixture', () => {
    expect(Object.keys(TABLE).sort()).toEqual(FIXTURE_NAMES);
  });

  it.each(Object.entries(TABLE))('%s → %s', async (name, expected) => {
    const r = await answer(fixture(name));
    expect(r.response.response.uid).toBe(fixture(name).request.uid);
    expect(r.response.response.allowed, JSON.stringify(r.response.response)).toBe(expected === 'allow');
    if (expected === 'deny') {
      expect(r.response.response.status).toMatchObject({ code: 403, reason: 'Forbidden' });
      expect(r.response.response.status!.message.length).toBeGreaterThan(40);
    }
  });

  it('deployment-update names the changed web image and the policy', async () => {
    const m = (await answer(fixture('deployment-update'))).response.response.status!.message;
    expect(m).toContain('container "web" changed from registry.example.com/shop/web@sha256:1739e79c');
    expect(m).toContain('policy prevent');
    expect(m).toContain('shop/web-bundle@v2');
  });

  it('inferenceservice-create says the model version waits for its final approval, with the review link', async () => {
    const r = (await answer(fixture('inferenceservice-create'))).response.response;
    expect(r.status!.message).toContain('fraud/fraud-model@3');
    expect(r.status!.message).toMatch(/Waiting for final approval/i);
    expect(r.status!.message).toMatch(/http:\/\/localhost:8080\/items\/\S+/);
    expect(r.auditAnnotations).toMatchObject({ decision: 'deny', item: 'fraud/fraud-model@3', 'signoff-status': 'Waiting for final approval' });
  });

  it('deployment-create-unpinned-tags tells the deployer to pin nginx:1.25 by digest', async () => {
    const m = (await answer(fixture('deployment-create-unpinned-tags'))).response.response.status!.message;
    expect(m).toContain('nginx:1.25');
    expect(m).toMatch(/digest/i);
  });

  it('records admitted workloads with their AdmissionReview uid, and nothing for a dry run or a scale', async () => {
    const before = (await deployments()).length;
    await answer(fixture('deployment-create-dryrun'));
    await answer(fixture('deployment-scale'));
    expect((await deployments()).length).toBe(before);
    await answer(fixture('cronjob-create'));
    const after = await deployments();
    expect(after.length).toBe(before + 1);
    const rec = after.find((d) => d.target.kind === 'kubernetes' && d.target.uid === fixture('cronjob-create').request.uid);
    expect(rec).toMatchObject({
      infrastructureId: 'production',
      itemRef: 'fraud/train-pipeline@3',
      outcome: 'allow',
      policy: 'prevent',
      target: { kind: 'kubernetes', namespace: 'ml-prod', name: 'retrain-fraud', resource: 'cronjobs', operation: 'CREATE', uid: fixture('cronjob-create').request.uid, requester: 'admin' },
    });
  });

  // Every fixture the gate decides on, asked again as a dry run: the same answer, nothing recorded.
  it.each(FIXTURE_NAMES.filter((n) => !['deployment-delete', 'deployment-scale', 'deployment-create-dryrun'].includes(n)))(
    '%s as a dry run: the same answer, nothing recorded',
    async (name) => {
      const wet = (await answer(derive(name, (r) => (r.request.uid = `wet-${name}`)))).response.response;
      const before = (await deployments()).length;
      const dry = (await answer(derive(name, (r) => ((r.request.uid = `dry-${name}`), (r.request.dryRun = true))))).response.response;
      expect((await deployments()).length).toBe(before);
      expect(dry.uid).toBe(`dry-${name}`);
      expect(dry.allowed).toBe(wet.allowed);
      expect(dry.status).toEqual(wet.status);
      expect(dry.warnings).toEqual(wet.warnings);
      const { 'dry-run': flag, ...audit } = dry.auditAnnotations ?? {};
      expect(flag).toBe('true');
      expect(audit).toEqual(wet.auditAnnotations);
    },
  );
});

const containersOf = (r: Json): Json[] => r.request.object.spec.template.spec.containers as Json[];

describe('matching (README: "How images are matched")', () => {
  it('an InferenceService without the item annotation is matched by its storageUri', async () => {
    const r = (await answer(derive('inferenceservice-create', (x) => delete x.request.object.metadata.annotations['signoff.dev/item']))).response.response;
    expect(r.allowed).toBe(false);
    expect(r.auditAnnotations).toMatchObject({ item: 'fraud/fraud-model@3', 'signoff-status': 'Waiting for final approval' });
  });

  it('an approval covers exactly its digests: one more image, even an approved one of another item, is denied and named', async () => {
    for (const extra of [POSTGRES_14, `registry.example.com/shop/web@sha256:${'a'.repeat(64)}`]) {
      const r = (await answer(derive('deployment-create', (x) => containersOf(x).push({ name: 'extra', image: extra })))).response.response;
      expect(r.allowed).toBe(false);
      expect(r.auditAnnotations).toMatchObject({ item: 'shop/web-bundle@v2', 'signoff-status': 'Approved' });
      expect(r.status!.message).toContain(`${extra.slice(0, extra.indexOf('@'))}@sha256:${extra.split(':')[1]!.slice(0, 12)}`);
      expect(r.status!.message).toContain('shop/web-bundle@v2 is Approved, but not for everything this Deployment runs');
    }
  });

  it('a workload running part of an approved bundle is admitted (every image it runs is approved)', async () => {
    const r = (await answer(derive('deployment-create', (x) => containersOf(x).pop()))).response.response;
    expect(r.allowed).toBe(true);
  });

  it('an image with a tag and a digest is matched by its digest; the tag is ignored', async () => {
    const r = (await answer(derive('deployment-create', (x) => (containersOf(x)[0]!.image = (containersOf(x)[0]!.image as string).replace('@', ':2.0@'))))).response.response;
    expect(r.allowed).toBe(true);
    const wrongTagOnly = (await answer(derive('deployment-create', (x) => (containersOf(x)[0]!.image = 'registry.example.com/shop/web:v2')))).response.response;
    expect(wrongTagOnly.allowed).toBe(false);
    expect(wrongTagOnly.status!.message).toMatch(/registry\.example\.com\/shop\/web:v2 is not pinned by digest: pin it as/);
  });
});

describe('derived rows', () => {
  it('a ReplicaSet carrying deployment-create\'s template is admitted like its Deployment', async () => {
    expect((await answer(asKind('deployment-create', 'ReplicaSet', 'apps', 'replicasets'))).response.response.allowed).toBe(true);
  });

  it('a ReplicaSet of deployment-update\'s template is denied like its Deployment', async () => {
    const r = asKind('deployment-update', 'ReplicaSet', 'apps', 'replicasets');
    expect((await answer(r)).response.response.allowed).toBe(false);
  });

  it('kubectl debug with an unpinned busybox in ml-prod is denied; in shop-dev it is admitted', async () => {
    expect((await answer(ephemeralContainers('busybox:1.36'))).response.response.allowed).toBe(false);
    const dev = ephemeralContainers('busybox:1.36');
    dev.request.namespace = 'shop-dev';
    expect((await answer(dev)).response.response.allowed).toBe(true);
  });

  it('the rejected bundle v1 is denied in production, warned in staging, admitted in development', async () => {
    const v1 = (ns: string): Json =>
      derive('pod-create', (r) => {
        r.request.namespace = ns;
        r.request.object.metadata.annotations['signoff.dev/item'] = 'shop/web-bundle@v1';
        r.request.object.spec.containers[0].image = WEB_V1;
      });
    const prod = await answer(v1('ml-prod'));
    expect(prod.outcome).toBe('deny');
    const staging = await answer(v1('ml-staging'));
    expect(staging.outcome).toBe('warn');
    expect(staging.response.response.allowed).toBe(true);
    expect(staging.response.response.warnings!.join(' ')).toContain('shop/web-bundle@v1');
    const dev = await answer(v1('shop-dev'));
    expect(dev.response.response.allowed).toBe(true);
  });

  it('DELETE of a Pod and a namespace label removal by an admin are admitted; by anyone else the removal is denied', async () => {
    expect((await answer(derive('pod-create', (r) => ((r.request.operation = 'DELETE'), (r.request.oldObject = r.request.object), (r.request.object = null))))).response.response.allowed).toBe(true);
    expect((await answer(namespaceUpdate('ml-prod', 'production', undefined, ['signoff-admins']))).response.response.allowed).toBe(true);
    expect((await answer(namespaceUpdate('ml-prod', 'production', 'development', ['devs']))).response.response.allowed).toBe(false);
  });
});
