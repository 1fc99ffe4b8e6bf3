/**
 * Hands out frame buffers carved from larger slabs. Giving every frame an ArrayBuffer of its own
 * costs several times the copy into it (allocation, first-touch page faults, GC bookkeeping), and
 * frames are allocated at up to tens of thousands per second per core. A slab is never reused
 * here: it is freed by the GC once the last frame cut from it is gone, so holding a frame (a GOP
 * cache does) keeps at most its slab alive.
 */
export class SlabAllocator {
  private slab: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** Slabs start small and double, so a short-lived or quiet stream does not cost a big one. */
  private nextSlabSize = 16 * 1024;

  constructor(private readonly maxSlabSize = 256 * 1024) {}

  allocate(size: number): Buffer {
    if (size > this.maxSlabSize >> 2) return Buffer.allocUnsafeSlow(size);
    if (this.offset + size > this.slab.length) {
      while (this.nextSlabSize < size * 2) this.nextSlabSize *= 2;
      this.slab = Buffer.allocUnsafeSlow(this.nextSlabSize);
      this.nextSlabSize = Math.min(this.maxSlabSize, this.nextSlabSize * 2);
      this.offset = 0;
    }
    const out = this.slab.subarray(this.offset, this.offset + size);
    this.offset = (this.offset + size + 7) & ~7;
    return out;
  }

  /** Buffer.concat into slab memory. */
  concat(pieces: readonly Buffer[], total?: number): Buffer {
    let size = total ?? 0;
    if (total === undefined) for (const p of pieces) size += p.length;
    const out = this.allocate(size);
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
