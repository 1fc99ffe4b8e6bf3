import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { IndexStore } from '../../storage/ports';
import type { ChannelSyncResult } from '../../storage/types';
import {
  buildQuery,
  readCatalogResponse,
  readDeviceInfoResponse,
  readDeviceStatusResponse,
  toChannelUpdate,
  type CatalogItem,
  type ManscdpDocument,
} from '../manscdp';
import { formatGbTime } from './gb-time';
import type { DeviceMessenger } from './messenger';
import type { PendingQueries } from './pending-queries';
import { RecordInfoCollector, type RecordInfoQuery, type RecordInfoResult } from './record-info-collector';

export interface CatalogResult extends ChannelSyncResult {
  /** Every item of SumNum arrived; false when the answer timed out part-way (nothing was marked missing). */
  complete: boolean;
  received: number;
  expected: number;
}

export type DeviceInfo = NonNullable<ReturnType<typeof readDeviceInfoResponse>>;
export type DeviceStatus = NonNullable<ReturnType<typeof readDeviceStatusResponse>>;

export interface DeviceQueryOptions {
  /** Time to collect every MESSAGE of a split answer (Catalog, RecordInfo). */
  catalogTimeoutMs: number;
  /** Time for a single-MESSAGE answer (DeviceInfo, DeviceStatus). */
  queryTimeoutMs: number;
  /** Zone of the local times GB/T 28181 XML carries. Default Asia/Shanghai. */
  timeZone?: string;
}

/**
 * The platform's queries to a device: Catalog and RecordInfo (multi-MESSAGE answers reassembled
 * by SumNum with a timeout), DeviceInfo and DeviceStatus. Answers are delivered by the MESSAGE router.
 */
export class DeviceQueries {
  constructor(
    private readonly messenger: DeviceMessenger,
    private readonly pending: PendingQueries,
    private readonly index: IndexStore,
    private readonly logger: Logger,
    private readonly options: DeviceQueryOptions,
  ) {}

  async catalog(deviceId: string): Promise<CatalogResult> {
    const sn = this.pending.nextSn();
    const items = new Map<string, CatalogItem>();
    let expected = -1;
    const wait = this.pending.wait(deviceId, 'Catalog', sn, this.options.catalogTimeoutMs, (doc) => {
      const answer = readCatalogResponse(doc);
      if (!answer) return false;
      expected = answer.sumNum;
      for (const item of answer.items) items.set(item.channelId, item);
      return items.size >= expected;
    });
    try {
      await this.messenger.sendManscdp(deviceId, buildQuery('Catalog', sn, deviceId));
    } catch (err) {
      wait.cancel();
      throw err;
    }
    const complete = await wait.done;
    if (expected < 0) throw new AppError('device_timeout', `device ${deviceId} did not answer the catalog query`);
    const sync = await this.index.syncChannels(deviceId, [...items.values()].map(toChannelUpdate), { complete });
    const result: CatalogResult = { ...sync, complete, received: items.size, expected };
    this.logger.info({ deviceId, ...result }, complete ? 'catalog synchronised' : 'catalog answer incomplete');
    return result;
  }

  /** Applies a catalog answer nobody asked for (some devices push one after registering). */
  async unsolicitedCatalog(deviceId: string, doc: ManscdpDocument): Promise<void> {
    const answer = readCatalogResponse(doc);
    if (!answer || answer.items.length === 0) return;
    await this.index.syncChannels(deviceId, answer.items.map(toChannelUpdate), { complete: false });
  }

  /**
   * Asks a device which recordings it holds for `channelId` in [start, end] (RecordInfo). Waits
   * for SumNum items or the timeout: a partial answer comes back with `complete: false`, no
   * answer at all is a device_timeout.
   */
  async recordInfo(deviceId: string, channelId: string, query: RecordInfoQuery): Promise<RecordInfoResult> {
    const timeZone = this.options.timeZone ?? 'Asia/Shanghai';
    const sn = this.pending.nextSn();
    const collector = new RecordInfoCollector(timeZone);
    const wait = this.pending.wait(deviceId, 'RecordInfo', sn, this.options.catalogTimeoutMs, (doc) => collector.add(doc));
    const fields: Array<[string, string]> = [
      ['StartTime', formatGbTime(query.start, timeZone)],
      ['EndTime', formatGbTime(query.end, timeZone)],
      ['Secrecy', '0'],
      ['Type', query.type ?? 'all'],
    ];
    try {
      await this.messenger.sendManscdp(deviceId, buildQuery('RecordInfo', sn, channelId, fields));
    } catch (err) {
      wait.cancel();
      throw err;
    }
    const complete = await wait.done;
    if (!collector.answered) throw new AppError('device_timeout', `device ${deviceId} did not answer the RecordInfo query for ${channelId}`);
    const result = collector.result(deviceId, channelId, complete);
    this.logger.info(
      { deviceId, channelId, sumNum: result.sumNum, received: collector.received, skipped: result.skipped, complete },
      complete ? 'device recordings listed' : 'device recordings answer incomplete',
    );
    return result;
  }

  private async single(deviceId: string, cmdType: 'DeviceInfo' | 'DeviceStatus'): Promise<ManscdpDocument> {
    const sn = this.pending.nextSn();
    let answer: ManscdpDocument | null = null;
    const wait = this.pending.wait(deviceId, cmdType, sn, this.options.queryTimeoutMs, (doc) => {
      answer = doc;
      return true;
    });
    try {
      await this.messenger.sendManscdp(deviceId, buildQuery(cmdType, sn, deviceId));
    } catch (err) {
      wait.cancel();
      throw err;
    }
    await wait.done;
    if (!answer) throw new AppError('device_timeout', `device ${deviceId} did not answer the ${cmdType} query`);
    return answer;
  }

  async deviceInfo(deviceId: string): Promise<DeviceInfo> {
    const info = readDeviceInfoResponse(await this.single(deviceId, 'DeviceInfo'));
    if (!info) throw new AppError('device_error', `device ${deviceId} sent an unreadable DeviceInfo answer`);
    await this.index.upsertDevice(deviceId, {
      ...(info.deviceName ? { name: info.deviceName } : {}),
      ...(info.manufacturer ? { manufacturer: info.manufacturer } : {}),
      ...(info.model ? { model: info.model } : {}),
      ...(info.firmware ? { firmware: info.firmware } : {}),
    });
    return info;
  }

  async deviceStatus(deviceId: string): Promise<DeviceStatus> {
    const status = readDeviceStatusResponse(await this.single(deviceId, 'DeviceStatus'));
    if (!status) throw new AppError('device_error', `device ${deviceId} sent an unreadable DeviceStatus answer`);
    return status;
  }
}
