import type { AdmissionRequest, KubeObject, Operation } from './envelope.js';

export const ITEM_ANNOTATION = 'signoff.dev/item';
export const CONFIRM_ANNOTATION = 'signoff.dev/confirm-unapproved';
export const INFRASTRUCTURE_LABEL = 'signoff.dev/infrastructure';

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

export interface ContainerImage {
  /** Container name (for InferenceService components: the component, e.g. `predictor/model`). */
  container: string;
  kind: ContainerKind;
  image: string;
}

export interface ImageChange {
  container: string;
  kind: ContainerKind;
  /** Absent when the container is new. */
  from?: string;
  to: string;
}

/** A workload the gate must decide on. */
export interface Workload {
  uid: string;
  /** `Deployment`, `Pod`, `InferenceService`, … */
  kind: string;
  /** `deployments`, `pods/ephemeralcontainers`, … */
  resource: string;
  namespace: string;
  name: string;
  operation: Operation;
  dryRun: boolean;
  username: string;
  item?: string;
  confirmation?: string;
  images: ContainerImage[];
  storageUris: string[];
  /** On UPDATE: the images that differ from `oldObject`. */
  changed: ImageChange[];
}

/** What the gate does with one AdmissionRequest, decided without any I/O. */
export type GatePlan =
  | { action: 'admit'; why: string }
  | { action: 'guard-namespace'; namespace: string; from: string; to?: string; username: string; groups: string[] }
  | { action: 'decide'; workload: Workload };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (v: unknown, ...path: string[]): unknown => {
  let cur = v;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
};

const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController']);

/** Kinds the gate decides on (by `request.kind.kind`). */
export const GATED_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'InferenceService'] as const;

