import { AsyncLocalStorage } from 'node:async_hooks';
import { ErrorCode, SignoffFault, err, issuesFromZod, type Result, type SignoffError } from '../result.js';
import { AuditEvent, type AuditEventInput, type AuditVerification } from '../audit/schema.js';
import { chainEvent, verifyChain } from '../audit/chain.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { ApiKey, User } from '../schemas/principal.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import { collectionNames, collections, type CollectionName, type Entity } from './collections.js';
import type { AuditQuery, StoreReader, StoreTx } from './types.js';

/**
 * The shared in-memory state of every adapter that keeps its data in memory (memory, lowdb):
 * records per collection, incremental secondary indexes, the audit log, and the transaction
 * machinery (serialised queue, overlay of a transaction's writes, validation, commit).
 * An adapter supplies only `persist`, which makes a commit durable before it is applied.
 */

type AnyRecord = { id: string } & Record<string, unknown>;

/** One committed transaction: what persistence writes (a journal line, a SQL transaction…). */
export interface CommitBatch {
  puts: { collection: CollectionName; record: AnyRecord }[];
  removes: { collection: CollectionName; id: string }[];
  audit: AuditEvent[];
}

/** Everything a store holds, as plain data (what a snapshot file holds). */
export interface StoreData {
  collections: { [C in CollectionName]?: Entity<C>[] };
  audit: AuditEvent[];
}

export type Persist = (batch: CommitBatch) => Promise<void>;

