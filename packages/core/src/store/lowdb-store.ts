import { open, readFile, readdir, rename, copyFile, mkdir, unlink, type FileHandle } from 'node:fs/promises';
import { openSync, fsyncSync, closeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { ErrorCode, SignoffFault } from '../result.js';
import { AuditEvent } from '../audit/schema.js';
import type { Clock } from '../service/types.js';
import { collections, type CollectionName } from './collections.js';
import { StoreEngine, StoreState, deepFreeze, validateRecord, type CommitBatch } from './engine.js';
import { acquireFileLock, type FileLock } from './lock.js';
import { CURRENT_SCHEMA_VERSION, migrateToCurrent, type SnapshotFile } from './migrations.js';
import type { Store } from './types.js';

/**
 * The embedded default store: lowdb 7 (`Low`) over a durable adapter.
 *
 * On disk, next to `file`:
 *  - `file`          the snapshot: compact JSON, replaced atomically (temp file, fsync, rename, fsync dir);
 *  - `file.journal`  one fsynced JSON line per committed transaction since the snapshot;
 *  - `file.lock`     the process lock (see lock.ts).
 * A commit appends its line and fdatasyncs it before the transaction's promise resolves.
 * At open the journal is replayed (a torn last line, never acknowledged, is dropped) and
 * folded into a new snapshot; the same happens at close and when the journal grows past
 * `compactBytes`. Every record is validated when the file is read.
 */

export interface LowdbStoreOptions {
  clock?: Clock;
  /** Fold the journal into the snapshot when it exceeds this size (and the snapshot's size). Default 64 MiB. */
  compactBytes?: number;
}

interface JournalLine {
  v: number;
  n: number;
  put?: [string, unknown][];
  del?: [string, string][];
  audit?: unknown[];
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function corrupt(file: string, what: string): SignoffFault {
  return new SignoffFault(ErrorCode.STORE_CORRUPT, `store file ${file} is corrupt: ${what}. It was left unchanged; restore it from a backup or move it away.`);
}

/**
 * lowdb Adapter for the snapshot: reads (and migrates) a versioned file, refusing corrupt
 * or newer ones; writes compact JSON atomically and durably.
 */
export class DurableJsonFile implements Adapter<SnapshotFile | null> {
  /** Version of the file as found by the last read (before migration); undefined when there was no file. */
  foundVersion: number | undefined;
  bytes = 0;

  constructor(readonly file: string) {}

  async read(): Promise<SnapshotFile | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.foundVersion = undefined;
        return null;
      }
      throw e;
    }
    this.bytes = Buffer.byteLength(text);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw corrupt(this.file, `not valid JSON (${(e as Error).message})`);
    }
    const { data, fromVersion } = migrateToCurrent(raw, this.file);
    this.foundVersion = fromVersion;
    return data;
  }

  async write(data: SnapshotFile | null): Promise<void> {
    if (data === null) throw new SignoffFault(ErrorCode.UNAVAILABLE, `store file ${this.file}: nothing to write`);
    const text = JSON.stringify(data);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    fsyncDir(dirname(this.file));
    this.bytes = Buffer.byteLength(text);
  }
}

function parseJournal(file: string, text: string, lastCommit: number): { lines: JournalLine[]; torn: boolean } {
  const parts = text.split('\n');
  const tail = parts.pop() ?? '';
  const lines: JournalLine[] = [];
  let expected = lastCommit + 1;
  parts.forEach((line, i) => {
    let v: JournalLine;
    try {
      v = JSON.parse(line) as JournalLine;
    } catch {
      throw corrupt(`${file}.journal`, `line ${i + 1} is not valid JSON`);
    }
    if (typeof v !== 'object' || v === null || typeof v.n !== 'number' || typeof v.v !== 'number') {
      throw corrupt(`${file}.journal`, `line ${i + 1} is not a journal entry`);
    }
    if (v.v > CURRENT_SCHEMA_VERSION) {
      throw new SignoffFault(ErrorCode.STORE_VERSION, `store journal ${file}.journal line ${i + 1} has schema version ${v.v}, written by a newer signoff; this one reads up to ${CURRENT_SCHEMA_VERSION}. The files were left unchanged.`);
    }
    if (v.n <= lastCommit) return; // already folded into the snapshot
    if (v.n !== expected) throw corrupt(`${file}.journal`, `line ${i + 1} is commit ${v.n}, expected ${expected}`);
    expected++;
    lines.push(v);
  });
  return { lines, torn: tail.length > 0 };
}

