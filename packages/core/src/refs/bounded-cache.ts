/**
 * A bounded memo for pure string parsers on the decision hot path: the same few thousand image
 * references arrive again and again, so each is parsed once. Two generations approximate LRU in
 * O(1): entries go to the young map; when it holds half the bound it becomes the old one (the
 * previous old one is dropped); a hit in the old map moves the entry back to the young one. At
 * most `max` entries are held. (Evicting one entry at a time with `map.keys().next()` is not
 * O(1) in V8: deleted slots pile up at the front until the table is rebuilt.) Values must be
 * immutable.
 */
export class BoundedCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(
    max: number,
    /** Longer keys are never remembered (they would pin memory for little gain). */
    private readonly maxKeyLength = 1024,
  ) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined || this.old.size === 0) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return;
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