/** Thrown by a `put` that fails validation; the transaction turns it into a VALIDATION result. */
class TxValidationFault extends SignoffFault {
  constructor(readonly error: SignoffError) {
    super(error.code, error.message);
  }
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Shares structurally equal sub-objects (objects and arrays below the record itself) between
 * committed items: governed items of one project repeat most of their structure (workflow steps,
 * sign-off history, reviewers), and each record would otherwise hold its own copy. Records are
 * deep-frozen, so a shared sub-object is indistinguishable from a copy except by identity.
 *
 * Nodes are hashed bottom-up (32-bit FNV-1a over keys, primitives and the children's hashes) and
 * compared shallowly within a hash bucket (their children are already shared, so identity
 * decides). A node holding a child seen for the first time cannot equal a node of an earlier
 * record: it is neither looked up in nor added to the table, so the unique parts of a record cost
 * no table entry; it is shared within its own record only, through a table of the walk dropped
 * after it. A string is seen for the first time when no earlier record held it (a bitmap of
 * string hashes; a false "seen" costs one table entry): the arrays of an item's own images and
 * digests are not kept (at 100k items they were 300k entries, a 14 MiB table for nothing shared).
 */
export class Interner {
  /**
   * Hash → the kept node, or the nodes when several share a hash. One entry per kept node, no
   * per-node hash cache: a parent's hash is computed from its children's in the same walk (a
   * `WeakMap` of hashes and one-element bucket arrays took 22 MiB of a 100k-item store).
   */
  private readonly table: NodeTable = new Map();
  /** Nodes of the record being walked that hold a new string: shared within it, dropped after it. */
  private readonly local: NodeTable = new Map();
  /** Out-parameters of `node`, so that the walk allocates nothing but the nodes it keeps. */
  private known = false;
  private hash = 0;

  /**
   * While a file loads: one copy of each equal string value of the items read (JSON.parse gives
   * each occurrence its own: timestamps, user ids, statuses, digests repeated in approvals).
   * Dropped after the load, so it keeps nothing alive.
   */
  private strings: Map<string, string> | undefined;

  /** Runs `fn` with string sharing on (loading a file). */
  loading<T>(fn: () => T): T {
    this.strings = new Map();
    try {
      return fn();
    } finally {
      this.strings = undefined;
    }
  }

  private string(s: string): string {
    const strings = this.strings;
    if (strings === undefined || s.length > 256) return s;
    const known = strings.get(s);
    if (known !== undefined) return known;
    strings.set(s, s);
    return s;
  }

  /**
   * Hashes of the strings earlier records held, one bit each (see `seenString`). Starts small (a
   * store per test) and is replaced by one four times larger, empty, when an eighth of its bits
   * are set: strings seen before then count as new once more, which only delays their sharing.
   */
  private seen = new Int32Array(1 << 11);
  private seenCount = 0;
  /** Hashes of the strings of the record being walked: marked seen by `endRecord`. */
  private readonly walked: number[] = [];

  private seenString(h: number): boolean {
    const bit = h & (this.seen.length * 32 - 1);
    return (this.seen[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** After a record's walk: its strings count as seen from the next record on; its walk table is dropped. */
  private endRecord(): void {
    for (const h of this.walked) {
      const bit = h & (this.seen.length * 32 - 1);
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if ((this.seen[word]! & mask) !== 0) continue;
      this.seen[word]! |= mask;
      if (++this.seenCount > this.seen.length * 4 && this.seen.length < MAX_SEEN_WORDS) {
        this.seen = new Int32Array(Math.min(this.seen.length * 4, MAX_SEEN_WORDS));
        this.seenCount = 0;
      }
    }
    this.walked.length = 0;
    this.local.clear();
  }

  /** A frozen copy of `record` whose sub-objects are shared with earlier records where equal. */
  record<T extends object>(record: T): T {
    const out: Record<string, unknown> = {};
    try {
      for (const [k, v] of Object.entries(record)) out[k] = this.node(v);
    } finally {
      this.endRecord();
    }
    return Object.freeze(out) as T;
  }

  /** How many distinct sub-objects are kept (tests). */
  size(): number {
    let n = 0;
    for (const kept of this.table.values()) n += isBucket(kept) ? kept.length : 1;
    return n;
  }

  /**
   * The shared copy of `v`. Sets `this.known` (a string an earlier record held, a primitive, or a
   * node found in the table: a parent is looked up in the table only when all its children are
   * known, else in the walk's table) and `this.hash`.
   */
  private node(v: unknown): unknown {
    if (typeof v === 'string') {
      const h = mix(STRING_SEED, v);
      this.known = this.seenString(h);
      this.hash = h;
      this.walked.push(h);
      return this.string(v);
    }
    if (v === null || typeof v !== 'object') {
      this.known = true;
      this.hash = mix(0x811c9dc5, `${typeof v}${String(v)}`);
      return v;
    }
    const array = Array.isArray(v);
    const entries: [string, unknown][] = array ? (v as unknown[]).map((c, i) => [String(i), c]) : Object.entries(v);
    let allKnown = true;
    let h = mix(0x811c9dc5, array ? '[' : '{');
    const children: [string, unknown][] = [];
    for (const [k, c] of entries) {
      const value = this.node(c);
      children.push([k, value]);
      if (!this.known) allKnown = false;
      if (!array) h = mix(h, k);
      h = mixInt(h, this.hash);
    }
    this.hash = h;
    // A node with a new string is shared within its own record only (an item's approved digests
    // and its digests): a table of the walk, emptied after it.
    const table = allKnown ? this.table : this.local;
    const hit = find(table, h, children, array);
    if (hit) {
      this.known = allKnown;
      return hit;
    }
    const value = Object.freeze(array ? children.map(([, c]) => c) : Object.fromEntries(children)) as object;
    keep(table, h, value);
    this.known = false;
    return value;
  }
}

/** The largest seen-strings bitmap: 2^23 bits (1 MiB), an eighth full at a million strings. */
const MAX_SEEN_WORDS = 1 << 18;

type NodeTable = Map<number, object | object[]>;

/** Buckets are the only unfrozen arrays in a table (kept nodes are frozen). */
function isBucket(v: object): v is object[] {
  return Array.isArray(v) && !Object.isFrozen(v);
}

function find(table: NodeTable, h: number, children: [string, unknown][], array: boolean): object | undefined {
  const kept = table.get(h);
  if (kept === undefined) return undefined;
  if (!isBucket(kept)) return sameShallow(kept, children, array) ? kept : undefined;
  for (const candidate of kept) if (sameShallow(candidate, children, array)) return candidate;
  return undefined;
}

function keep(table: NodeTable, h: number, value: object): void {
  const kept = table.get(h);
  if (kept === undefined) table.set(h, value);
  else if (isBucket(kept)) kept.push(value);
  else table.set(h, [kept, value]);
}

const STRING_SEED = Math.imul(0x811c9dc5 ^ 0x73, 0x01000193); // FNV-1a of "s"

function mix(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ 0xff, 0x01000193);
}

function mixInt(h: number, n: number): number {
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ ((n >>> (8 * i)) & 0xff), 0x01000193);
  return h;
}

function sameShallow(candidate: object, children: [string, unknown][], array: boolean): boolean {
  if (Array.isArray(candidate) !== array) return false;
  const keys = Object.keys(candidate);
  if (keys.length !== children.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const [k, c] = children[i]!;
    if (keys[i] !== k || !Object.is((candidate as Record<string, unknown>)[k], c)) return false;
  }
  return true;
}

/** The ids under one key of a secondary index: the id itself while it is the only one (nearly every digest), else a Set (a Set per digest took 15 MiB of a 100k-item store). */
type Ids = string | Set<string>;

function addId(index: Map<string, Ids>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === undefined) index.set(key, id);
  else if (typeof ids !== 'string') ids.add(id);
  else if (ids !== id) index.set(key, new Set([ids, id]));
}

function removeId(index: Map<string, Ids>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === undefined) return;
  if (typeof ids === 'string') {
    if (ids === id) index.delete(key);
    return;
  }
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
  else if (ids.size === 1) index.set(key, firstOf(ids)!);
}

function idsOf(ids: Ids | undefined): Iterable<string> {
  return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids;
}

function firstOf(ids: Ids | undefined): string | undefined {
  if (ids === undefined || typeof ids === 'string') return ids;
  for (const v of ids) return v;
  return undefined;
}

/**
 * The item index's key. Joined, not a template literal: a template literal makes a rope of four
 * nodes that a Map keeps as it is (128 bytes more per item, 12 MiB at 100k items).
 */
const refKey = (projectId: string, name: string, version: string) => [projectId, name, version].join('\u0000');

/**
 * The keys that at most one record of a collection may hold (project key, item ref, username, API
 * key prefix): which committed index holds them, the key of a record, and how a clash names it.
 * The load check, a transaction's check and lookups, and the indexes all read this one table.
 */
interface UniqueKey {
  index(state: StoreState): Map<string, string>;
  of(r: AnyRecord): string;
  describe(r: AnyRecord): string;
}
const asItem = (r: AnyRecord) => r as unknown as Item;
const UNIQUE_KEYS: Partial<Record<CollectionName, UniqueKey>> = {
  projects: { index: (s) => s.projectIdByKey, of: (r) => (r as unknown as Project).key, describe: (r) => `project key "${(r as unknown as Project).key}"` },
  items: {
    index: (s) => s.itemIdByRef,
    of: (r) => refKey(asItem(r).projectId, asItem(r).name, asItem(r).version),
    describe: (r) => `item ${asItem(r).name}@${asItem(r).version} in project ${asItem(r).projectId}`,
  },
  users: { index: (s) => s.userIdByUsername, of: (r) => (r as unknown as User).username, describe: (r) => `username "${(r as unknown as User).username}"` },
  apiKeys: { index: (s) => s.apiKeyIdByPrefix, of: (r) => (r as unknown as ApiKey).prefix, describe: (r) => `API key prefix "${(r as unknown as ApiKey).prefix}"` },
};

// Built once: zod compiles a schema on first use, so a `pick` per call costs more than the check.
const AuditEventInputCheck = AuditEvent.pick({ at: true, actor: true, actorKind: true, action: true, subject: true });

/** Validates a record against its collection's schema; returns the parsed (defaulted) record. */
export function validateRecord<C extends CollectionName>(
  collection: C,
  record: unknown,
): Result<Entity<C>> {
  const schema = collections[collection];
  if (!schema) return err(ErrorCode.VALIDATION, `unknown collection "${String(collection)}"`);
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues);
    const first = issues[0];
    const where = first ? `${first.path.join('.') || '(record)'}: ${first.message}` : 'invalid';
    return err(ErrorCode.VALIDATION, `invalid ${collection} record: ${where}`, issues);
  }
  return { ok: true, value: parsed.data as Entity<C> };
}

