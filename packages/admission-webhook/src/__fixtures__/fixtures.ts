/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- fixtures edit free-form AdmissionReview JSON */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURE_DIR = fileURLToPath(new URL('./admission/', import.meta.url));

export const FIXTURE_NAMES = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The raw bytes, as the API server sent them. */
export const fixtureBytes = (name: string): Buffer => readFileSync(`${FIXTURE_DIR}${name}.json`);

/** A fresh, mutable copy of a fixture's AdmissionReview. */
export const fixture = (name: string): Json => JSON.parse(fixtureBytes(name).toString('utf8')) as Json;

/** Derive a review from a fixture: `edit` gets a fresh copy and returns it changed. */
export const derive = (name: string, edit: (review: Json) => void): Json => {
  const r = fixture(name);
  edit(r);
  return r;
};

/** The pod template of a Deployment-shaped fixture, as another kind. */
export function asKind(name: string, kind: string, group: string, resource: string): Json {
  return derive(name, (r) => {
    r.request.kind = { group, version: 'v1', kind };
    r.request.resource = { group, version: 'v1', resource };
    r.request.requestKind = r.request.kind;
    r.request.requestResource = r.request.resource;
    r.request.object.kind = kind;
  });
}

/** A Namespace UPDATE changing the infrastructure label from `from` to `to` (undefined removes it). */
export function namespaceUpdate(name: string, from: string | undefined, to: string | undefined, groups: string[]): Json {
  const meta = (infra: string | undefined): Json => ({
    name,
    uid: '5d1c6c3e-0b1e-4d8e-9d6a-1f0b8f1e2a33',
    resourceVersion: '90',
    labels: { 'kubernetes.io/metadata.name': name, ...(infra ? { 'signoff.dev/infrastructure': infra } : {}) },
  });
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: '0b7c8a7e-7e1b-4a36-8f44-3d9a3a1f9c10',
      kind: { group: '', version: 'v1', kind: 'Namespace' },
      resource: { group: '', version: 'v1', resource: 'namespaces' },
      name,
      operation: 'UPDATE',
      userInfo: { username: 'dev@example.com', groups },
      object: { kind: 'Namespace', apiVersion: 'v1', metadata: meta(to), spec: { finalizers: ['kubernetes'] } },
      oldObject: { kind: 'Namespace', apiVersion: 'v1', metadata: meta(from), spec: { finalizers: ['kubernetes'] } },
      dryRun: false,
    },
  };
}

/** `kubectl debug`: a pods/ephemeralcontainers UPDATE adding a debug container to pod-create's Pod. */
export function ephemeralContainers(image: string): Json {
  return derive('pod-create', (r) => {
    const old = structuredClone(r.request.object);
    r.request.subResource = 'ephemeralcontainers';
    r.request.requestSubResource = 'ephemeralcontainers';
    r.request.operation = 'UPDATE';
    r.request.oldObject = old;
    r.request.object.spec.ephemeralContainers = [{ name: 'debugger-x7k2p', image, stdin: true, tty: true, targetContainerName: 'web' }];
    r.request.options = { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' };
  });
}
