/**
 * Per-device deadlines in a binary min-heap: setDeadline O(log n), takeExpired O(k log n).
 * Replaced and cleared deadlines are not searched for in the heap: the map holds each device's
 * current deadline and heap entries that no longer match it are dropped when they surface. The
 * heap is rebuilt from the map when stale entries outnumber live ones, which bounds its size.
 */
interface Entry {
  at: number;
  id: string;
}

export class DeadlineQueue {
  private heap: Entry[] = [];
  private readonly current = new Map<string, number>();

  get size(): number {
    return this.current.size;
  }

  set(id: string, at: number): void {
    if (this.current.get(id) === at) return;
    this.current.set(id, at);
    this.push({ at, id });
    if (this.heap.length > 2 * this.current.size + 1024) this.rebuild();
  }

  clear(id: string): void {
    this.current.delete(id);
  }

  /** Removes and returns up to `limit` IDs whose deadline is <= now, earliest first. */
  takeExpired(now: number, limit: number): string[] {
    const taken: string[] = [];
    while (taken.length < limit) {
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      if (this.current.get(top.id) !== top.at) continue;
      this.current.delete(top.id);
      taken.push(top.id);
    }
    return taken;
  }

  private rebuild(): void {
    this.heap = [...this.current].map(([id, at]) => ({ id, at }));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Entry;
      if (p.at <= entry.at) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const entry = heap[start] as Entry;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      let child = left;
      let childEntry = heap[left] as Entry;
      const rightEntry = heap[left + 1];
      if (rightEntry && rightEntry.at < childEntry.at) {
        child = left + 1;
        childEntry = rightEntry;
      }
      if (childEntry.at >= entry.at) break;
      heap[i] = childEntry;
      i = child;
    }
    heap[i] = entry;
  }
}
