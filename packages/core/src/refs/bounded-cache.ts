/**
 * A bounded memo for pure string parsers on the decision hot path: the same few thousand image
 * references arrive again and again, so each is parsed once. Two generations approximate LRU in
 * O(1): entries go to the young map; when it holds half the bound it becomes the old one (the
 * previous old one is dropped); a hit in the old map moves the entry back to the young one. At
 * most `max` entries are held. (Evicting one entry at a time with `map.keys().next()` is not
 * O(1) in V8: deleted slots pile up at the front until the table is rebuilt.) Values must be
 * immutable.
 *
 * The keys arrive as fresh strings (each request is parsed from JSON), and a `Map` keyed by such
 * a string hashes all of it first: for a 100-character image reference that is most of the
 * lookup (V8's string hash walks every character). So the maps are keyed by {@link sampleHash}
 * (the length and at most 16 characters) and each slot holds a short chain of entries whose full
 * keys are compared; a chain holds at most {@link MAX_CHAIN} entries, so keys crafted to collide
 * cost a parse (not a cache), never a long scan.
 */
export class BoundedCache<V> {
  private young = new Map<number, Entry<V>>();
  private old = new Map<number, Entry<V>>();
  private youngCount = 0;
  private oldCount = 0;
  private readonly half: number;
  private lastKey: string | undefined;
  private lastHash = 0;

  constructor(
    max: number,
    /** Longer keys are never remembered (they would pin memory for little gain). */
    private readonly maxKeyLength = 1024,
  ) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  get(key: string): V | undefined {
    const h = sampleHash(key);
    this.lastKey = key;
    this.lastHash = h;
    for (let e = this.young.get(h); e !== undefined; e = e.next) if (e.key === key) return e.value;
    if (this.oldCount === 0) return undefined;
    for (let e = this.old.get(h); e !== undefined; e = e.next) {
      if (e.key === key) {
        this.insert(h, key, e.value);
        return e.value;
      }
    }
    return undefined;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return;
    // A miss is usually followed by the set of the same key: its hash is at hand.
    this.insert(key === this.lastKey ? this.lastHash : sampleHash(key), key, value);
  }

  private insert(h: number, key: string, value: V): void {
    if (this.youngCount >= this.half) {
      this.old = this.young;
      this.oldCount = this.youngCount;
      this.young = new Map();
      this.youngCount = 0;
    }
    const head = this.young.get(h);
    let n = 0;
    for (let e = head; e !== undefined; e = e.next, n++) {
      if (e.key === key) {
        e.value = value;
        return;
      }
    }
    if (n >= MAX_CHAIN) return;
    this.young.set(h, { key, value, next: head });
    this.youngCount++;
  }

  get size(): number {
    return this.youngCount + this.oldCount;
  }

  clear(): void {
    this.lastKey = undefined;
    this.young.clear();
    this.old.clear();
    this.youngCount = 0;
    this.oldCount = 0;
  }
}

interface Entry<V> {
  readonly key: string;
  value: V;
  readonly next: Entry<V> | undefined;
}

/** Entries that share one sample hash; keys beyond it are not remembered. */
export const MAX_CHAIN = 8;

/**
 * A cheap 30-bit hash of a string (a small integer, so a `Map` keyed by it does not hash the
 * string again): its length, its last 8 characters, the 8 before the last 72 (where a tag ends
 * when a sha256 digest follows), and 8 more spread evenly over the rest (all of them when there
 * are at most 16). Image references differ in their digest or tag, which this reads; strings that
 * differ only elsewhere collide, which costs a comparison of the full keys.
 */
export function sampleHash(s: string): number {
  const n = s.length;
  let h = Math.imul(n, 0x9e3779b1);
  if (n <= 16) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x85ebca6b);
  } else {
    for (let i = n - 8; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x85ebca6b);
    if (n >= 80) for (let i = n - 80; i < n - 72; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x27d4eb2f);
    const step = (n - 8) >> 3;
    for (let i = 0; i < 8 * step; i += step) h = Math.imul(h ^ s.charCodeAt(i), 0xc2b2ae35);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x3fffffff;
}
