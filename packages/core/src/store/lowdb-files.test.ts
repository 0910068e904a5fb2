import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ok } from '../result.js';
import { chainEvent } from '../audit/chain.js';
import type { AuditEvent } from '../audit/schema.js';
import { openLowdbStore } from './lowdb-store.js';
import { CURRENT_SCHEMA_VERSION, migrations } from './migrations.js';
import { testAuditInput, testItem, testProject, testUser } from './test-data.js';

const root = mkdtempSync(join(tmpdir(), 'signoff-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fileIn = () => {
  const d = join(root, `case-${++n}`);
  mkdirSync(d);
  return join(d, 'signoff.json');
};

async function openError(file: string): Promise<{ code: string; message: string }> {
  try {
    const s = await openLowdbStore(file);
    await s.close();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected the store to refuse the file');
}

async function seed(file: string): Promise<void> {
  const store = await openLowdbStore(file);
  await store.transaction((tx) => {
    tx.put('projects', testProject(1));
    tx.put('items', testItem(1));
    tx.appendAudit(testAuditInput('items/itm_1', { action: 'item.create' }));
    return ok(1);
  });
  await store.close();
}

describe('lowdb store files', () => {
  it('writes a compact, versioned snapshot and no journal left after close', async () => {
    const file = fileIn();
    await seed(file);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('\n');
    expect(text).toBe(JSON.stringify(JSON.parse(text))); // compact: no indentation anywhere
    const data = JSON.parse(text) as { schemaVersion: number; lastCommit: number; collections: Record<string, unknown[]>; audit: unknown[] };
    expect(data.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    expect(data.lastCommit).toBe(1);
    expect(data.collections.items).toHaveLength(1);
    expect(data.audit).toHaveLength(1);
    expect(statSync(`${file}.journal`).size).toBe(0);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('acknowledged commits are in the journal (fsynced) before close', async () => {
    const file = fileIn();
    const store = await openLowdbStore(file);
    await store.transaction((tx) => {
      tx.put('users', testUser(1));
      return ok(1);
    });
    const journal = readFileSync(`${file}.journal`, 'utf8');
    expect(journal.endsWith('\n')).toBe(true);
    expect(JSON.parse(journal.trim())).toMatchObject({ v: 1, n: 1, put: [['users', { id: 'usr_1' }]] });
    await store.close();
  });

  it('replays the journal after a crash and drops a torn, unacknowledged last line', async () => {
    const file = fileIn();
    const store = await openLowdbStore(file);
    for (let i = 1; i <= 3; i++) {
      await store.transaction((tx) => {
        tx.put('users', testUser(i));
        tx.appendAudit(testAuditInput(`users/usr_${i}`));
        return ok(i);
      });
    }
    // copy the files as a crash would leave them (the store above is still open)
    const crashed = fileIn();
    copyFileSync(file, crashed);
    copyFileSync(`${file}.journal`, `${crashed}.journal`);
    await store.close();
    appendFileSync(`${crashed}.journal`, '{"v":1,"n":4,"put":[["users",{"id":"usr_4","userna');
    const again = await openLowdbStore(crashed);
    try {
      expect((await again.list('users')).map((u) => u.id).sort()).toEqual(['usr_1', 'usr_2', 'usr_3']);
      expect(await again.verifyAudit()).toMatchObject({ ok: true, count: 3 });
      // the next commit continues cleanly after the torn line
      await again.transaction((tx) => {
        tx.put('users', testUser(5));
        return ok(1);
      });
    } finally {
      await again.close();
    }
    const reopened = await openLowdbStore(crashed);
    expect(await reopened.count('users')).toBe(4);
    await reopened.close();
  });

  it('skips journal lines already folded into the snapshot (crash between snapshot rename and journal truncation)', async () => {
    const file = fileIn();
    const store = await openLowdbStore(file);
    await store.transaction((tx) => {
      tx.appendAudit(testAuditInput('users/usr_1'));
      return ok(1);
    });
    const journal = readFileSync(`${file}.journal`);
    await store.close(); // snapshot now holds commit 1, journal empty
    writeFileSync(`${file}.journal`, journal); // as if truncation never happened
    const again = await openLowdbStore(file);
    expect(await again.verifyAudit()).toMatchObject({ ok: true, count: 1 });
    await again.close();
  });

  it('removes the temp file of a snapshot write interrupted by a crash, and nothing else', async () => {
    const file = fileIn();
    await seed(file);
    writeFileSync(`${file}.12345.tmp`, '{"schemaVersion":1,"lastC');
    writeFileSync(`${file}.notes.tmp`, 'not ours');
    const store = await openLowdbStore(file);
    await store.close();
    expect(existsSync(`${file}.12345.tmp`)).toBe(false);
    expect(existsSync(`${file}.notes.tmp`)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ schemaVersion: 1, lastCommit: 1 });
  });

  it('compacts in the background when the journal grows past compactBytes; commits go on meanwhile', async () => {
    const file = fileIn();
    const store = await openLowdbStore(file, { compactBytes: 4096 });
    const folded: number[] = [];
    for (let i = 0; i < 40; i++) {
      await store.transaction((tx) => {
        tx.put('items', testItem(i));
        tx.appendAudit(testAuditInput(`items/itm_${i}`));
        return ok(i);
      });
      // the snapshot is replaced by rename, so a read sees a whole snapshot
      folded.push((JSON.parse(readFileSync(file, 'utf8')) as { lastCommit: number }).lastCommit);
    }
    // compaction happened while running, not only at open and close
    expect(Math.max(...folded)).toBeGreaterThan(1);
    expect(Math.max(...folded)).toBeLessThan(40);
    await store.close();
    expect((JSON.parse(readFileSync(file, 'utf8')) as { lastCommit: number }).lastCommit).toBe(40);
    expect(readdirSync(dirname(file)).sort()).toEqual(['signoff.json', 'signoff.json.journal']);
    const again = await openLowdbStore(file);
    expect(await again.count('items')).toBe(40);
    expect(await again.verifyAudit()).toMatchObject({ ok: true, count: 40 });
    await again.close();
  });

  it('replays rotated journals left by an unfinished compaction, in order, then the active one', async () => {
    const file = fileIn();
    const store = await openLowdbStore(file);
    const lines: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await store.transaction((tx) => {
        tx.put('users', testUser(i));
        tx.appendAudit(testAuditInput(`users/usr_${i}`));
        return ok(i);
      });
      lines.push(readFileSync(`${file}.journal`, 'utf8').split('\n').filter(Boolean).at(-1)!);
    }
    const base = fileIn();
    copyFileSync(file, base); // snapshot at commit 0
    await store.close();
    // as a crash during a compaction leaves it: journal rotated at commit 3, snapshot not yet replaced
    writeFileSync(`${base}.journal.3`, `${lines.slice(0, 3).join('\n')}\n`);
    writeFileSync(`${base}.journal`, `${lines.slice(3).join('\n')}\n`);
    const again = await openLowdbStore(base);
    expect((await again.list('users')).map((u) => u.id).sort()).toEqual(['usr_1', 'usr_2', 'usr_3', 'usr_4', 'usr_5']);
    expect(await again.verifyAudit()).toMatchObject({ ok: true, count: 5 });
    await again.close();
    expect(existsSync(`${base}.journal.3`)).toBe(false);
  });

  describe('refusals leave the file byte-for-byte unchanged', () => {
    const cases: [string, string | ((file: string) => void), string, RegExp][] = [
      ['not JSON', '{"schemaVersion":1,"lastCommit":0,"collections":{"items":[', 'STORE_CORRUPT', /not valid JSON/],
      ['not an object', '[1,2,3]', 'STORE_CORRUPT', /JSON object/],
      [
        'an invalid record',
        JSON.stringify({ schemaVersion: 1, lastCommit: 0, collections: { items: [{ ...testItem(1), digests: 'nope' }] }, audit: [] }),
        'STORE_CORRUPT',
        /items\[0\].*digests/,
      ],
      [
        'an invalid audit event',
        JSON.stringify({ schemaVersion: 1, lastCommit: 0, collections: {}, audit: [{ seq: 'one' }] }),
        'STORE_CORRUPT',
        /audit\[0\]/,
      ],
      [
        'a duplicate id',
        JSON.stringify({ schemaVersion: 1, lastCommit: 0, collections: { users: [testUser(1), testUser(1)] }, audit: [] }),
        'STORE_CORRUPT',
        /users\[1\].*duplicate id "usr_1"/,
      ],
      [
        'a duplicate unique key',
        JSON.stringify({ schemaVersion: 1, lastCommit: 0, collections: { users: [testUser(1), testUser(2, { username: 'user1' })] }, audit: [] }),
        'STORE_CORRUPT',
        /users\[1\].*username "user1" is already used by users\/usr_1/,
      ],
      ['a newer schema version', JSON.stringify({ schemaVersion: CURRENT_SCHEMA_VERSION + 1, lastCommit: 0, collections: {}, audit: [], future: true }), 'STORE_VERSION', /schema version 2.*newer/],
      ['an unknown field in an unversioned file', JSON.stringify({ items: [], somethingElse: 1 }), 'STORE_CORRUPT', /somethingElse/],
    ];
    for (const [what, content, code, message] of cases) {
      it(`refuses ${what} with ${code}`, async () => {
        const file = fileIn();
        writeFileSync(file, content as string);
        const before = readFileSync(file);
        const e = await openError(file);
        expect(e.code).toBe(code);
        expect(e.message).toMatch(message);
        expect(e.message).toContain(file);
        expect(readFileSync(file).equals(before)).toBe(true);
        expect(existsSync(`${file}.journal`)).toBe(false);
        expect(existsSync(`${file}.lock`)).toBe(false); // the lock is released after a refusal
      });
    }

    it('refuses a journal with a corrupt complete line, leaving both files unchanged', async () => {
      const file = fileIn();
      await seed(file);
      writeFileSync(`${file}.journal`, '{"v":1,"n":2,"put":[]}\nthis is not json\n');
      const snap = readFileSync(file);
      const journal = readFileSync(`${file}.journal`);
      const e = await openError(file);
      expect(e.code).toBe('STORE_CORRUPT');
      expect(e.message).toMatch(/line 2/);
      expect(readFileSync(file).equals(snap)).toBe(true);
      expect(readFileSync(`${file}.journal`).equals(journal)).toBe(true);
    });

    it('refuses a journal written by a newer version', async () => {
      const file = fileIn();
      await seed(file);
      writeFileSync(`${file}.journal`, `${JSON.stringify({ v: CURRENT_SCHEMA_VERSION + 1, n: 2 })}\n`);
      const snap = readFileSync(file);
      expect((await openError(file)).code).toBe('STORE_VERSION');
      expect(readFileSync(file).equals(snap)).toBe(true);
    });
  });

  it('migrates a v0 file (plain lowdb layout, no schemaVersion), keeping a backup of the original', async () => {
    expect(migrations.map((m) => [m.from, m.to])).toEqual([[0, 1]]);
    const file = fileIn();
    const audit: AuditEvent[] = [];
    audit.push(chainEvent(testAuditInput('items/itm_1', { action: 'item.create' }), undefined));
    audit.push(chainEvent(testAuditInput('projects/prj_1'), audit[0]));
    const v0 = JSON.stringify({ users: [testUser(1)], projects: [testProject(1)], items: [testItem(1)], audit }, null, 2);
    writeFileSync(file, v0);
    const store = await openLowdbStore(file);
    try {
      expect((await store.get('items', 'itm_1'))?.digests).toEqual(testItem(1).digests);
      expect((await store.userByUsername('user1'))?.id).toBe('usr_1');
      expect((await store.itemByRef('proj1', 'bundle1', '1.0.0'))?.id).toBe('itm_1');
      expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 2 });
      await store.transaction((tx) => {
        tx.appendAudit(testAuditInput('items/itm_1'));
        return ok(1);
      });
    } finally {
      await store.close();
    }
    const migrated = JSON.parse(readFileSync(file, 'utf8')) as { schemaVersion: number; collections: { items: unknown[] }; audit: unknown[] };
    expect(migrated.schemaVersion).toBe(1);
    expect(migrated.collections.items).toHaveLength(1);
    expect(migrated.audit).toHaveLength(3);
    expect(readFileSync(`${file}.v0.bak`, 'utf8')).toBe(v0);
  });

  it('a second open in the same process is STORE_LOCKED; close releases the lock', async () => {
    const file = fileIn();
    const store = await openLowdbStore(file);
    const e = await openError(file);
    expect(e.code).toBe('STORE_LOCKED');
    expect(e.message).toContain(`process ${process.pid}`);
    expect(e.message).toContain(file);
    await store.close();
    const again = await openLowdbStore(file);
    await again.close();
  });

  it('takes over a lock whose process is dead, or whose pid was reused by another process', async () => {
    const file = fileIn();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const a = await openLowdbStore(file);
    await a.close();
    // same pid as a live process (this one) but another start time: a restarted container
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), start: '1', since: '2026-01-01T00:00:00.000Z' }));
    const b = await openLowdbStore(file);
    await b.close();
  });

  it('a half-written lock file is respected while fresh', async () => {
    const file = fileIn();
    writeFileSync(`${file}.lock`, '');
    const e = await openError(file);
    expect(e.code).toBe('STORE_LOCKED');
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe('');
  });
});
