/* Builders for decision tests: valid records (checked against the schemas) and Map indexes. */
import { Item } from '../../schemas/item.js';
import { Infrastructure } from '../../schemas/infrastructure.js';
import type { Policy, UnmatchedAction } from '../../schemas/infrastructure.js';
import type { Signoff, SignoffStatus } from '../../signoff/schema.js';
import { itemDigestKeys } from '../../refs/artifact.js';
import type { SyncMatchLookups } from '../match.js';

export const T = '2026-01-01T00:00:00.000Z';

export function signoff(status: SignoffStatus, approvedDigests?: readonly string[]): Signoff {
  return {
    status,
    round: 1,
    feedback: [],
    delegations: [],
    notified: [],
    updatedAt: T,
    ...(status === 'Approved' || status === 'Rejected'
      ? { finalApproval: { author: 'usr_fiona', authorKind: 'user' as const, status, comment: '', createdAt: T, updatedAt: T } }
      : {}),
    ...(approvedDigests ? { approvedDigests: [...approvedDigests], approvedAt: T } : {}),
  };
}

export interface ItemSpec {
  id: string;
  projectId?: string;
  name: string;
  version: string;
  kind?: 'bundle' | 'modelVersion';
  images?: string[];
  storage?: { uri: string; checksum?: string }[];
  /** Step id → sign-off; default one Review sign-off. */
  signoffs?: Record<string, Signoff>;
}

export function makeItem(spec: ItemSpec): Item {
  const artifacts = { images: spec.images ?? [], storage: spec.storage ?? [] };
  return Item.parse({
    id: spec.id,
    kind: spec.kind ?? 'bundle',
    projectId: spec.projectId ?? 'prj_shop',
    name: spec.name,
    version: spec.version,
    artifacts,
    digests: itemDigestKeys(artifacts),
    importance: 'High',
    workflow: { templateId: 'standard-item', steps: [{ id: 'review', status: 'Ongoing' }] },
    signoffs: spec.signoffs ?? {},
    createdBy: 'usr_olivia',
    createdAt: T,
    updatedAt: T,
  });
}

export function makeInfra(id: string, policy: Policy, opts: { requireConfirmation?: boolean; unmatched?: UnmatchedAction; production?: boolean } = {}): Infrastructure {
  return Infrastructure.parse({
    id,
    name: id,
    policy,
    requireConfirmation: opts.requireConfirmation ?? false,
    ...(opts.unmatched ? { unmatched: opts.unmatched } : {}),
    production: opts.production ?? false,
    createdAt: T,
    updatedAt: T,
  });
}

/** In-memory indexes over items: by id, by `project/name@version`, by digest key. */
export function indexes(items: readonly Item[], projectKeys: Readonly<Record<string, string>>): SyncMatchLookups & { refOf(item: Item): string } {
  const byId = new Map<string, Item>();
  const byRef = new Map<string, Item>();
  const byDigest = new Map<string, Item[]>();
  const refOf = (item: Item) => `${projectKeys[item.projectId] ?? item.projectId}/${item.name}@${item.version}`;
  for (const item of items) {
    byId.set(item.id, item);
    byRef.set(refOf(item), item);
    for (const key of item.digests) {
      const list = byDigest.get(key);
      if (list) list.push(item);
      else byDigest.set(key, [item]);
    }
  }
  return {
    itemById: (id) => byId.get(id),
    itemByRef: (p, n, v) => byRef.get(`${p}/${n}@${v}`),
    itemsByDigest: (key) => byDigest.get(key) ?? [],
    refOf,
  };
}
