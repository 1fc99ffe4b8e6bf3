import type { ManscdpDocument } from '../manscdp';

type Accumulate = (doc: ManscdpDocument) => boolean;

interface Pending {
  sn: number;
  accumulate: Accumulate;
  finish: (complete: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * Answers to our MANSCDP queries arrive as separate MESSAGEs from the device, possibly several
 * (SumNum) and in any order. This matches them to the query by device, CmdType and SN; when a
 * device answers with another SN (some do), the oldest pending query of that kind takes it.
 */
export class PendingQueries {
  private readonly byKey = new Map<string, Pending[]>();
  private sn = 1 + Math.floor(Math.random() * 100000);

  nextSn(): number {
    this.sn = this.sn >= 2_000_000_000 ? 1 : this.sn + 1;
    return this.sn;
  }

  /**
   * Waits for answers until `accumulate` returns true (complete) or the timeout passes
   * (resolves false: what was accumulated so far is partial).
   */
  wait(deviceId: string, cmdType: string, sn: number, timeoutMs: number, accumulate: Accumulate): { done: Promise<boolean>; cancel: () => void } {
    const key = `${deviceId}|${cmdType.toLowerCase()}`;
    let resolveDone: (complete: boolean) => void = () => undefined;
    const done = new Promise<boolean>((resolve) => {
      resolveDone = resolve;
    });
    const pending: Pending = {
      sn,
      accumulate,
      finish: (complete) => {
        clearTimeout(pending.timer);
        const list = this.byKey.get(key);
        if (list) {
          const i = list.indexOf(pending);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.byKey.delete(key);
        }
        resolveDone(complete);
      },
      timer: setTimeout(() => pending.finish(false), timeoutMs),
    };
    pending.timer.unref();
    const list = this.byKey.get(key);
    if (list) list.push(pending);
    else this.byKey.set(key, [pending]);
    return { done, cancel: () => pending.finish(false) };
  }

  /** Offers an answer; true when a pending query took it. */
  deliver(deviceId: string, doc: ManscdpDocument): boolean {
    const list = this.byKey.get(`${deviceId}|${doc.cmdType.toLowerCase()}`);
    if (!list || list.length === 0) return false;
    const pending = list.find((p) => p.sn === doc.sn) ?? list[0];
    if (!pending) return false;
    if (pending.accumulate(doc)) pending.finish(true);
    return true;
  }

  /** Ends every wait (shutdown). */
  close(): void {
    for (const list of [...this.byKey.values()]) for (const p of [...list]) p.finish(false);
  }
}
