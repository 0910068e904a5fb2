import { describe, expect, it } from 'vitest';
import { AdmissionReview } from './envelope.js';
import { artifactsFor, planReview, type GatePlan, type Workload } from './extract.js';
import { FIXTURE_NAMES, asKind, derive, ephemeralContainers, fixture, namespaceUpdate, type Json } from '../__fixtures__/fixtures.js';

const ADMIN = { adminGroups: ['signoff-admins'] };
const plan = (review: Json): GatePlan => planReview(AdmissionReview.parse(review).request, ADMIN);
const workload = (review: Json): Workload => {
  const p = plan(review);
  if (p.action !== 'decide') throw new Error(`expected a decision, got ${JSON.stringify(p)}`);
  return p.workload;
};
const digest = (hex: string): string => `sha256:${hex}`;
const WEB_V2 = 'registry.example.com/shop/web@' + digest('1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2');
const WEB_NEW = 'registry.example.com/shop/web@' + digest('f151da89719f19cc48ab2aa2cd657c806fd43007fd066b9986370f928ab263fb');

describe('planReview over the captured fixtures', () => {
  it('parses every fixture as an AdmissionReview', () => {
    expect(FIXTURE_NAMES.length).toBe(13);
    for (const name of FIXTURE_NAMES) expect(AdmissionReview.safeParse(fixture(name)).success, name).toBe(true);
  });

  it.each([
    ['deployment-create', 'Deployment', 3, 'shop/web-bundle@v2'],
    ['deployment-create-dryrun', 'Deployment', 3, 'shop/web-bundle@v2'],
    ['deployment-update', 'Deployment', 3, 'shop/web-bundle@v2'],
    ['statefulset-create', 'StatefulSet', 1, 'shop/db-bundle@14'],
    ['daemonset-create', 'DaemonSet', 1, 'platform/node-agent@1'],
    ['job-create', 'Job', 1, 'fraud/train-pipeline@3'],
    ['cronjob-create', 'CronJob', 1, 'fraud/train-pipeline@3'],
    ['pod-create', 'Pod', 1, 'shop/web-bundle@v2'],
    ['deployment-create-unpinned-tags', 'Deployment', 1, undefined],
    ['deployment-update-unpinned-tags', 'Deployment', 1, undefined],
  ])('%s: a %s with %i image(s), item %s', (name, kind, images, item) => {
    const w = workload(fixture(name));
    expect(w.kind).toBe(kind);
    expect(w.images).toHaveLength(images);
    expect(w.item).toBe(item);
    expect(w.uid).toBe(fixture(name).request.uid);
    expect(w.username).toBe('admin');
  });

  it('names every container kind of deployment-create, init containers included', () => {
    expect(workload(fixture('deployment-create')).images.map((c) => [c.kind, c.container])).toEqual([
      ['initContainer', 'migrate'],
      ['container', 'web'],
      ['container', 'sidecar'],
    ]);
  });

  it('on UPDATE says which image changed, naming the container', () => {
    const w = workload(fixture('deployment-update'));
    expect(w.changed).toEqual([{ container: 'web', kind: 'container', from: WEB_V2, to: WEB_NEW }]);
    expect(artifactsFor(w)).toContain(WEB_NEW);
    expect(artifactsFor(w)).not.toContain(WEB_V2);
  });

  it('marks the dry run', () => {
    expect(workload(fixture('deployment-create-dryrun')).dryRun).toBe(true);
    expect(workload(fixture('deployment-create')).dryRun).toBe(false);
  });

  it('reads the InferenceService storage URI under spec.predictor.model', () => {
    const w = workload(fixture('inferenceservice-create'));
    expect(w.storageUris).toEqual(['s3://models/fraud/v3']);
    expect(w.images).toEqual([]);
    expect(w.item).toBe('fraud/fraud-model@3');
    expect(artifactsFor(w)).toEqual(['s3://models/fraud/v3']);
  });

  it('reads framework storage URIs and the container images of every KServe component', () => {
    const w = workload(
      derive('inferenceservice-create', (r) => {
        r.request.object.spec = {
          predictor: { sklearn: { storageUri: 's3://models/a', image: 'reg/sk@sha256:' + 'a'.repeat(64) }, model: { storageUris: ['gs://b', { uri: 'gs://c' }] } },
          transformer: { containers: [{ name: 'kserve-container', image: 'reg/tr@sha256:' + 'b'.repeat(64), env: [{ name: 'STORAGE_URI', value: 's3://t' }] }] },
        };
      }),
    );
    expect(w.storageUris.sort()).toEqual(['gs://b', 'gs://c', 's3://models/a', 's3://t']);
    expect(w.images.map((c) => c.container)).toEqual(['predictor/sklearn', 'transformer/kserve-container']);
  });

  it.each([
    ['deployment-delete', 'DELETE adds nothing to run'],
    ['deployment-scale', 'the scale subresource adds nothing to run'],
  ])('%s is admitted with nothing to run', (name, why) => {
    expect(plan(fixture(name))).toEqual({ action: 'admit', why });
  });

  it('admits a status subresource update', () => {
    expect(plan(derive('pod-create', (r) => ((r.request.subResource = 'status'), (r.request.operation = 'UPDATE')))).action).toBe('admit');
  });

  it.each([
    ['ReplicaSet', 'apps', 'replicasets'],
    ['StatefulSet', 'apps', 'statefulsets'],
    ['DaemonSet', 'apps', 'daemonsets'],
    ['Job', 'batch', 'jobs'],
  ])('derives a %s from the deployment template and reads all its images', (kind, group, resource) => {
    const w = workload(asKind('deployment-create', kind, group, resource));
    expect(w.kind).toBe(kind);
    expect(w.resource).toBe(resource);
    expect(w.images).toHaveLength(3);
  });

  it('gates only the ephemeral containers of a pods/ephemeralcontainers update', () => {
    const w = workload(ephemeralContainers('busybox:1.36'));
    expect(w.resource).toBe('pods/ephemeralcontainers');
    expect(w.images).toEqual([{ container: 'debugger-x7k2p', kind: 'ephemeralContainer', image: 'busybox:1.36' }]);
    expect(w.changed).toEqual([{ container: 'debugger-x7k2p', kind: 'ephemeralContainer', to: 'busybox:1.36' }]);
  });

  it('reads the confirmation annotation', () => {
    const w = workload(derive('deployment-create', (r) => (r.request.object.metadata.annotations['signoff.dev/confirm-unapproved'] = ' hotfix INC-42 ')));
    expect(w.confirmation).toBe('hotfix INC-42');
  });

  it('admits kinds it does not gate', () => {
    expect(plan(asKind('deployment-create', 'ConfigMap', '', 'configmaps'))).toEqual({ action: 'admit', why: 'ConfigMap is not gated' });
  });
});

describe('namespace label guard', () => {
  it('denies removing the infrastructure label to a non-admin', () => {
    expect(plan(namespaceUpdate('ml-prod', 'production', undefined, ['system:authenticated']))).toMatchObject({
      action: 'guard-namespace',
      namespace: 'ml-prod',
      from: 'production',
      username: 'dev@example.com',
    });
  });
  it('denies changing it to another infrastructure', () => {
    expect(plan(namespaceUpdate('ml-prod', 'production', 'development', []))).toMatchObject({ action: 'guard-namespace', to: 'development' });
  });
  it('lets an admin group member change it', () => {
    expect(plan(namespaceUpdate('ml-prod', 'production', undefined, ['signoff-admins'])).action).toBe('admit');
  });
  it('lets anyone add a label or leave it unchanged', () => {
    expect(plan(namespaceUpdate('ml-prod', undefined, 'production', [])).action).toBe('admit');
    expect(plan(namespaceUpdate('ml-prod', 'production', 'production', [])).action).toBe('admit');
  });
});
