import { readRecordInfoResponse, type ManscdpDocument, type RecordInfoItem } from '../manscdp';

export type RecordType = 'all' | 'time' | 'alarm' | 'manual';

export interface RecordInfoQuery {
  /** Epoch ms UTC. */
  start: number;
  end: number;
  /** Default 'all'. */
  type?: RecordType;
}

/** The recordings a device holds on its own disk for one channel, sorted by start. */
export interface RecordInfoResult {
  deviceId: string;
  channelId: string;
  /** Items the device announced (SumNum). */
  sumNum: number;
  /** Every announced item arrived; false when the answer timed out part-way. */
  complete: boolean;
  /** Items the device sent without usable start/end times (not listed). */
  skipped: number;
  items: RecordInfoItem[];
}

/** Fields that make two items the same recording: a part sent twice must not count twice. */
function identity(item: RecordInfoItem): string {
  return [item.deviceId, item.filePath, item.start, item.end, item.type, item.address, item.recorderId, item.streamNumber].join('|');
}

/**
 * Reassembles a RecordInfo answer from its MESSAGEs (Annex M: same SN, any order, SumNum the
 * total). SumNum is the largest any part announced; an item repeated across parts counts once.
 */
export class RecordInfoCollector {
  private sumNum = -1;
  private skipped = 0;
  private readonly items = new Map<string, RecordInfoItem>();

  constructor(private readonly timeZone: string) {}

  /** Takes one answer MESSAGE; true once SumNum items have arrived. */
  add(doc: ManscdpDocument): boolean {
    const message = readRecordInfoResponse(doc, this.timeZone);
    if (!message) return false;
    this.sumNum = Math.max(this.sumNum, message.sumNum);
    this.skipped += message.skipped;
    for (const item of message.items) this.items.set(identity(item), item);
    return this.received >= this.sumNum;
  }

  /** At least one answer MESSAGE arrived. */
  get answered(): boolean {
    return this.sumNum >= 0;
  }

  get received(): number {
    return this.items.size + this.skipped;
  }

  result(deviceId: string, channelId: string, complete: boolean): RecordInfoResult {
    const items = [...this.items.values()].sort((a, b) => a.start - b.start || a.end - b.end);
    return { deviceId, channelId, sumNum: Math.max(0, this.sumNum), complete, skipped: this.skipped, items };
  }
}
