import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { IndexStore } from '../../storage/ports';
import type { DeviceMessenger } from '../device/messenger';
import type { PendingQueries } from '../device/pending-queries';
import { ControlCommands, type ControlOutcome, type ControlTarget } from './control-commands';
import { ControlQueries, type DeviceConfigView, type PresetList } from './control-queries';
import {
  alarmResetRequest,
  dragZoomRequest,
  guardRequest,
  homePositionRequest,
  iframeRequest,
  preciseRequest,
  ptzRequest,
  recordRequest,
  teleBootRequest,
  type AlarmResetInfo,
  type BasicParamSettings,
  type ControlRequest,
  type DragZoomBox,
  type HomePositionSettings,
  type PrecisePosition,
  type PtzCmdParams,
} from './control-xml';
import { ManscdpExchange } from './exchange';
import { DEFAULT_PTZ_ADDRESS, encodePtzCmd } from './ptz-encode';
import type { PtzCommand } from './ptz-types';
import { channelOwner } from '../device/channel-owner';

export interface DeviceControlOptions {
  /** Wait for a single Response (RecordCmd, GuardCmd, AlarmCmd, HomePosition, DeviceConfig). */
  responseTimeoutMs: number;
  /** Wait for answers in parts (PresetQuery, ConfigDownload). */
  listTimeoutMs: number;
  /** Byte 3 of PTZCmd (devices ignore it). Default 1. */
  ptzAddress?: number;
}

export interface PtzOutcome extends ControlOutcome {
  /** The 16 hex digits sent in <PTZCmd>. */
  ptzCmd: string;
}

/** Values outside the standard's ranges are the caller's mistake (400), not a failure of the device. */
function encode(command: PtzCommand, address: number): string {
  try {
    return encodePtzCmd(command, address);
  } catch (err) {
    if (err instanceof RangeError) throw new AppError('bad_request', err.message);
    throw err;
  }
}

/**
 * What the API does to cameras and devices (GB/T 28181 9.3, A.2.3): PTZ, presets, cruise, scan,
 * lens, home position, drag zoom, recording, guard, alarm reset, key frames, reboot, and reading or
 * changing the configuration. Channels are resolved to the device that owns them; the XML DeviceID
 * names the channel.
 */
export class DeviceControlService {
  private readonly commands: ControlCommands;
  private readonly queries: ControlQueries;
  private readonly ptzAddress: number;

  constructor(
    messenger: DeviceMessenger,
    pending: PendingQueries,
    private readonly index: IndexStore,
    logger: Logger,
    options: DeviceControlOptions,
  ) {
    const exchange = new ManscdpExchange(messenger, pending);
    this.commands = new ControlCommands(exchange, logger, { responseTimeoutMs: options.responseTimeoutMs });
    this.queries = new ControlQueries(exchange, this.commands, logger, options);
    this.ptzAddress = options.ptzAddress ?? DEFAULT_PTZ_ADDRESS;
  }

  /** The device owning a channel; a device ID (an IPC registered alone) is its own channel. */
  async channelTarget(channelId: string): Promise<ControlTarget> {
    return { deviceId: await channelOwner(this.index, channelId), targetId: channelId };
  }

  /** A device, or one of its channels (an alarm input, a camera of an NVR) as the XML DeviceID. */
  async deviceTarget(deviceId: string, channelId?: string): Promise<ControlTarget> {
    if ((await this.index.getDevice(deviceId)) === null) throw new AppError('not_found', `device ${deviceId} is not known`);
    if (channelId === undefined || channelId === deviceId) return { deviceId, targetId: deviceId };
    if ((await this.index.getChannel(channelId, deviceId)) === null) throw new AppError('not_found', `channel ${channelId} of device ${deviceId} is not known`);
    return { deviceId, targetId: channelId };
  }

  async ptz(channelId: string, command: PtzCommand, params?: PtzCmdParams): Promise<PtzOutcome> {
    const ptzCmd = encode(command, this.ptzAddress);
    const target = await this.channelTarget(channelId);
    return { ...(await this.commands.run(target, ptzRequest(ptzCmd, params))), ptzCmd };
  }

  async presets(channelId: string): Promise<PresetList> {
    return this.queries.presets(await this.channelTarget(channelId));
  }

  private async onChannel(channelId: string, request: ControlRequest): Promise<ControlOutcome> {
    return this.commands.run(await this.channelTarget(channelId), request);
  }

  record(channelId: string, start: boolean, streamNumber?: number): Promise<ControlOutcome> {
    return this.onChannel(channelId, recordRequest(start, streamNumber));
  }

  iframe(channelId: string, element?: 'IFameCmd' | 'IFrameCmd'): Promise<ControlOutcome> {
    return this.onChannel(channelId, iframeRequest(element));
  }

  homePosition(channelId: string, settings: HomePositionSettings): Promise<ControlOutcome> {
    return this.onChannel(channelId, homePositionRequest(settings));
  }

  dragZoom(channelId: string, zoomIn: boolean, box: DragZoomBox): Promise<ControlOutcome> {
    return this.onChannel(channelId, dragZoomRequest(zoomIn, box));
  }

  precisePosition(channelId: string, position: PrecisePosition): Promise<ControlOutcome> {
    return this.onChannel(channelId, preciseRequest(position));
  }

  async reboot(deviceId: string): Promise<ControlOutcome> {
    return this.commands.run(await this.deviceTarget(deviceId), teleBootRequest());
  }

  async guard(deviceId: string, set: boolean, channelId?: string): Promise<ControlOutcome> {
    return this.commands.run(await this.deviceTarget(deviceId, channelId), guardRequest(set));
  }

  async alarmReset(deviceId: string, info: AlarmResetInfo, channelId?: string): Promise<ControlOutcome> {
    return this.commands.run(await this.deviceTarget(deviceId, channelId), alarmResetRequest(info));
  }

  async config(deviceId: string, types: readonly string[]): Promise<DeviceConfigView> {
    return this.queries.config(await this.deviceTarget(deviceId), types);
  }

  async configure(deviceId: string, basic: BasicParamSettings): Promise<ControlOutcome> {
    return this.queries.configure(await this.deviceTarget(deviceId), basic);
  }
}
