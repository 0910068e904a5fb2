import { ErrorCode, SignoffFault } from '../result.js';
import { collectionNames } from './collections.js';

/**
 * File format versions of the embedded store and how to move a file from one to the next.
 *
 * - v0 (before versioning): the plain lowdb layout, one top-level array per collection plus
 *   `audit`, no `schemaVersion`: `{ "users": [...], "items": [...], ..., "audit": [...] }`.
 * - v1 (current): `{ "schemaVersion": 1, "lastCommit": n, "collections": { "users": [...], ... },
 *   "audit": [...] }`; `lastCommit` is the number of the last journal commit folded into the
 *   snapshot (journal lines up to it are skipped on replay).
 *
 * To change the format: bump CURRENT_SCHEMA_VERSION and add a migration from the previous
 * version. A file from a newer version is refused (STORE_VERSION), never rewritten.
 */
export const CURRENT_SCHEMA_VERSION = 1;

export interface SnapshotFile {
  schemaVersion: number;
  lastCommit: number;
  collections: Record<string, unknown[]>;
  audit: unknown[];
}

export interface Migration {
  from: number;
  to: number;
  description: string;
  migrate(data: Record<string, unknown>, file: string): Record<string, unknown>;
}

export const migrations: readonly Migration[] = [
  {
    from: 0,
    to: 1,
    description: 'wrap the top-level collection arrays in `collections`; add schemaVersion and lastCommit',
    migrate(data, file) {
      const known = new Set<string>([...collectionNames, 'audit']);
      for (const key of Object.keys(data)) {
        if (!known.has(key)) {
          throw new SignoffFault(ErrorCode.STORE_CORRUPT, `store file ${file}: unexpected top-level field "${key}" in an unversioned (v0) file`);
        }
      }
      const cols: Record<string, unknown> = {};
      for (const c of collectionNames) cols[c] = data[c] ?? [];
      return { schemaVersion: 1, lastCommit: 0, collections: cols, audit: data.audit ?? [] };
    },
  },
];

/** Version of a parsed file: its `schemaVersion`, or 0 when absent. */
export function versionOf(data: Record<string, unknown>, file: string): number {
  if (!('schemaVersion' in data)) return 0;
  const v = data.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new SignoffFault(ErrorCode.STORE_CORRUPT, `store file ${file}: schemaVersion is not a version number`);
  }
  return v;
}

/** Brings a parsed file to the current version, refusing newer ones. */
export function migrateToCurrent(raw: unknown, file: string): { data: SnapshotFile; fromVersion: number } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SignoffFault(ErrorCode.STORE_CORRUPT, `store file ${file} does not hold a JSON object`);
  }
  let data = raw as Record<string, unknown>;
  const fromVersion = versionOf(data, file);
  if (fromVersion > CURRENT_SCHEMA_VERSION) {
    throw new SignoffFault(
      ErrorCode.STORE_VERSION,
      `store file ${file} has schema version ${fromVersion}, written by a newer signoff; this one reads versions up to ${CURRENT_SCHEMA_VERSION}. Upgrade signoff; the file was left unchanged.`,
    );
  }
  let v = fromVersion;
  while (v < CURRENT_SCHEMA_VERSION) {
    const m = migrations.find((x) => x.from === v);
    if (!m) throw new SignoffFault(ErrorCode.STORE_VERSION, `store file ${file}: no migration from schema version ${v}`);
    data = m.migrate(data, file);
    v = m.to;
  }
  const lastCommit = data.lastCommit;
  if (typeof lastCommit !== 'number' || !Number.isInteger(lastCommit) || lastCommit < 0) {
    throw new SignoffFault(ErrorCode.STORE_CORRUPT, `store file ${file}: lastCommit is missing or not a number`);
  }
  const cols = data.collections;
  if (cols === null || typeof cols !== 'object' || Array.isArray(cols)) {
    throw new SignoffFault(ErrorCode.STORE_CORRUPT, `store file ${file}: collections is missing or not an object`);
  }
  if (!Array.isArray(data.audit)) throw new SignoffFault(ErrorCode.STORE_CORRUPT, `store file ${file}: audit is not an array`);
  return { data: data as unknown as SnapshotFile, fromVersion };
}
