import { closeSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { ErrorCode, SignoffFault } from '../result.js';

/**
 * An exclusive, process-level lock on a store file: `<file>.lock`, created with O_EXCL and
 * holding the owner's pid, host and process start time. A lock whose owner is dead (the
 * pid is gone, or it now belongs to a process started at another time: pid reuse after a
 * SIGKILL or a container restart) is stale and is taken over; a live owner gets a
 * STORE_LOCKED error naming the file and the pid. No timer, no heartbeat.
 */

export interface LockInfo {
  pid: number;
  host: string;
  /** Process start time from /proc (clock ticks since boot), when available. */
  start?: string;
  since: string;
}

export interface FileLock {
  readonly path: string;
  readonly info: LockInfo;
  release(): void;
}

/** How long an empty/unreadable lock file may be "being written" before it counts as stale. */
const HALF_WRITTEN_GRACE_MS = 5_000;

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name "(…)": state is field 3, starttime field 22
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, since: String(v.since ?? ''), ...(typeof v.start === 'string' ? { start: v.start } : {}) };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** Whether the process named in a lock still holds it. A lock from another host is assumed held. */
export function lockHolderAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  if (!pidAlive(info.pid)) return false;
  if (info.start === undefined) return true;
  const start = processStart(info.pid);
  return start === undefined || start === info.start;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function lockedError(file: string, info: LockInfo | undefined, lockPath: string): SignoffFault {
  const who = info
    ? `process ${info.pid}${info.host === hostname() ? '' : ` on host ${info.host}`}${info.pid === process.pid ? ' (this process: the store is already open here)' : ''}${info.since ? ` since ${info.since}` : ''}`
    : 'another process (its lock file is being written)';
  return new SignoffFault(
    ErrorCode.STORE_LOCKED,
    `store file ${file} is locked by ${who}; only one process may open it. Stop that process, or remove ${lockPath} if it is certainly not running.`,
  );
}

function tryCreate(lockPath: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(info));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes the lock on `file` or throws a SignoffFault STORE_LOCKED. */
export function acquireFileLock(file: string, now: () => Date = () => new Date()): FileLock {
  const lockPath = `${file}.lock`;
  const takeoverPath = `${file}.lock.takeover`;
  const start = processStart(process.pid);
  const info: LockInfo = { pid: process.pid, host: hostname(), since: now().toISOString(), ...(start ? { start } : {}) };
  const lock: FileLock = {
    path: lockPath,
    info,
    release() {
      const current = parseLock(readText(lockPath) ?? '');
      if (current && current.pid === info.pid && current.host === info.host && current.start === info.start) unlinkQuiet(lockPath);
    },
  };

  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockPath, info)) return lock;
    const text = readText(lockPath);
    if (text === undefined) continue; // released meanwhile: try again
    const holder = parseLock(text);
    if (holder ? lockHolderAlive(holder) : ageMs(lockPath) < HALF_WRITTEN_GRACE_MS) {
      throw lockedError(file, holder, lockPath);
    }
    // Stale: take it over under a short-lived second lock, so that two processes finding the
    // same stale lock cannot both remove it (one could remove the other's fresh lock).
    if (!tryCreate(takeoverPath, info)) {
      const other = parseLock(readText(takeoverPath) ?? '');
      if ((other && lockHolderAlive(other) && other.pid !== process.pid) || ageMs(takeoverPath) < HALF_WRITTEN_GRACE_MS) {
        throw lockedError(file, other, lockPath);
      }
      unlinkQuiet(takeoverPath);
      continue;
    }
    try {
      if (readText(lockPath) === text) unlinkQuiet(lockPath);
      if (tryCreate(lockPath, info)) return lock;
    } finally {
      unlinkQuiet(takeoverPath);
    }
  }
  throw lockedError(file, parseLock(readText(lockPath) ?? ''), lockPath);
}
