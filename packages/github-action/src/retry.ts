import type { Result } from '@signoff/core';

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  /** Called before each wait with the attempt that failed (1-based) and the wait. */
  onRetry?: (attempt: number, waitMs: number, message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn` until it answers anything but UNAVAILABLE (unreachable, timeout, 5xx) or the
 * attempts run out; waits base, 2×base, 4×base… with ±20 % jitter in between.
 */
export async function withRetry<T>(fn: () => Promise<Result<T>>, options: RetryOptions): Promise<Result<T>> {
  const wait = options.sleep ?? sleep;
  let last: Result<T> | undefined;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    last = await fn();
    if (last.ok || last.error.code !== 'UNAVAILABLE' || attempt === options.attempts) return last;
    const ms = Math.round(options.baseMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4));
    options.onRetry?.(attempt, ms, last.error.message);
    await wait(ms);
  }
  return last as Result<T>;
}

/** Reads a non-negative integer from the environment (tuning knobs for tests and slow networks). */
export function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
