/**
 * Hot images in memory, bounded in bytes, least recently used out first: a popular post's
 * images are read from the store once per instance, not once per reader. Objects are immutable,
 * so an entry never goes stale; only the bound evicts.
 */
export class MediaCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    /** Larger objects are streamed and never cached: one original must not flush a page's renditions. */
    readonly maxItemBytes = Math.min(2 * 1024 * 1024, maxBytes / 4),
  ) {}

  get size(): number {
    return this.bytes;
  }

  fits(size: number): boolean {
    return size <= this.maxItemBytes;
  }

  get(key: string): Buffer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting makes it the most recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, data: Buffer): void {
    if (!this.fits(data.length) || this.entries.has(key)) return;
    this.entries.set(key, data);
    this.bytes += data.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }

  delete(key: string): void {
    const value = this.entries.get(key);
    if (!value) return;
    this.entries.delete(key);
    this.bytes -= value.length;
  }
}