/** Committed state plus its indexes. Mutated only by `apply` and `appendAudit`. */
export class StoreState {
  readonly records = new Map<CollectionName, Map<string, AnyRecord>>();
  readonly audit: AuditEvent[] = [];
  /** A subject's events: the event itself while it is the only one (each deployment's), else a list. */
  readonly auditBySubject = new Map<string, AuditEvent | AuditEvent[]>();
  // secondary indexes (incremental)
  readonly projectIdByKey = new Map<string, string>();
  readonly itemIdByRef = new Map<string, string>();
  readonly itemIdsByDigest = new Map<string, Ids>();
  readonly infraIdsByNamespace = new Map<string, Ids>();
  readonly userIdByUsername = new Map<string, string>();
  readonly apiKeyIdByPrefix = new Map<string, string>();
  /** Shared sub-objects of items (see Interner). */
  readonly interner = new Interner();

  constructor() {
    for (const c of collectionNames) this.records.set(c, new Map());
  }

  table(collection: CollectionName): Map<string, AnyRecord> {
    const t = this.records.get(collection);
    if (!t) throw new SignoffFault(ErrorCode.VALIDATION, `unknown collection "${String(collection)}"`);
    return t;
  }

  /**
   * Loads plain data, validating every record and audit event; throws a SignoffFault with
   * `code` (STORE_CORRUPT for files, VALIDATION for in-memory initial data) naming the bad field.
   */
  load(data: StoreData, code: ErrorCode = ErrorCode.STORE_CORRUPT, source = 'store data'): void {
    this.interner.loading(() => this.loadRecords(data, code, source));
  }

