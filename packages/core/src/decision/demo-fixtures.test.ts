/*
 * DESIGN.md's demo world, built in memory with the exact digests of its demo-data table, and the
 * captured AdmissionReview fixtures it must answer. Only what the pure decision sees is read from
 * each fixture: the namespace, the `signoff.dev/item` annotation and the images of containers and
 * init containers (or a KServe storageUri). Full AdmissionReview parsing is the webhook's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { matchItemSync } from './match.js';
import type { Outcome } from './schema.js';
import { indexes, makeInfra, makeItem, signoff } from './__fixtures__/world.js';

const dir = fileURLToPath(new URL('./__fixtures__/admission/', import.meta.url));

const hex1 = '1'.repeat(64);
const IMAGES = {
  webV1: `registry.example.com/shop/web@sha256:${hex1}`,
  migrateV2: 'registry.example.com/shop/migrate@sha256:f9dd5b2b58fa538351ebd52919da1c655c87b195738d74934b8ea8629e76dc80',
  webV2: 'registry.example.com/shop/web@sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2',
  envoyV2: 'registry.example.com/platform/envoy@sha256:3d7756922516b7c436c7349cca27846c4f6fa4cc766ec85b30e525611b3b6aca',
  postgres14: 'registry.example.com/shop/postgres@sha256:01bf57f388427ded1975b9eeb2e056a10890a7e7b3569adead050561737f6a98',
  fraudTrain3: 'registry.example.com/ml/fraud-train@sha256:ce7e39262c10438c4dad77e04c6f62006770ba36d0bea356e1fb45a88cf0536c',
};
const keysOf = (images: string[]) => images.map((i) => i.slice(i.indexOf('@') + 1));
const approvedFor = (images: string[]) => ({ review: signoff('Approved', keysOf(images)) });

const items = [
  makeItem({ id: 'itm_web1', name: 'web-bundle', version: 'v1', images: [IMAGES.webV1], signoffs: { review: signoff('Rejected') } }),
  makeItem({ id: 'itm_web2', name: 'web-bundle', version: 'v2', images: [IMAGES.migrateV2, IMAGES.webV2, IMAGES.envoyV2], signoffs: approvedFor([IMAGES.migrateV2, IMAGES.webV2, IMAGES.envoyV2]) }),
  makeItem({ id: 'itm_db14', name: 'db-bundle', version: '14', images: [IMAGES.postgres14], signoffs: approvedFor([IMAGES.postgres14]) }),
  makeItem({ id: 'itm_train3', projectId: 'prj_fraud', name: 'train-pipeline', version: '3', images: [IMAGES.fraudTrain3], signoffs: approvedFor([IMAGES.fraudTrain3]) }),
  makeItem({ id: 'itm_model3', projectId: 'prj_fraud', kind: 'modelVersion', name: 'fraud-model', version: '3', storage: [{ uri: 's3://models/fraud/v3' }], signoffs: { review: signoff('Waiting for final approval') } }),
];
const world = indexes(items, { prj_shop: 'shop', prj_fraud: 'fraud' });
const infrastructures = {
  development: makeInfra('development', 'always'),
  staging: makeInfra('staging', 'warn'),
  production: makeInfra('production', 'prevent', { unmatched: 'deny', production: true }),
};
const NAMESPACES: Record<string, keyof typeof infrastructures> = { 'ml-prod': 'production', 'shop-prod': 'production', 'ml-staging': 'staging', 'shop-dev': 'development' };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

/** The pod spec of a workload, wherever its kind keeps it. */
function podSpec(o: Json): Json {
  const spec = obj(o.spec);
  if (o.kind === 'Pod') return spec;
  if (o.kind === 'CronJob') return obj(obj(obj(obj(spec.jobTemplate).spec).template).spec);
  return obj(obj(spec.template).spec);
}

function readFixture(name: string) {
  const request = obj(JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')).request);
  const o = obj(request.object);
  const annotations = obj(obj(o.metadata).annotations);
  const spec = podSpec(o);
  const images = [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])].map((c) => String(obj(c).image));
  const storageUri = obj(obj(obj(o.spec).predictor).model).storageUri;
  const artifacts = [...images, ...(typeof storageUri === 'string' ? [storageUri] : [])];
  const item = annotations['signoff.dev/item'];
  return { namespace: String(request.namespace), artifacts, ...(typeof item === 'string' ? { item } : {}) };
}

function decideFixture(name: string) {
  const { namespace, artifacts, item } = readFixture(name);
  const infra = infrastructures[NAMESPACES[namespace] as keyof typeof infrastructures];
  const request = { artifacts, dryRun: false, ...(item !== undefined ? { item } : {}) };
  const matched = matchItemSync(request, world);
  return decide(infra, matched.item, request, {
    now: '2026-11-23T10:00:00.000Z',
    ...(matched.item ? { itemRef: world.refOf(matched.item), reviewUrl: `http://localhost:8080/items/${matched.item.id}`, approvers: ['Fiona Final'] } : {}),
    ...(matched.unknownItemRef !== undefined ? { unknownItemRef: matched.unknownItemRef } : {}),
  });
}

