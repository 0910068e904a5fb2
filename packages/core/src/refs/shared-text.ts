import { sharedCopies } from './bounded-cache.js';

/**
 * One copy of each text that recorded deployments repeat (bounded): a cluster records the same
 * namespaces, workload names, requesters, item references and reason sentences again and again,
 * and each request brings its own copy of them (parsed from its body, or built by the decision).
 * A recorded deployment keeps the shared copy, so the copies of a request die young instead of
 * staying in the store for good (≈ 0.4 KiB per recorded admission of the webhook's bench).
 * A text evicted from here and seen again gets a new shared copy: nothing is lost but sharing.
 */
export const sharedText: (s: string) => string = sharedCopies(16_384, 1024);

/** `sharedText` of `s` when it is a string, else `s` as it is. */
export function sharedIfText<T>(s: T): T {
  return typeof s === 'string' ? (sharedText(s) as T) : s;
}
