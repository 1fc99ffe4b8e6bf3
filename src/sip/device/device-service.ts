import { AppError } from '../../errors';
import type { IndexStore, Registration, StateStore } from '../../storage/ports';
import type { Channel, ChannelQuery, Device, DeviceEvent, DeviceEventQuery, DeviceQuery, Page } from '../../storage/types';
import { isValidGbId } from '../gbid';
import type { CatalogResult, DeviceInfo, DeviceQueries, DeviceStatus } from './device-queries';
import type { DevicePresence } from './presence';
import type { RecordInfoQuery, RecordInfoResult } from './record-info-collector';
import { channelOwner } from './channel-owner';

/** A device as the API shows it: the stored record without its secret, plus live registration facts. */
export interface DeviceView extends Omit<Device, 'password'> {
  hasOwnPassword: boolean;
  lastSeenAt: number | null;
  registrationExpiresAt: number | null;
}

export interface DeviceProvision {
  deviceId: string;
  name?: string | null;
  password?: string | null;
  charset?: string | null;
}

/**
 * What the API (and later the web console) does with devices: list, look up, provision, change
 * per-device settings, delete, and ask live questions of a device.
 */
export class DeviceService {
  constructor(
    private readonly index: IndexStore,
    private readonly state: StateStore,
    private readonly presence: DevicePresence,
    private readonly queries: DeviceQueries,
  ) {}

  private view(device: Device, reg: Registration | null): DeviceView {
    const { password, ...rest } = device;
    return {
      ...rest,
      hasOwnPassword: password !== null,
      lastSeenAt: reg?.lastSeenAt ?? device.lastKeepaliveAt,
      registrationExpiresAt: reg?.expiresAt ?? null,
    };
  }

  async list(query: DeviceQuery): Promise<Page<DeviceView>> {
    const page = await this.index.listDevices(query);
    const regs = await Promise.all(page.items.map((d) => this.state.getRegistration(d.deviceId)));
    return { total: page.total, items: page.items.map((d, i) => this.view(d, regs[i] ?? null)) };
  }

  async get(deviceId: string): Promise<DeviceView> {
    const device = await this.index.getDevice(deviceId);
    if (!device) throw new AppError('not_found', `device ${deviceId} is not known`);
    return this.view(device, await this.state.getRegistration(deviceId));
  }

  /** Enrols a device ahead of its first REGISTER (needed when auto-enrolment is off). */
  async provision(input: DeviceProvision): Promise<DeviceView> {
    if (!isValidGbId(input.deviceId)) throw new AppError('bad_request', 'deviceId must be a 20-digit GB/T 28181 ID');
    if (await this.index.getDevice(input.deviceId)) throw new AppError('conflict', `device ${input.deviceId} already exists`);
    await this.index.upsertDevice(input.deviceId, {
      typeCode: input.deviceId.slice(10, 13),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.password !== undefined ? { password: input.password } : {}),
      ...(input.charset !== undefined ? { charset: input.charset } : {}),
    });
    return this.get(input.deviceId);
  }

  async update(deviceId: string, patch: Omit<DeviceProvision, 'deviceId'>): Promise<DeviceView> {
    await this.get(deviceId);
    await this.index.upsertDevice(deviceId, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.password !== undefined ? { password: patch.password } : {}),
      ...(patch.charset !== undefined ? { charset: patch.charset } : {}),
    });
    return this.get(deviceId);
  }

  /** Deletes the device and its channels; an online device is first recorded as going offline. */
  async remove(deviceId: string): Promise<void> {
    const device = await this.index.getDevice(deviceId);
    if (!device) throw new AppError('not_found', `device ${deviceId} is not known`);
    await this.state.deleteRegistration(deviceId);
    await this.state.clearDeadline(deviceId);
    await this.presence.markOffline(deviceId, 'deleted', Date.now());
    await this.index.deleteDevice(deviceId);
    await this.presence.forget(deviceId);
  }

  async channels(query: ChannelQuery): Promise<Page<Channel>> {
    if (query.deviceId) await this.get(query.deviceId);
    return this.index.listChannels(query);
  }

  async channel(channelId: string, deviceId?: string): Promise<Channel> {
    const channel = await this.index.getChannel(channelId, deviceId);
    if (!channel) throw new AppError('not_found', `channel ${channelId} is not known`);
    return channel;
  }

  async events(query: DeviceEventQuery): Promise<DeviceEvent[]> {
    if (query.deviceId) await this.get(query.deviceId);
    return this.index.listDeviceEvents(query);
  }

  refreshCatalog(deviceId: string): Promise<CatalogResult> {
    return this.queries.catalog(deviceId);
  }

  deviceInfo(deviceId: string): Promise<DeviceInfo> {
    return this.queries.deviceInfo(deviceId);
  }

  deviceStatus(deviceId: string): Promise<DeviceStatus> {
    return this.queries.deviceStatus(deviceId);
  }

  /**
   * Asks the device that owns a channel which recordings it holds on its own disk. An ID that is
   * no channel but a device (an IPC asked for itself) is asked directly.
   */
  async deviceRecordings(channelId: string, query: RecordInfoQuery, deviceId?: string): Promise<RecordInfoResult> {
    return this.queries.recordInfo(await channelOwner(this.index, channelId, deviceId), channelId, query);
  }
}