/** DESIGN.md, "With that data, the fixtures must be answered so". */
const ANSWERS: [fixture: string, outcome: Outcome, item: string | undefined, mentions: string[]][] = [
  ['deployment-create', 'allow', 'shop/web-bundle@v2', ['shop/web-bundle@v2 is approved and its approval covers all 3 deployed artifacts.']],
  ['deployment-update', 'deny', 'shop/web-bundle@v2', ['production requires approval (policy prevent).', 'registry.example.com/shop/web@sha256:f151da89719f… is not among the digests approved for shop/web-bundle@v2']],
  ['deployment-create-dryrun', 'allow', 'shop/web-bundle@v2', ['is approved']],
  // Scale and delete put nothing new to run (the webhook admits them without asking).
  ['deployment-scale', 'allow', undefined, ['Nothing to run']],
  ['deployment-delete', 'allow', undefined, ['Nothing to run']],
  ['statefulset-create', 'allow', 'shop/db-bundle@14', ['shop/db-bundle@14 is approved']],
  ['daemonset-create', 'deny', undefined, ['production refuses artifacts that match no governed item (unmatched: deny)', '"platform/node-agent@1" names no governed item', 'node-agent@sha256:9f4e31b9bc50… matches no governed item.']],
  ['job-create', 'deny', 'fraud/train-pipeline@3', ['registry.example.com/ml/fraud-train@sha256:c08e72a05dbc… is not among the digests approved for fraud/train-pipeline@3']],
  ['cronjob-create', 'allow', 'fraud/train-pipeline@3', ['fraud/train-pipeline@3 is approved']],
  ['pod-create', 'deny', 'shop/web-bundle@v2', ['registry.example.com/shop/web@sha256:65c3be4a3953… is not among the digests approved for shop/web-bundle@v2']],
  ['inferenceservice-create', 'deny', 'fraud/fraud-model@3', ['fraud/fraud-model@3 is not approved: its sign-off is Waiting for final approval. Ask Fiona Final (final approver) to review it at http://localhost:8080/items/itm_model3.']],
  ['deployment-create-unpinned-tags', 'deny', undefined, ['production refuses artifacts that match no governed item', 'nginx:1.25 is not pinned by digest: pin it as nginx@sha256:<digest> so it can match an approval.']],
  ['deployment-update-unpinned-tags', 'allow', undefined, ['development admits artifacts that match no governed item (unmatched: allow, the default under policy always)']],
];

describe('the demo world answers the captured fixtures as DESIGN.md says', () => {
  it('has an answer for every fixture', () => {
    const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    expect(ANSWERS.map(([f]) => f).sort()).toEqual(fixtures);
  });

  it.each(ANSWERS)('%s → %s', (fixture, outcome, item, mentions) => {
    const d = decideFixture(fixture);
    expect(d.outcome).toBe(outcome);
    expect(d.item?.ref).toBe(item);
    const text = d.reasons.join('\n');
    for (const m of mentions) expect(text).toContain(m);
    for (const r of d.reasons) expect(r.length).toBeLessThanOrEqual(200);
  });

  it('reads the images the fixtures deploy', () => {
    expect(readFixture('deployment-create').artifacts).toEqual([IMAGES.migrateV2, IMAGES.webV2, IMAGES.envoyV2]);
    expect(readFixture('cronjob-create').artifacts).toEqual([IMAGES.fraudTrain3]);
    expect(readFixture('inferenceservice-create')).toMatchObject({ item: 'fraud/fraud-model@3', artifacts: ['s3://models/fraud/v3'] });
  });

  it('the lifecycle: v1 (rejected) is denied in production, warned in staging, admitted in development; v2 everywhere', () => {
    const v1 = { artifacts: [IMAGES.webV1], dryRun: false, item: 'shop/web-bundle@v1' };
    const v2 = { artifacts: [IMAGES.migrateV2, IMAGES.webV2, IMAGES.envoyV2], dryRun: false };
    const ctx = { now: '2026-11-23T10:00:00.000Z', approvers: ['Fiona Final'] };
    const on = (infra: keyof typeof infrastructures, r: typeof v1 | typeof v2) => {
      const m = matchItemSync(r, world);
      return decide(infrastructures[infra], m.item, r, { ...ctx, ...(m.item ? { itemRef: world.refOf(m.item), reviewUrl: `http://localhost:8080/items/${m.item.id}` } : {}) });
    };
    const prod = on('production', v1);
    expect(prod.outcome).toBe('deny');
    expect(prod.reasons).toEqual([
      'production requires approval (policy prevent).',
      'shop/web-bundle@v1 is not approved: its sign-off is Rejected. Ask Fiona Final (final approver) to review it at http://localhost:8080/items/itm_web1.',
    ]);
    expect(on('staging', v1)).toMatchObject({ outcome: 'warn', signoffStatus: 'Rejected' });
    expect(on('development', v1)).toMatchObject({ outcome: 'allow', approved: false });
    for (const infra of ['production', 'staging', 'development'] as const) {
      expect(on(infra, v2)).toMatchObject({ outcome: 'allow', approved: true, item: { ref: 'shop/web-bundle@v2' } });
    }
  });
});
