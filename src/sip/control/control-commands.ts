import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { deviceControlXml, expectsResponse, type ControlRequest } from './control-xml';
import { isErrorResult, readResult } from './control-responses';
import type { ManscdpExchange } from './exchange';

/** Where a command goes: the MESSAGE to `deviceId`, the XML DeviceID `targetId` (a channel, or the device itself). */
export interface ControlTarget {
  deviceId: string;
  targetId: string;
}

export interface ControlOutcome extends ControlTarget {
  /** The sub-command element sent (PTZCmd, RecordCmd, ...). */
  command: string;
  sn: number;
  /**
   * True when the device answered with Result OK (commands the standard answers: RecordCmd,
   * GuardCmd, AlarmCmd, HomePosition, DeviceConfig). False: the device took the MESSAGE (SIP 200)
   * and the standard defines no further answer.
   */
  confirmed: boolean;
}

/**
 * Sends DeviceControl commands. Those with a Response in the standard wait for it: Result ERROR is
 * a device_error (502), no Response in time a device_timeout (504).
 */
export class ControlCommands {
  constructor(
    private readonly exchange: ManscdpExchange,
    private readonly logger: Logger,
    private readonly options: { responseTimeoutMs: number },
  ) {}

  async run(target: ControlTarget, request: ControlRequest): Promise<ControlOutcome> {
    const { deviceId, targetId } = target;
    const build = (sn: number) => deviceControlXml(sn, targetId, request);
    if (!expectsResponse(request.command)) {
      const sn = await this.exchange.tell(deviceId, build);
      this.logger.info({ deviceId, channelId: targetId, command: request.command, sn }, 'device control sent');
      return { deviceId, targetId, command: request.command, sn, confirmed: false };
    }
    let answered = false;
    let result: string | null = null;
    const { sn } = await this.exchange.ask(deviceId, 'DeviceControl', build, this.options.responseTimeoutMs, (doc) => {
      answered = true;
      result = readResult(doc);
      return true;
    });
    return this.outcome({ deviceId, targetId, command: request.command, sn }, answered, result);
  }

  /** Turns a Response (or its absence) into the outcome or an AppError; shared with DeviceConfig. */
  outcome(sent: ControlTarget & { command: string; sn: number }, answered: boolean, result: string | null): ControlOutcome {
    const { deviceId, targetId, command, sn } = sent;
    if (!answered) {
      this.logger.warn({ deviceId, channelId: targetId, command, sn }, 'device control not answered');
      throw new AppError('device_timeout', `device ${deviceId} did not answer ${command} for ${targetId}`);
    }
    if (isErrorResult(result)) {
      this.logger.warn({ deviceId, channelId: targetId, command, sn, result }, 'device control refused');
      throw new AppError('device_error', `device ${deviceId} answered ${command} for ${targetId} with Result ${result ?? ''}`);
    }
    this.logger.info({ deviceId, channelId: targetId, command, sn }, 'device control confirmed');
    return { deviceId, targetId, command, sn, confirmed: true };
  }
}