function batchFromLine(file: string, line: JournalLine): CommitBatch {
  const batch: CommitBatch = { puts: [], removes: [], audit: [] };
  const where = `${file}.journal commit ${line.n}`;
  for (const entry of line.put ?? []) {
    const [c, record] = entry;
    if (!(c in collections)) throw corrupt(where, `unknown collection "${c}"`);
    const v = validateRecord(c as CollectionName, record);
    if (!v.ok) throw corrupt(where, v.error.message);
    batch.puts.push({ collection: c as CollectionName, record: deepFreeze(v.value) });
  }
  for (const entry of line.del ?? []) {
    const [c, id] = entry;
    if (!(c in collections) || typeof id !== 'string') throw corrupt(where, 'bad removal');
    batch.removes.push({ collection: c as CollectionName, id });
  }
  for (const e of line.audit ?? []) {
    const parsed = AuditEvent.safeParse(e);
    if (!parsed.success) throw corrupt(where, `audit event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    batch.audit.push(deepFreeze(parsed.data));
  }
  return batch;
}

/**
 * Opens (creating if needed) the store file. Throws a SignoffFault with code STORE_LOCKED
 * (another live process holds it), STORE_CORRUPT or STORE_VERSION (the file is left untouched).
 */
export async function openLowdbStore(file: string, options: LowdbStoreOptions = {}): Promise<Store> {
  const path = resolve(file);
  const journalPath = `${path}.journal`;
  const now = () => (options.clock ? options.clock.now() : new Date());
  const compactBytes = options.compactBytes ?? 64 * 1024 * 1024;
  await mkdir(dirname(path), { recursive: true });
  const lock: FileLock = acquireFileLock(path, now);
  let journal: FileHandle | undefined;
  try {
    const adapter = new DurableJsonFile(path);
    const low = new Low<SnapshotFile | null>(adapter, null);
    await low.read();
    const snapshot: SnapshotFile = low.data ?? { schemaVersion: CURRENT_SCHEMA_VERSION, lastCommit: 0, collections: {}, audit: [] };
    const state = new StoreState();
    state.load({ collections: snapshot.collections, audit: snapshot.audit as AuditEvent[] }, ErrorCode.STORE_CORRUPT, `store file ${path}`);

    let journalText = '';
    try {
      journalText = await readFile(journalPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const { lines, torn } = parseJournal(path, journalText, snapshot.lastCommit);
    for (const line of lines) state.applyBatch(batchFromLine(path, line));
    let commit = snapshot.lastCommit + lines.length;

    // everything read and valid: from here on the files may be written
    const foundVersion = adapter.foundVersion;
    if (foundVersion !== undefined && foundVersion < CURRENT_SCHEMA_VERSION) {
      await copyFile(path, `${path}.v${foundVersion}.bak`);
    }
    // temp files of snapshot writes interrupted by a crash (we hold the lock: nobody is writing one)
    const tmpName = new RegExp(`^${basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.tmp$`);
    for (const name of await readdir(dirname(path))) {
      if (tmpName.test(name)) await unlink(join(dirname(path), name)).catch(() => undefined);
    }
    journal = await open(journalPath, 'a', 0o600);
    const jh = journal;
    let journalBytes = Buffer.byteLength(journalText);

    const compact = async (): Promise<void> => {
      const data = state.snapshot();
      low.data = {
        schemaVersion: CURRENT_SCHEMA_VERSION,
        lastCommit: commit,
        collections: data.collections,
        audit: data.audit,
      };
      await low.write();
      low.data = null; // the engine's state is the truth; do not keep a second reference
      await jh.truncate(0);
      await jh.datasync();
      journalBytes = 0;
    };

    const needsCompaction = low.data === null || foundVersion !== CURRENT_SCHEMA_VERSION || lines.length > 0 || torn || journalBytes > 0;
    if (needsCompaction) await compact();
    fsyncDir(dirname(path));

    let broken: Error | undefined;
    let closed = false;
    const engine = new StoreEngine(state, {
      persist: async (batch) => {
        if (broken) throw new SignoffFault(ErrorCode.UNAVAILABLE, `store file ${path} is unavailable after a failed write: ${broken.message}`);
        const line: JournalLine = { v: CURRENT_SCHEMA_VERSION, n: commit + 1 };
        if (batch.puts.length) line.put = batch.puts.map((p) => [p.collection, p.record]);
        if (batch.removes.length) line.del = batch.removes.map((r) => [r.collection, r.id]);
        if (batch.audit.length) line.audit = batch.audit;
        const buf = Buffer.from(`${JSON.stringify(line)}\n`);
        try {
          await jh.appendFile(buf);
          await jh.datasync();
        } catch (e) {
          // take back a partial line so later commits stay readable
          try {
            await jh.truncate(journalBytes);
          } catch (e2) {
            broken = e2 as Error;
          }
          throw e;
        }
        journalBytes += buf.length;
        commit++;
      },
      afterCommit: async () => {
        if (closed) return;
        if (journalBytes > compactBytes && journalBytes > adapter.bytes) {
          try {
            await compact();
          } catch {
            // the journal still holds every commit; compaction is retried after the next one
          }
        }
      },
    });

    let closing: Promise<void> | undefined;
    return Object.assign(engine, {
      close(): Promise<void> {
        closing ??= engine.exclusive(async () => {
          engine.markClosed();
          closed = true;
          try {
            if (!broken && journalBytes > 0) await compact();
          } finally {
            await jh.close();
            lock.release();
          }
        });
        return closing;
      },
    }) satisfies Store;
  } catch (e) {
    await journal?.close().catch(() => undefined);
    lock.release();
    throw e;
  }
}