  private loadRecords(data: StoreData, code: ErrorCode, source: string): void {
    for (const c of collectionNames) {
      const list = data.collections[c] ?? [];
      if (!Array.isArray(list)) throw new SignoffFault(code, `${source}: collection "${c}" is not an array`);
      list.forEach((raw, i) => {
        const v = validateRecord(c, raw);
        if (!v.ok) throw new SignoffFault(code, `${source}: ${c}[${i}]: ${v.error.message}`);
        const rec = v.value as AnyRecord;
        if (this.table(c).has(rec.id)) throw new SignoffFault(code, `${source}: ${c}[${i}]: duplicate id "${rec.id}"`);
        const clash = this.uniqueClash(c, rec);
        if (clash) throw new SignoffFault(code, `${source}: ${c}[${i}]: ${clash}`);
        // Items share their equal parts, as committed ones do (see Interner): a file of 100k items
        // loaded without it held 4.5 KiB of heap per item instead of 1.6.
        this.put(c, c === 'items' ? this.interner.record(rec) : deepFreeze(rec));
      });
    }
    for (const c of Object.keys(data.collections)) {
      if (!(c in collections)) throw new SignoffFault(code, `${source}: unknown collection "${c}"`);
    }
    const audit = data.audit as unknown;
    if (!Array.isArray(audit)) throw new SignoffFault(code, `${source}: audit is not an array`);
    audit.forEach((raw, i) => {
      const parsed = AuditEvent.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new SignoffFault(code, `${source}: audit[${i}].${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
      }
      this.appendAudit(deepFreeze(parsed.data));
    });
  }

  /** Describes a clash of a record's unique key with another committed record, if any. */
  uniqueClash(collection: CollectionName, r: AnyRecord): string | undefined {
    const unique = UNIQUE_KEYS[collection];
    if (!unique) return undefined;
    const other = unique.index(this).get(unique.of(r));
    return other !== undefined && other !== r.id ? `${unique.describe(r)} is already used by ${collection}/${other}` : undefined;
  }

  /** Applies validated, frozen records and removals (the commit of a transaction). */
  applyBatch(batch: CommitBatch): void {
    for (const { collection, id } of batch.removes) this.remove(collection, id);
    for (const { collection, record } of batch.puts) this.put(collection, record);
    for (const e of batch.audit) this.appendAudit(e);
  }

  put(collection: CollectionName, record: AnyRecord): void {
    const table = this.table(collection);
    const before = table.get(record.id);
    if (before) this.unindex(collection, before);
    table.set(record.id, record);
    this.index(collection, record);
  }

  remove(collection: CollectionName, id: string): void {
    const table = this.table(collection);
    const before = table.get(id);
    if (!before) return;
    this.unindex(collection, before);
    table.delete(id);
  }

  appendAudit(event: AuditEvent): void {
    this.audit.push(event);
    const known = this.auditBySubject.get(event.subject);
    // most subjects have one event (each deployment's): kept as it is, a list only from the second
    // (a one-element list was 56 bytes more per recorded deployment)
    if (known === undefined) this.auditBySubject.set(event.subject, event);
    else if (Array.isArray(known)) known.push(event);
    else this.auditBySubject.set(event.subject, [known, event]);
  }

  lastAudit(): AuditEvent | undefined {
    return this.audit[this.audit.length - 1];
  }

  snapshot(): StoreData {
    const out: StoreData = { collections: {}, audit: this.audit.slice() };
    for (const c of collectionNames) {
      (out.collections as Record<string, unknown[]>)[c] = [...this.table(c).values()];
    }
    return out;
  }

  private index(collection: CollectionName, r: AnyRecord): void {
    const unique = UNIQUE_KEYS[collection];
    if (unique) unique.index(this).set(unique.of(r), r.id);
    if (collection === 'items') {
      for (const d of asItem(r).digests) addId(this.itemIdsByDigest, d, r.id);
    } else if (collection === 'infrastructures') {
      for (const ns of (r as unknown as Infrastructure).namespaces) addId(this.infraIdsByNamespace, ns, r.id);
    }
  }

  private unindex(collection: CollectionName, r: AnyRecord): void {
    const unique = UNIQUE_KEYS[collection];
    if (unique) {
      const index = unique.index(this);
      const key = unique.of(r);
      if (index.get(key) === r.id) index.delete(key);
    }
    if (collection === 'items') {
      for (const d of asItem(r).digests) removeId(this.itemIdsByDigest, d, r.id);
    } else if (collection === 'infrastructures') {
      for (const ns of (r as unknown as Infrastructure).namespaces) removeId(this.infraIdsByNamespace, ns, r.id);
    }
  }
}

/** Index of the first event with seq > afterSeq in a seq-sorted list. */
function firstAfter(list: readonly AuditEvent[], afterSeq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function eventsOf(known: AuditEvent | AuditEvent[] | undefined): readonly AuditEvent[] {
  return known === undefined ? [] : Array.isArray(known) ? known : [known];
}

function queryAudit(state: StoreState, q: AuditQuery = {}): AuditEvent[] {
  const source = q.subject !== undefined ? eventsOf(state.auditBySubject.get(q.subject)) : state.audit;
  const start = q.afterSeq !== undefined ? firstAfter(source, q.afterSeq) : 0;
  const limit = q.limit !== undefined ? Math.max(0, Math.floor(q.limit)) : Infinity;
  const prefix = q.subjectPrefix;
  const out: AuditEvent[] = [];
  if (limit === 0) return out;
  if (q.reverse) {
    for (let i = source.length - 1; i >= start && out.length < limit; i--) {
      const e = source[i]!;
      if (prefix === undefined || e.subject.startsWith(prefix)) out.push(e);
    }
  } else {
    for (let i = start; i < source.length && out.length < limit; i++) {
      const e = source[i]!;
      if (prefix === undefined || e.subject.startsWith(prefix)) out.push(e);
    }
  }
  return out;
}

/** Reads of the committed state. */
class CommittedReader implements StoreReader {
  constructor(protected readonly state: StoreState) {}

  get<C extends CollectionName>(collection: C, id: string): Promise<Entity<C> | undefined> {
    return Promise.resolve(this.state.table(collection).get(id) as Entity<C> | undefined);
  }
  list<C extends CollectionName>(collection: C, filter?: (record: Entity<C>) => boolean): Promise<Entity<C>[]> {
    const table = this.state.table(collection);
    if (!filter) return Promise.resolve([...table.values()] as Entity<C>[]);
    // Filtered without first copying the whole table (the scheduler filters 100k items a minute).
    const out: Entity<C>[] = [];
    for (const r of table.values()) if (filter(r as Entity<C>)) out.push(r as Entity<C>);
    return Promise.resolve(out);
  }
  count(collection: CollectionName): Promise<number> {
    return Promise.resolve(this.state.table(collection).size);
  }
  projectByKey(key: string): Promise<Project | undefined> {
    const id = this.state.projectIdByKey.get(key);
    return this.get('projects', id ?? '');
  }
  async itemByRef(projectKey: string, name: string, version: string): Promise<Item | undefined> {
    const project = await this.projectByKey(projectKey);
    if (!project) return undefined;
    const id = this.state.itemIdByRef.get(refKey(project.id, name, version));
    return id === undefined ? undefined : this.get('items', id);
  }
  itemsByDigest(key: string): Promise<Item[]> {
    const items = this.state.table('items');
    return Promise.resolve(Array.from(idsOf(this.state.itemIdsByDigest.get(key)), (id) => items.get(id) as unknown as Item));
  }
  infrastructureByNamespace(namespace: string): Promise<Infrastructure | undefined> {
    const id = firstOf(this.state.infraIdsByNamespace.get(namespace));
    return this.get('infrastructures', id ?? '');
  }
  userByUsername(username: string): Promise<User | undefined> {
    return this.get('users', this.state.userIdByUsername.get(username) ?? '');
  }
  apiKeyByPrefix(prefix: string): Promise<ApiKey | undefined> {
    return this.get('apiKeys', this.state.apiKeyIdByPrefix.get(prefix) ?? '');
  }
  audit(query?: AuditQuery): Promise<AuditEvent[]> {
    return Promise.resolve(queryAudit(this.state, query));
  }
}

/** A transaction: an overlay of writes over the committed state. */
class Transaction implements StoreTx {
  /** collection → id → record, or null when removed in this transaction. */
  readonly writes = new Map<CollectionName, Map<string, AnyRecord | null>>();
  readonly auditInputs: AuditEventInput[] = [];
  /** `collection NUL unique key` → the last record this transaction wrote with it. */
  private readonly pendingKeys = new Map<string, AnyRecord>();
  failure: SignoffError | undefined;
  closed = false;

  constructor(private readonly state: StoreState) {}

  private overlay(collection: CollectionName): Map<string, AnyRecord | null> | undefined {
    return this.writes.get(collection);
  }

  private assertOpen(): void {
    if (this.closed) throw new SignoffFault(ErrorCode.CONFLICT, 'this transaction has already finished');
  }

  private lookup(collection: CollectionName, id: string): AnyRecord | undefined {
    const o = this.overlay(collection);
    if (o?.has(id)) return o.get(id) ?? undefined;
    return this.state.table(collection).get(id);
  }

  /** Resolves a unique index: the committed hit unless overwritten here, else a match among this transaction's writes. */
  private unique(collection: CollectionName, key: string): AnyRecord | undefined {
    const spec = UNIQUE_KEYS[collection]!;
    const committedId = spec.index(this.state).get(key);
    const o = this.overlay(collection);
    if (committedId !== undefined) {
      if (!o?.has(committedId)) return this.state.table(collection).get(committedId);
      const mine = o.get(committedId);
      if (mine && spec.of(mine) === key) return mine;
    }
    // This transaction's own write holding the key (an entry is stale once its id was written
    // again; a current one was stored under this very key, so it matches).
    const pending = this.pendingKeys.get(`${collection}\u0000${key}`);
    return pending && o?.get(pending.id) === pending ? pending : undefined;
  }

  get<C extends CollectionName>(collection: C, id: string): Promise<Entity<C> | undefined> {
    return Promise.resolve(this.lookup(collection, id) as Entity<C> | undefined);
  }

  list<C extends CollectionName>(collection: C, filter?: (record: Entity<C>) => boolean): Promise<Entity<C>[]> {
    const o = this.overlay(collection);
    const out: Entity<C>[] = [];
    for (const [id, r] of this.state.table(collection)) {
      const rec = o?.has(id) ? o.get(id) : r;
      if (rec && (!filter || filter(rec as Entity<C>))) out.push(rec as Entity<C>);
    }
    if (o) {
      for (const [id, r] of o) {
        if (r && !this.state.table(collection).has(id) && (!filter || filter(r as Entity<C>))) out.push(r as Entity<C>);
      }
    }
    return Promise.resolve(out);
  }

  count(collection: CollectionName): Promise<number> {
    let n = this.state.table(collection).size;
    const o = this.overlay(collection);
    if (o) {
      for (const [id, r] of o) {
        const committed = this.state.table(collection).has(id);
        if (r && !committed) n++;
        if (!r && committed) n--;
      }
    }
    return Promise.resolve(n);
  }

  projectByKey(key: string): Promise<Project | undefined> {
    return Promise.resolve(this.unique('projects', key) as Project | undefined);
  }

  async itemByRef(projectKey: string, name: string, version: string): Promise<Item | undefined> {
    const project = await this.projectByKey(projectKey);
    if (!project) return undefined;
    return this.unique('items', refKey(project.id, name, version)) as Item | undefined;
  }

  itemsByDigest(key: string): Promise<Item[]> {
    const o = this.overlay('items');
    const out: Item[] = [];
    const committed = this.state.itemIdsByDigest.get(key);
    const items = this.state.table('items');
    for (const id of idsOf(committed)) if (!o?.has(id)) out.push(items.get(id) as unknown as Item);
    if (o) for (const r of o.values()) if (r && (r as unknown as Item).digests.includes(key)) out.push(r as unknown as Item);
    return Promise.resolve(out);
  }

  infrastructureByNamespace(namespace: string): Promise<Infrastructure | undefined> {
    const matches = (r: AnyRecord) => (r as unknown as Infrastructure).namespaces.includes(namespace);
    const o = this.overlay('infrastructures');
    const committed = this.state.infraIdsByNamespace.get(namespace);
    for (const id of idsOf(committed)) {
      const r = this.lookup('infrastructures', id);
      if (r && matches(r)) return Promise.resolve(r as unknown as Infrastructure);
    }
    if (o) for (const r of o.values()) if (r && matches(r)) return Promise.resolve(r as unknown as Infrastructure);
    return Promise.resolve(undefined);
  }

  userByUsername(username: string): Promise<User | undefined> {
    return Promise.resolve(this.unique('users', username) as User | undefined);
  }

  apiKeyByPrefix(prefix: string): Promise<ApiKey | undefined> {
    return Promise.resolve(this.unique('apiKeys', prefix) as ApiKey | undefined);
  }

  /** Committed audit events only: this transaction's own events get their seq at commit. */
  audit(query?: AuditQuery): Promise<AuditEvent[]> {
    return Promise.resolve(queryAudit(this.state, query));
  }

  private fail(error: SignoffError): never {
    // the first failure wins; the transaction can no longer commit
    this.failure ??= error;
    throw new TxValidationFault(error);
  }

  put<C extends CollectionName>(collection: C, record: Entity<C>): Entity<C> {
    this.assertOpen();
    const v = validateRecord(collection, record);
    if (!v.ok) this.fail(v.error);
    const rec = collection === 'items' ? this.state.interner.record(v.value) : deepFreeze(v.value as unknown as AnyRecord);
    const key = this.checkUnique(collection, rec);
    let o = this.writes.get(collection);
    if (!o) this.writes.set(collection, (o = new Map<string, AnyRecord | null>()));
    o.set(rec.id, rec);
    // Indexed, so a transaction writing n records checks each against the others in O(1), not O(n).
    if (key !== undefined) this.pendingKeys.set(`${collection}\u0000${key}`, rec);
    return rec as unknown as Entity<C>;
  }

  /**
   * Keys the indexes treat as unique: project key, item ref, username, API key prefix. Returns
   * the record's unique key, if its collection has one.
   */
  private checkUnique(collection: CollectionName, rec: AnyRecord): string | undefined {
    const spec = UNIQUE_KEYS[collection];
    if (!spec) return undefined;
    const key = spec.of(rec);
    const clash = this.unique(collection, key);
    if (clash && clash.id !== rec.id) {
      this.fail({ code: ErrorCode.CONFLICT, message: `${spec.describe(rec)} is already used by ${collection}/${clash.id}` });
    }
    return key;
  }

  remove(collection: CollectionName, id: string): void {
    this.assertOpen();
    if (!(collection in collections)) this.fail({ code: ErrorCode.VALIDATION, message: `unknown collection "${String(collection)}"` });
    let o = this.writes.get(collection);
    if (!o) this.writes.set(collection, (o = new Map<string, AnyRecord | null>()));
    o.set(id, null);
  }

  appendAudit(event: AuditEventInput): void {
    this.assertOpen();
    const parsed = AuditEventInputCheck.safeParse(event);
    if (!parsed.success) {
      const issues = issuesFromZod(parsed.error.issues);
      this.fail({ code: ErrorCode.VALIDATION, message: `invalid audit event: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, issues });
    }
    this.auditInputs.push({ ...event });
  }