/** The pod spec(s) of an object of `kind`, or undefined when the kind carries none. */
export function podSpecsOf(kind: string, object: KubeObject): unknown[] | undefined {
  if (POD_TEMPLATE_KINDS.has(kind)) return [get(object, 'spec', 'template', 'spec')];
  if (kind === 'CronJob') return [get(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec')];
  if (kind === 'Pod') return [get(object, 'spec')];
  return undefined;
}

function containersOf(spec: unknown, field: string, kind: ContainerKind, out: ContainerImage[]): void {
  const list = get(spec, field);
  if (!Array.isArray(list)) return;
  list.forEach((c, i) => {
    const image = get(c, 'image');
    if (typeof image !== 'string' || image.length === 0) return;
    const name = get(c, 'name');
    out.push({ container: typeof name === 'string' && name ? name : `${field}[${i}]`, kind, image });
  });
}

function imagesOfPodSpecs(specs: unknown[], only?: ContainerKind): ContainerImage[] {
  const out: ContainerImage[] = [];
  for (const spec of specs) {
    if (!only || only === 'initContainer') containersOf(spec, 'initContainers', 'initContainer', out);
    if (!only || only === 'container') containersOf(spec, 'containers', 'container', out);
    if (!only || only === 'ephemeralContainer') containersOf(spec, 'ephemeralContainers', 'ephemeralContainer', out);
  }
  return out;
}

const KSERVE_COMPONENTS = ['predictor', 'transformer', 'explainer'] as const;

/**
 * KServe v1beta1: each component (predictor, transformer, explainer) holds either framework
 * specs (`model`, `sklearn`, `pytorch`, …) with `storageUri`/`storageUris` and an optional
 * `image`, or a custom `containers` list; `initContainers` as in a pod spec.
 */
function inferenceServiceArtifacts(object: KubeObject): { images: ContainerImage[]; storageUris: string[] } {
  const images: ContainerImage[] = [];
  const storageUris: string[] = [];
  const addUri = (u: unknown): void => {
    if (typeof u === 'string' && u) storageUris.push(u);
    else if (isObject(u) && typeof u.uri === 'string' && u.uri) storageUris.push(u.uri);
  };
  for (const component of KSERVE_COMPONENTS) {
    const spec = get(object, 'spec', component);
    if (!isObject(spec)) continue;
    const pod: ContainerImage[] = [];
    containersOf(spec, 'initContainers', 'initContainer', pod);
    containersOf(spec, 'containers', 'container', pod);
    for (const c of pod) images.push({ ...c, container: `${component}/${c.container}` });
    for (const [key, value] of Object.entries(spec)) {
      if (!isObject(value)) continue;
      addUri(value.storageUri);
      if (Array.isArray(value.storageUris)) value.storageUris.forEach(addUri);
      if (typeof value.image === 'string' && value.image) images.push({ container: `${component}/${key}`, kind: 'container', image: value.image });
    }
    // containers of a custom predictor may carry STORAGE_URI in env
    const containers = get(spec, 'containers');
    if (Array.isArray(containers)) {
      for (const c of containers) {
        const env = get(c, 'env');
        if (!Array.isArray(env)) continue;
        for (const e of env) if (get(e, 'name') === 'STORAGE_URI') addUri(get(e, 'value'));
      }
    }
  }
  return { images, storageUris: [...new Set(storageUris)] };
}

function artifactsOf(kind: string, subResource: string | undefined, object: KubeObject): { images: ContainerImage[]; storageUris: string[] } {
  if (kind === 'InferenceService') return inferenceServiceArtifacts(object);
  const specs = podSpecsOf(kind, object) ?? [];
  if (subResource === 'ephemeralcontainers') return { images: imagesOfPodSpecs(specs, 'ephemeralContainer'), storageUris: [] };
  return { images: imagesOfPodSpecs(specs), storageUris: [] };
}

/** Images of `now` that differ from `before`, by container (a new container counts as changed). */
export function changedImages(now: ContainerImage[], before: ContainerImage[]): ImageChange[] {
  const old = new Map(before.map((c) => [`${c.kind}/${c.container}`, c.image]));
  const out: ImageChange[] = [];
  for (const c of now) {
    const prev = old.get(`${c.kind}/${c.container}`);
    if (prev === c.image) continue;
    out.push(prev === undefined ? { container: c.container, kind: c.kind, to: c.image } : { container: c.container, kind: c.kind, from: prev, to: c.image });
  }
  return out;
}

export interface PlanOptions {
  /** Groups whose members may change a namespace's infrastructure label. */
  adminGroups: readonly string[];
}

/** Decide, without I/O, what the gate does with a request. */
export function planReview(request: AdmissionRequest, options: PlanOptions): GatePlan {
  const kind = request.kind.kind;
  const sub = request.subResource;
  if (kind === 'Namespace' && !request.kind.group && !sub) return planNamespace(request, options);
  if (request.operation === 'DELETE' || request.operation === 'CONNECT') {
    return { action: 'admit', why: `${request.operation} adds nothing to run` };
  }
  if (sub && sub !== 'ephemeralcontainers') return { action: 'admit', why: `the ${sub} subresource adds nothing to run` };
  if (sub === 'ephemeralcontainers' && kind !== 'Pod') return { action: 'admit', why: `${kind}/${sub} is not gated` };
  if (!(GATED_KINDS as readonly string[]).includes(kind)) return { action: 'admit', why: `${kind} is not gated` };
  const object = request.object;
  if (!object) return { action: 'admit', why: 'the request carries no object' };

  const { images, storageUris } = artifactsOf(kind, sub, object);
  let changed: ImageChange[] = [];
  if (request.operation === 'UPDATE' && request.oldObject) {
    changed = changedImages(images, artifactsOf(kind, sub, request.oldObject).images);
  }
  // Annotations: on the object itself; for ephemeral containers the Pod's.
  const annotations = object.metadata?.annotations ?? {};
  const item = annotations[ITEM_ANNOTATION]?.trim();
  const confirmation = annotations[CONFIRM_ANNOTATION]?.trim();
  const resource = request.resource?.resource ?? kind.toLowerCase();
  return {
    action: 'decide',
    workload: {
      uid: request.uid,
      kind,
      resource: sub ? `${resource}/${sub}` : resource,
      namespace: request.namespace ?? object.metadata?.namespace ?? '',
      name: request.name ?? object.metadata?.name ?? '',
      operation: request.operation,
      dryRun: request.dryRun === true,
      username: request.userInfo.username ?? 'unknown',
      ...(item ? { item } : {}),
      ...(confirmation ? { confirmation } : {}),
      images,
      storageUris,
      changed,
    },
  };
}

function planNamespace(request: AdmissionRequest, options: PlanOptions): GatePlan {
  if (request.operation !== 'UPDATE') return { action: 'admit', why: `namespace ${request.operation} does not change a gate` };
  const from = request.oldObject?.metadata?.labels?.[INFRASTRUCTURE_LABEL];
  const to = request.object?.metadata?.labels?.[INFRASTRUCTURE_LABEL];
  if (from === undefined || from === to) return { action: 'admit', why: 'the infrastructure label is unchanged' };
  const groups = request.userInfo.groups ?? [];
  if (groups.some((g) => options.adminGroups.includes(g))) return { action: 'admit', why: 'an admin changed the infrastructure label' };
  return {
    action: 'guard-namespace',
    namespace: request.name ?? request.object?.metadata?.name ?? '',
    from,
    ...(to !== undefined ? { to } : {}),
    username: request.userInfo.username ?? 'unknown',
    groups,
  };
}

/** Every artifact the decision must cover, deduplicated, in a stable order. */
export function artifactsFor(workload: Workload): string[] {
  return [...new Set([...workload.images.map((c) => c.image), ...workload.storageUris])];
}
