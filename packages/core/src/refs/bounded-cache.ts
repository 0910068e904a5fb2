/**
 * A bounded memo for pure string parsers on the decision hot path: the same few thousand image
 * references arrive again and again, so each is parsed once. Two generations approximate LRU in
 * O(1): entries go to the young table; when it holds half the bound it becomes the old one (the
 * previous old one is dropped); a hit in the old table moves the entry back to the young one. At
 * most `max` entries are held. Values must be immutable.
 *
 * The keys arrive as fresh strings (each request is parsed from JSON), and a `Map` keyed by such
 * a string hashes all of it first: for a 100-character image reference that is most of the
 * lookup (V8's string hash walks every character). So the tables are keyed by {@link sampleHash}
 * (short keys whole, long ones by a few dozen characters) and the full keys are compared. Each table is an open
 * addressing array (linear probing, at most half full): a lookup reads the hashes (a dense
 * `Int32Array`), one slot holding key and value side by side, and the key's characters; with
 * thousands of entries in use that is fewer scattered memory reads than a `Map` of entry chains.
 * At most {@link MAX_CHAIN} keys share a hash and a probe goes at most {@link MAX_PROBE} slots,
 * so keys crafted to collide cost a parse (they are not remembered), never a long scan.
 */
export class BoundedCache<V> {
  private young: Table;
  private old: Table;
  private readonly half: number;
  private readonly capacity: number;
  private lastKey: string | undefined;
  private lastHash = 0;

  constructor(
    max: number,
    /** Longer keys are never remembered (they would pin memory for little gain). */
    private readonly maxKeyLength = 1024,
  ) {
    this.half = Math.max(1, Math.floor(max / 2));
    let capacity = 8;
    while (capacity < 2 * this.half) capacity *= 2;
    this.capacity = capacity;
    this.young = new Table(capacity);
    this.old = EMPTY_TABLE;
  }

  get(key: string): V | undefined {
    const h = sampleHash(key) | USED;
    this.lastKey = key;
    this.lastHash = h;
    const y = this.young.find(h, key);
    if (y >= 0) return this.young.slots[y + 1] as V;
    if (this.old.count === 0) return undefined;
    const o = this.old.find(h, key);
    if (o < 0) return undefined;
    const value = this.old.slots[o + 1] as V;
    this.insert(h, key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return;
    // A miss is usually followed by the set of the same key: its hash is at hand.
    this.insert(key === this.lastKey ? this.lastHash : sampleHash(key) | USED, key, value);
  }

  private insert(h: number, key: string, value: V): void {
    if (this.young.count >= this.half) {
      this.old = this.young;
      this.young = new Table(this.capacity);
    }
    this.young.put(h, key, value);
  }

  get size(): number {
    return this.young.count + this.old.count;
  }

  clear(): void {
    this.lastKey = undefined;
    this.young = new Table(this.capacity);
    this.old = EMPTY_TABLE;
  }
}

/**
 * A function giving one shared copy of each string (bounded by a {@link BoundedCache} of `max`
 * strings, none longer than `maxLength`): the first copy seen is kept and given back for every
 * equal string after it, until evicted.
 */
export function sharedCopies(max: number, maxLength: number): (s: string) => string {
  const copies = new BoundedCache<string>(max, maxLength);
  return (s) => {
    const known = copies.get(s);
    if (known !== undefined) return known;
    copies.set(s, s);
    return s;
  };
}

/** Entries that share one sample hash; keys beyond it are not remembered. */
export const MAX_CHAIN = 8;
/** Slots a lookup or an insert probes at most. */
export const MAX_PROBE = 32;
/** Marks a used slot's hash (sample hashes are 30-bit, so a used slot is never 0). */
const USED = 0x40000000;

/** One generation: open addressing with linear probing, never more than half full. */
class Table {
  readonly hashes: Int32Array;
  /** Key at 2i, value at 2i + 1. */
  readonly slots: unknown[];
  readonly mask: number;
  count = 0;

  constructor(capacity: number) {
    this.hashes = new Int32Array(capacity);
    this.slots = new Array<unknown>(2 * capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  /** The slot index (2i) of `key`, or -1. */
  find(h: number, key: string): number {
    const hashes = this.hashes;
    for (let i = h & this.mask, p = 0; p < MAX_PROBE; i = (i + 1) & this.mask, p++) {
      const s = hashes[i];
      if (s === 0) return -1;
      if (s === h && this.slots[2 * i] === key) return 2 * i;
    }
    return -1;
  }

  put(h: number, key: string, value: unknown): void {
    const hashes = this.hashes;
    let same = 0;
    for (let i = h & this.mask, p = 0; p < MAX_PROBE; i = (i + 1) & this.mask, p++) {
      const s = hashes[i];
      if (s === 0) {
        if (same >= MAX_CHAIN) return;
        hashes[i] = h;
        this.slots[2 * i] = key;
        this.slots[2 * i + 1] = value;
        this.count++;
        return;
      }
      if (s === h) {
        if (this.slots[2 * i] === key) {
          this.slots[2 * i + 1] = value;
          return;
        }
        same++;
      }
    }
  }
}

const EMPTY_TABLE = new Table(8);

/**
 * A cheap 30-bit hash of a string: every character of a short one (at most 32: item references),
 * else its length, its last 8 characters, the 8 before the last 72 (where a tag ends when a
 * sha256 digest follows), and 8 more spread evenly over the rest. Image references differ in
 * their digest or tag, which this reads; long strings that differ only elsewhere collide, which
 * costs a comparison of the full keys.
 */
export function sampleHash(s: string): number {
  const n = s.length;
  let h = Math.imul(n, 0x9e3779b1);
  if (n <= 32) {
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