  /** The batch to persist and apply; audit events chained after the committed head. */
  batch(): CommitBatch {
    const batch: CommitBatch = { puts: [], removes: [], audit: [] };
    for (const [collection, o] of this.writes) {
      for (const [id, r] of o) {
        if (r) batch.puts.push({ collection, record: r });
        else if (this.state.table(collection).has(id)) batch.removes.push({ collection, id });
      }
    }
    let prev = this.state.lastAudit();
    for (const input of this.auditInputs) {
      const e = deepFreeze(chainEvent(input, prev));
      batch.audit.push(e);
      prev = e;
    }
    return batch;
  }
}

export interface EngineOptions {
  persist?: Persist;
  /** Queued after each commit (e.g. to compact a journal): runs alone, after the transaction has answered. */
  afterCommit?: () => Promise<void>;
}

/**
 * Whether `transaction()` refuses to be called inside a transaction callback of the same store
 * (which would otherwise wait for itself forever). Knowing which callback is running across its
 * awaits takes an AsyncLocalStorage. Before Node 24 that is built on promise hooks, which slow
 * down every promise of the process (measured on Node 20: 15–20 % of the server's CPU per
 * decision); from Node 24 on it is carried by AsyncContextFrame at no such cost. So the guard is
 * on where it is cheap, and wherever `SIGNOFF_STORE_GUARD=1` asks for it (the test suites set it,
 * so our code is checked on every runtime); `SIGNOFF_STORE_GUARD=0` turns it off.
 */
