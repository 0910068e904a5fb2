import type { Item } from '../schemas/item.js';
import type { DecisionRequest } from './schema.js';
import type { StoreReader } from '../store/types.js';
import { isItemId, parseItemRef } from '../refs/item-ref.js';
import { artifactKey } from '../refs/artifact.js';
import { itemApproval } from './approval.js';

type MaybePromise<T> = T | Promise<T>;

/** Indexed reads the match needs; each may answer synchronously or with a promise. */
export interface MatchLookups {
  itemById(id: string): MaybePromise<Item | undefined>;
  itemByRef(projectKey: string, name: string, version: string): MaybePromise<Item | undefined>;
  itemsByDigest(key: string): MaybePromise<readonly Item[]>;
}

/** The same lookups answering synchronously (in-memory indexes). */
export interface SyncMatchLookups {
  itemById(id: string): Item | undefined;
  itemByRef(projectKey: string, name: string, version: string): Item | undefined;
  itemsByDigest(key: string): readonly Item[];
}

/** A store works as lookups: `get('items', id)` stands in for `itemById`. */
export type StoreLookups = Pick<StoreReader, 'get' | 'itemByRef' | 'itemsByDigest'>;

export interface MatchResult {
  /** The item to decide on. */
  item?: Item;
  /** The request's item reference, when it named no existing item. */
  unknownItemRef?: string;
}

type Lookup =
  | { op: 'id'; id: string }
  | { op: 'ref'; project: string; name: string; version: string }
  | { op: 'digest'; key: string };

/**
 * The match as a sequence of lookups, so that one implementation serves synchronous indexes
 * (the webhook's hot path) and asynchronous stores alike.
 */
function* steps(request: Pick<DecisionRequest, 'item' | 'artifacts'>): Generator<Lookup, MatchResult, unknown> {
  let unknownItemRef: string | undefined;
  if (request.item !== undefined) {
    const ref = request.item;
    const parsed = isItemId(ref) ? undefined : parseItemRef(ref);
    const found = isItemId(ref)
      ? ((yield { op: 'id', id: ref }) as Item | undefined)
      : parsed
        ? ((yield { op: 'ref', project: parsed.project, name: parsed.name, version: parsed.version }) as Item | undefined)
        : undefined;
    if (found) return { item: found };
    unknownItemRef = ref;
  }
  const keys = new Set<string>();
  for (const raw of request.artifacts) {
    const key = artifactKey(raw);
    if (key !== undefined) keys.add(key);
  }
  const hits = new Map<string, { item: Item; count: number }>();
  for (const key of keys) {
    const items = (yield { op: 'digest', key }) as readonly Item[];
    for (const item of items) {
      const h = hits.get(item.id);
      if (h) h.count++;
      else hits.set(item.id, { item, count: 1 });
    }
  }
  const best = pick([...hits.values()], keys);
  const result: MatchResult = {};
  if (best) result.item = best;
  if (unknownItemRef !== undefined) result.unknownItemRef = unknownItemRef;
  return result;
}

/** Most deployed keys covered; on a tie, an approved item whose approval covers the most; then the lowest id. */
function pick(candidates: { item: Item; count: number }[], keys: ReadonlySet<string>): Item | undefined {
  if (candidates.length <= 1) return candidates[0]?.item;
  const scored = candidates.map(({ item, count }) => {
    const a = itemApproval(item);
    let approvedCount = 0;
    if (a.approved) for (const k of keys) if (a.approvedDigests.has(k)) approvedCount++;
    return { item, count, approved: a.approved ? 1 : 0, approvedCount };
  });
  scored.sort((x, y) => y.count - x.count || y.approved - x.approved || y.approvedCount - x.approvedCount || (x.item.id < y.item.id ? -1 : x.item.id > y.item.id ? 1 : 0));
  return scored[0]?.item;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function isStore(l: MatchLookups | StoreLookups): l is StoreLookups {
  return !('itemById' in l);
}

function run(lookups: MatchLookups | StoreLookups, l: Lookup): MaybePromise<unknown> {
  switch (l.op) {
    case 'id':
      return isStore(lookups) ? lookups.get('items', l.id) : lookups.itemById(l.id);
    case 'ref':
      return lookups.itemByRef(l.project, l.name, l.version);
    case 'digest':
      return lookups.itemsByDigest(l.key);
  }
}

/**
 * The item a request is about: the one its `item` (id or `project/name@version`) names when that
 * resolves; otherwise the item whose digests cover the most deployed keys (an approved one on a
 * tie). An `item` that resolves to nothing is returned as `unknownItemRef`. Reads through the
 * indexes only.
 */
export async function matchItem(request: Pick<DecisionRequest, 'item' | 'artifacts'>, lookups: MatchLookups | StoreLookups): Promise<MatchResult> {
  const it = steps(request);
  let next = it.next();
  while (!next.done) {
    const answer = run(lookups, next.value);
    next = it.next(isThenable(answer) ? await answer : answer);
  }
  return next.value;
}

/** {@link matchItem} over synchronous indexes, without a promise. */
export function matchItemSync(request: Pick<DecisionRequest, 'item' | 'artifacts'>, lookups: SyncMatchLookups): MatchResult {
  const it = steps(request);
  let next = it.next();
  while (!next.done) next = it.next(run(lookups, next.value));
  return next.value;
}
