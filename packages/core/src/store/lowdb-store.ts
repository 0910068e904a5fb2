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

  /**
   * Writes the snapshot to a temp file in chunks of about 1 MiB (no giant string; the event
   * loop runs between chunks), fdatasyncs it, renames it over the file and fsyncs the directory.
   */
  async write(data: SnapshotFile | null): Promise<void> {
    if (data === null) throw new SignoffFault(ErrorCode.UNAVAILABLE, `store file ${this.file}: nothing to write`);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    let total = 0;
    try {
      let buf = `{"schemaVersion":${data.schemaVersion},"lastCommit":${data.lastCommit},"collections":{`;
      const flush = async (): Promise<void> => {
        const b = Buffer.from(buf);
        buf = '';
        await fh.writeFile(b);
        total += b.length;
      };
      const writeList = async (list: readonly unknown[]): Promise<void> => {
        buf += '[';
        for (let i = 0; i < list.length; i++) {
          buf += (i === 0 ? '' : ',') + JSON.stringify(list[i]);
          if (buf.length >= CHUNK_CHARS) await flush();
        }
        buf += ']';
      };
      let first = true;
      for (const [name, list] of Object.entries(data.collections)) {
        buf += `${first ? '' : ','}${JSON.stringify(name)}:`;
        first = false;
        await writeList(list);
      }
      buf += '},"audit":';
      await writeList(data.audit);
      buf += '}';
      await flush();
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    fsyncDir(dirname(this.file));
    this.bytes = total;
  }
}

const CHUNK_CHARS = 1 << 20;

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
    const noSnapshot = low.data === null;
    // The engine's state is the truth from here on: keeping the parsed file too held a second
    // copy of every record (measured: 228 MiB of a 100k-item file, most of the heap).
    low.data = null;

    // journals: rotated ones (`<file>.journal.<c>`, lines up to commit c, left by a compaction
    // that had not finished) in order, then the active one
    const dir = dirname(path);
    const esc = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const rotatedName = new RegExp(`^${esc}\\.journal\\.(\\d+)$`);
    const tmpName = new RegExp(`^${esc}\\.\\d+\\.tmp$`);
    const entries = await readdir(dir);
    let rotated = entries
      .map((name) => ({ name, m: rotatedName.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ upTo: Number(x.m[1]), path: join(dir, x.name) }))
      .sort((x, y) => x.upTo - y.upTo);
    const readText = async (p: string): Promise<string> => {
      try {
        return await readFile(p, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw e;
      }
    };
    let commit = snapshot.lastCommit;
    let journalBytes = 0;
    for (const p of [...rotated.map((r) => r.path), journalPath]) {
      const text = await readText(p);
      const { lines } = parseJournal(p, text, commit);
      for (const line of lines) state.applyBatch(batchFromLine(p, line));
      commit += lines.length;
      if (p === journalPath) journalBytes = Buffer.byteLength(text);
    }

    // everything read and valid: from here on the files may be written
    const foundVersion = adapter.foundVersion;
    if (foundVersion !== undefined && foundVersion < CURRENT_SCHEMA_VERSION) {
      await copyFile(path, `${path}.v${foundVersion}.bak`);
    }
    // temp files of snapshot writes interrupted by a crash (we hold the lock: nobody is writing one)
    for (const name of entries) {
      if (tmpName.test(name)) await unlink(join(dir, name)).catch(() => undefined);
    }
    journal = await open(journalPath, 'a', 0o600);
    let jh: FileHandle = journal;

    /**
     * Compaction, part 1 (inside the transaction queue, so no append is in flight): capture the
     * state (arrays of references to frozen records: a consistent point in time) and rotate the
     * journal to `<file>.journal.<commit>`, so commits can go on into a fresh journal.
     * Part 2 (returned promise; may run while later transactions commit): write the snapshot
     * atomically, then delete the rotated journals it covers.
     */
    const beginCompaction = async (): Promise<() => Promise<void>> => {
      const upTo = commit;
      const data = state.snapshot();
      const target = `${journalPath}.${upTo}`;
      if (journalBytes > 0 && !rotated.some((r) => r.upTo === upTo)) {
        await rename(journalPath, target);
        rotated.push({ upTo, path: target });
        let fresh: FileHandle | undefined;
        try {
          fresh = await open(journalPath, 'a', 0o600);
          fsyncDir(dir);
        } catch (e) {
          await fresh?.close().catch(() => undefined);
          // keep appending to the rotated file: it is replayed like the active one
          throw e;
        }
        const old = jh;
        jh = fresh;
        journal = fresh;
        journalBytes = 0;
        await old.close();
      }
      return async () => {
        low.data = { schemaVersion: CURRENT_SCHEMA_VERSION, lastCommit: upTo, collections: data.collections, audit: data.audit };
        try {
          await low.write();
        } finally {
          low.data = null; // the engine's state is the truth; do not keep a second reference
        }
        const covered = rotated.filter((r) => r.upTo <= upTo);
        for (const r of covered) await unlink(r.path).catch(() => undefined);
        rotated = rotated.filter((r) => r.upTo > upTo);
        fsyncDir(dir);
      };
    };
    const compactNow = async (): Promise<void> => {
      const finish = await beginCompaction();
      await finish();
    };

    const needsCompaction =
      noSnapshot || foundVersion !== CURRENT_SCHEMA_VERSION || journalBytes > 0 || rotated.length > 0;
    if (needsCompaction) await compactNow();
    fsyncDir(dir);

    let broken: Error | undefined;
    let closed = false;
    let compacting: Promise<void> | undefined;
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
        if (closed || compacting || !(journalBytes > compactBytes && journalBytes > adapter.bytes)) return;
        let finish: () => Promise<void>;
        try {
          finish = await beginCompaction();
        } catch {
          return; // the journals still hold every commit; retried after a later commit
        }
        compacting = finish()
          .catch(() => undefined)
          .finally(() => {
            compacting = undefined;
          });
      },
    });

    let closing: Promise<void> | undefined;
    return Object.assign(engine, {
      close(): Promise<void> {
        closing ??= engine.exclusive(async () => {
          engine.markClosed();
          closed = true;
          try {
            await compacting;
            if (!broken && (journalBytes > 0 || rotated.length > 0)) await compactNow();
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