export function nestedTransactionGuard(
  nodeVersion: string = process.versions.node,
  env: Record<string, string | undefined> = process.env,
  execArgv: readonly string[] = process.execArgv,
): boolean {
  if (env.SIGNOFF_STORE_GUARD === '1') return true;
  if (env.SIGNOFF_STORE_GUARD === '0') return false;
  const major = Number(nodeVersion.split('.')[0]);
  return major >= 24 && !execArgv.includes('--no-async-context-frame');
}

/** The transaction whose callback is running (work it started keeps the context after it ends); undefined when the guard is off. */
const activeTx = nestedTransactionGuard() ? new AsyncLocalStorage<{ engine: StoreEngine; tx: Transaction }>() : undefined;

/**
 * The store's behaviour over a StoreState: serialised transactions, reads, audit.
 * Adapters wrap it and add persistence and `close`.
 */
export class StoreEngine extends CommittedReader {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly persist: Persist;
  private readonly afterCommit: (() => Promise<void>) | undefined;

  constructor(state: StoreState, options: EngineOptions = {}) {
    super(state);
    this.persist = options.persist ?? (() => Promise.resolve());
    this.afterCommit = options.afterCommit;
  }

  get committed(): StoreState {
    return this.state;
  }

  /** Runs `fn` after every queued transaction (used for close and maintenance). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  markClosed(): void {
    this.closed = true;
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<Result<T>> | Result<T>): Promise<Result<T>> {
    const outer = activeTx?.getStore();
    if (outer?.engine === this && !outer.tx.closed) {
      return Promise.reject(
        new SignoffFault(ErrorCode.CONFLICT, 'store.transaction() called inside a transaction of the same store: use the tx you were given'),
      );
    }
    if (this.closed) return Promise.reject(new SignoffFault(ErrorCode.UNAVAILABLE, 'the store is closed'));
    return this.exclusive(async () => {
      if (this.closed) throw new SignoffFault(ErrorCode.UNAVAILABLE, 'the store is closed');
      const tx = new Transaction(this.state);
      let result: Result<T>;
      try {
        result = await (activeTx ? activeTx.run({ engine: this, tx }, () => fn(tx)) : fn(tx));
      } catch (e) {
        tx.closed = true;
        if (e instanceof TxValidationFault) return { ok: false, error: tx.failure ?? e.error };
        throw e;
      }
      tx.closed = true;
      if (tx.failure) return { ok: false, error: tx.failure };
      if (!result.ok) return result;
      const batch = tx.batch();
      if (batch.puts.length > 0 || batch.removes.length > 0 || batch.audit.length > 0) {
        await this.persist(batch);
        this.state.applyBatch(batch);
        // maintenance (e.g. journal compaction) runs after this transaction has answered
        if (this.afterCommit) void this.exclusive(this.afterCommit).catch(() => undefined);
      }
      return result;
    });
  }

  verifyAudit(): Promise<AuditVerification> {
    return Promise.resolve(verifyChain(this.state.audit));
  }
}
