import type { ManscdpDocument } from '../manscdp';
import type { PendingQueries } from '../device/pending-queries';

/**
 * One MANSCDP request to a device and, when it has one, its answer: the same SN/CmdType matching as
 * the device queries (src/sip/device/pending-queries), shared by every control command.
 */
export class ManscdpExchange {
  constructor(
    private readonly messenger: { sendManscdp(deviceId: string, xml: string): Promise<unknown> },
    private readonly pending: PendingQueries,
  ) {}

  /** Sends a request that has no answer beyond the SIP 200 (offline, timeouts and refusals become AppError). */
  async tell(deviceId: string, build: (sn: number) => string): Promise<number> {
    const sn = this.pending.nextSn();
    await this.messenger.sendManscdp(deviceId, build(sn));
    return sn;
  }

  /**
   * Sends a request and feeds every answer of `cmdType` to `accumulate` until it returns true
   * (complete) or `timeoutMs` passes (complete: false). The wait starts before the MESSAGE leaves,
   * so an answer that overtakes the SIP 200 is not lost.
   */
  async ask(
    deviceId: string,
    cmdType: string,
    build: (sn: number) => string,
    timeoutMs: number,
    accumulate: (doc: ManscdpDocument) => boolean,
  ): Promise<{ sn: number; complete: boolean }> {
    const sn = this.pending.nextSn();
    const wait = this.pending.wait(deviceId, cmdType, sn, timeoutMs, accumulate);
    try {
      await this.messenger.sendManscdp(deviceId, build(sn));
    } catch (err) {
      wait.cancel();
      throw err;
    }
    return { sn, complete: await wait.done };
  }
}
