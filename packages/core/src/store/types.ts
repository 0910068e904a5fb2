import type { Result } from '../result.js';
import type { AuditEvent, AuditEventInput, AuditVerification } from '../audit/schema.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { ApiKey, User } from '../schemas/principal.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import type { CollectionName, Entity } from './collections.js';

export interface AuditQuery {
  /** Exact subject, e.g. `items/itm_1`. */
  subject?: string;
  /** Subjects starting with this prefix, e.g. `items/`. */
  subjectPrefix?: string;
  afterSeq?: number;
  /** Newest first when true. */
  reverse?: boolean;
  limit?: number;
}

/**
 * Read side of a store. Lookups by key are indexed: none of them scans a collection.
 * Records returned are validated and must be treated as immutable.
 */
export interface StoreReader {
  get<C extends CollectionName>(collection: C, id: string): Promise<Entity<C> | undefined>;
  list<C extends CollectionName>(
    collection: C,
    filter?: (record: Entity<C>) => boolean,
  ): Promise<Entity<C>[]>;
  count(collection: CollectionName): Promise<number>;
  projectByKey(key: string): Promise<Project | undefined>;
  itemByRef(projectKey: string, name: string, version: string): Promise<Item | undefined>;
  /** Items whose `digests` contain this key (`sha256:…` or `uri:…`). */
  itemsByDigest(key: string): Promise<Item[]>;
  /** Infrastructure covering this Kubernetes namespace in its `namespaces` list. */
  infrastructureByNamespace(namespace: string): Promise<Infrastructure | undefined>;
  userByUsername(username: string): Promise<User | undefined>;
  apiKeyByPrefix(prefix: string): Promise<ApiKey | undefined>;
  audit(query?: AuditQuery): Promise<AuditEvent[]>;
}

/** Writes inside a transaction: visible to the transaction's own reads, committed together. */
export interface StoreTx extends StoreReader {
  /**
   * Writes `record` (validated first) and returns it as stored: validated, defaulted, frozen, and
   * possibly sharing equal parts with other records. Refer to what it returns, not to the input,
   * when the same record goes elsewhere too (an audit event's change): one copy instead of two.
   */
  put<C extends CollectionName>(collection: C, record: Entity<C>): Entity<C>;
  remove(collection: CollectionName, id: string): void;
  /** Appends an audit event; seq, prevHash and hash are assigned at commit. */
  appendAudit(event: AuditEventInput): void;
}

export interface Store extends StoreReader {
  /**
   * Runs `fn` alone (transactions are serialised) and commits its writes and audit events
   * atomically and durably when it returns `{ ok: true }`; discards them when it returns
   * `{ ok: false }` or throws. A rejected write never changes the stored data.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<Result<T>> | Result<T>): Promise<Result<T>>;
  verifyAudit(): Promise<AuditVerification>;
  /** Flushes and releases the lock. */
  close(): Promise<void>;
}
