import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { PendingQueries } from '../../sip/device/pending-queries';
import { ManscdpExchange } from '../../sip/control/exchange';
import { childText, type ManscdpDocument } from '../../sip/manscdp';
import type { AuditLog } from '../audit/audit-log';
import type { Caller } from '../audit/types';
import type { BuildingDirectory } from '../building-directory';
import { buildDoorOpen, type DoorOpenCommand } from './door-command';

export interface DoorOpenerOptions {
  command: DoorOpenCommand;
  timeoutMs: number;
}

export interface DoorOpenRequest {
  /** The building whose door host opens, or the door host itself. */
  buildingId?: string;
  deviceId?: string;
  /** A door channel of the host (written as the DeviceID of the command), when it has several. */
  doorId?: string | null;
  /** Door / relay number (auxiliary switch number). Default 1. */
  door?: number;
}

export interface DoorOpenResult {
  buildingId: string;
  deviceId: string;
  doorId: string | null;
  command: DoorOpenCommand;
  result: 'OK';
  answeredInMs: number;
}

/** Sends a door host the unlock DeviceControl and waits for its Response; every request is audited. */
export class DoorOpener {
  constructor(
    private readonly messenger: { sendManscdp(deviceId: string, xml: string): Promise<unknown> },
    private readonly pending: PendingQueries,
    private readonly directory: BuildingDirectory,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly options: DoorOpenerOptions,
  ) {}

  async open(request: DoorOpenRequest, caller: Caller): Promise<DoorOpenResult> {
    const doorId = request.doorId ?? null;
    const door = request.door ?? 1;
    const started = Date.now();
    let buildingId = request.buildingId ?? null;
    let deviceId = request.deviceId ?? null;
    let outcome = 'failed';
    try {
      ({ buildingId, deviceId } = await this.target(request));
      const answer = await this.send(deviceId, doorId ?? deviceId, door);
      const result = (childText(answer.element, 'Result') ?? '').trim().toUpperCase();
      if (result !== 'OK') {
        outcome = `ERROR${result && result !== 'ERROR' ? ` (${result})` : ''}`;
        throw new AppError('device_error', `door host ${deviceId} refused to open (Result ${result || 'missing'})`);
      }
      outcome = 'OK';
      this.logger.info({ deviceId, buildingId, doorId, actor: caller.actor }, 'door opened remotely');
      return { buildingId, deviceId, doorId, command: this.options.command, result: 'OK', answeredInMs: Date.now() - started };
    } catch (err) {
      if (err instanceof AppError && outcome === 'failed') outcome = err.code === 'device_offline' ? 'offline' : err.code === 'device_timeout' ? 'timeout' : err.code;
      throw err;
    } finally {
      // Every request, refused ones too (unknown building, no door host).
      await this.audit.record(caller, 'door.open', deviceId, outcome, { buildingId, doorId, door, command: this.options.command });
    }
  }

  private async target(request: DoorOpenRequest): Promise<{ buildingId: string; deviceId: string }> {
    if (request.buildingId !== undefined) {
      const building = await this.directory.getBuilding(request.buildingId);
      if (!building) throw new AppError('not_found', `building ${request.buildingId} does not exist`);
      const host = building.devices.find((d) => d.role === 'door');
      if (!host) throw new AppError('not_found', `building ${request.buildingId} has no door-entry host`);
      return { buildingId: building.buildingId, deviceId: host.deviceId };
    }
    const deviceId = request.deviceId ?? '';
    const building = await this.directory.buildingOfDevice(deviceId);
    if (!building || !building.devices.some((d) => d.deviceId === deviceId && d.role === 'door')) {
      throw new AppError('not_found', `device ${deviceId} is not the door-entry host of any building`);
    }
    return { buildingId: building.buildingId, deviceId };
  }

  private async send(deviceId: string, targetId: string, door: number): Promise<ManscdpDocument> {
    let answer: ManscdpDocument | null = null;
    await new ManscdpExchange(this.messenger, this.pending).ask(deviceId, 'DeviceControl', (sn) => buildDoorOpen(this.options.command, sn, targetId, door), this.options.timeoutMs, (doc) => {
      answer = doc;
      return true;
    });
    if (!answer) throw new AppError('device_timeout', `door host ${deviceId} did not answer the open command within ${this.options.timeoutMs} ms`);
    return answer;
  }
}
