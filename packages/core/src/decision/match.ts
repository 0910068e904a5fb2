import type { Item } from '../schemas/item.js';
import type { DecisionRequest } from './schema.js';
import type { StoreReader } from '../store/types.js';
import { isItemId, parseItemRef, type ItemRef } from '../refs/item-ref.js';
import { BoundedCache } from '../refs/bounded-cache.js';
import { recogniseArtifacts } from '../refs/artifact.js';
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
 * The match as a sequence of lookups, so that one implementation serves asynchronous stores;
 * {@link matchItemSync} does the same steps with direct calls (no generator) for the hot path.
 * Both share {@link classifyRef}, {@link deployedKeys} and {@link Tally}.
 */
function* steps(request: Pick<DecisionRequest, 'item' | 'artifacts'>): Generator<Lookup, MatchResult, unknown> {
  let unknownItemRef: string | undefined;
  if (request.item !== undefined) {
    const ref = request.item;
    const c = classifyRef(ref);
    const found =
      c === ID
        ? ((yield { op: 'id', id: ref }) as Item | undefined)
        : c !== INVALID
          ? ((yield { op: 'ref', project: c.project, name: c.name, version: c.version }) as Item | undefined)
          : undefined;
    if (found) return { item: found };
    unknownItemRef = ref;
  }
  const keys = deployedKeys(request.artifacts);
  const tally = new Tally();
  for (const key of keys) tally.addAll((yield { op: 'digest', key }) as readonly Item[]);
  return matched(tally.best(keys), unknownItemRef);
}

function matched(best: Item | undefined, unknownItemRef: string | undefined): MatchResult {
  const result: MatchResult = {};
  if (best) result.item = best;
  if (unknownItemRef !== undefined) result.unknownItemRef = unknownItemRef;
  return result;
}

const ID = 'id';
const INVALID = 'invalid';
type Classified = typeof ID | typeof INVALID | Readonly<ItemRef>;
/** Item references as requests write them, classified once (bounded). */
const classified = new BoundedCache<Classified>(16_384, 300);

/** An item id, a parsed `project/name@version`, or neither. */
function classifyRef(ref: string): Classified {
  let c = classified.get(ref);
  if (c === undefined) {
    if (isItemId(ref)) c = ID;
    else {
      const parsed = parseItemRef(ref);
      c = parsed ? Object.freeze(parsed) : INVALID;
    }
    classified.set(ref, c);
  }
  return c;
}

/** The distinct matching keys of the deployed artifacts, in order. */
function deployedKeys(artifacts: readonly string[]): readonly string[] {
  const keys: string[] = [];
  const seen = artifacts.length > 16 ? new Set<string>() : undefined;
  for (const { key } of recogniseArtifacts(artifacts)) {
    if (key === undefined) continue;
    if (seen) {
      if (seen.has(key)) continue;
      seen.add(key);
    } else if (keys.includes(key)) continue;
    keys.push(key);
  }
  return keys;
}

/** How many deployed keys each candidate item holds (by item id). */
class Tally {
  private readonly items: Item[] = [];
  private readonly counts: number[] = [];
  private index: Map<string, number> | undefined;

  addAll(items: readonly Item[]): void {
    for (const item of items) this.add(item);
  }

  private add(item: Item): void {
    const i = this.find(item.id);
    if (i >= 0) {
      this.counts[i] = (this.counts[i] ?? 0) + 1;
      return;
    }
    this.index?.set(item.id, this.items.length);
    this.items.push(item);
    this.counts.push(1);
    if (this.index === undefined && this.items.length > 8) this.index = new Map(this.items.map((it, n) => [it.id, n]));
  }

  private find(id: string): number {
    if (this.index) return this.index.get(id) ?? -1;
    for (let i = 0; i < this.items.length; i++) if ((this.items[i] as Item).id === id) return i;
    return -1;
  }

  /** Most deployed keys covered; on a tie, an approved item whose approval covers the most; then the lowest id. */
  best(keys: readonly string[]): Item | undefined {
    if (this.items.length <= 1) return this.items[0];
    const scored = this.items.map((item, n) => {
      const a = itemApproval(item);
      let approvedCount = 0;
      if (a.approved) for (const k of keys) if (a.approvedDigests.has(k)) approvedCount++;
      return { item, count: this.counts[n] ?? 0, approved: a.approved ? 1 : 0, approvedCount };
    });
    scored.sort((x, y) => y.count - x.count || y.approved - x.approved || y.approvedCount - x.approvedCount || (x.item.id < y.item.id ? -1 : x.item.id > y.item.id ? 1 : 0));
    return scored[0]?.item;
  }
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
  let unknownItemRef: string | undefined;
  if (request.item !== undefined) {
    const ref = request.item;
    const c = classifyRef(ref);
    const found = c === ID ? lookups.itemById(ref) : c !== INVALID ? lookups.itemByRef(c.project, c.name, c.version) : undefined;
    if (found) return { item: found };
    unknownItemRef = ref;
  }
  const keys = deployedKeys(request.artifacts);
  // Usually one item holds the deployed keys: the tally is started only when a second one does.
  let only: Item | undefined;
  let onlyCount = 0;
  let tally: Tally | undefined;
  for (const key of keys) {
    const items = lookups.itemsByDigest(key);
    if (tally !== undefined) {
      tally.addAll(items);
      continue;
    }
    for (const item of items) {
      if (only === undefined || only.id === item.id) {
        only ??= item;
        onlyCount++;
      } else if (tally === undefined) {
        tally = new Tally();
        for (let n = 0; n < onlyCount; n++) tally.addAll([only]);
        tally.addAll([item]);
      } else tally.addAll([item]);
    }
  }
  return matched(tally !== undefined ? tally.best(keys) : only, unknownItemRef);
}
