import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@signoff/core';

export interface Session {
  userId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionStoreOptions {
  clock: Clock;
  /** Idle timeout in ms (default 8 h). */
  idleMs?: number;
  /** Absolute lifetime in ms (default 24 h). */
  maxAgeMs?: number;
}

const hash = (id: string): string => createHash('sha256').update(id).digest('base64url');

/**
 * Server-side sessions held in memory. The cookie carries a random 256-bit id; only its
 * SHA-256 is kept, so a heap dump or a log line never yields a usable session.
 * Sessions end on restart, which is acceptable for a single-node server.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #maxAgeMs: number;

  constructor(options: SessionStoreOptions) {
    this.#clock = options.clock;
    this.#idleMs = options.idleMs ?? 8 * 3600_000;
    this.#maxAgeMs = options.maxAgeMs ?? 24 * 3600_000;
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs;
  }

  create(userId: string): { id: string; session: Session } {
    this.#sweep();
    const id = randomBytes(32).toString('base64url');
    const now = this.#clock.now().getTime();
    const session: Session = {
      userId,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
    };
    this.#sessions.set(hash(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, refreshing its idle timer; expired ones are dropped. */
  get(id: string): Session | undefined {
    const key = hash(id);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    const now = this.#clock.now().getTime();
    if (now - session.lastSeenAt > this.#idleMs || now - session.createdAt > this.#maxAgeMs) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string): boolean {
    return this.#sessions.delete(hash(id));
  }

  /** Ends every session of a user (password change, disabled account). */
  destroyUser(userId: string): void {
    for (const [key, session] of this.#sessions) if (session.userId === userId) this.#sessions.delete(key);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    if (this.#sessions.size < 1024) return;
    const now = this.#clock.now().getTime();
    for (const [key, s] of this.#sessions) {
      if (now - s.lastSeenAt > this.#idleMs || now - s.createdAt > this.#maxAgeMs) this.#sessions.delete(key);
    }
  }
}

/** Constant-time comparison of two tokens. */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
