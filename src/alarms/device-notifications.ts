import type { Logger } from '../logger';
import { senderId } from '../sip/device/registrar';
import { isValidGbId } from '../sip/gbid';
import { parseManscdp, type ManscdpDocument } from '../sip/manscdp';
import type { SipRequest } from '../sip/message/types';
import type { ServerTransactionContext } from '../sip/transaction';
import type { IndexStore } from '../storage/ports';
import type { AlarmService } from './alarm-service';
import type { CatalogChanges } from './catalog-changes';
import type { PositionService } from './position-service';

/** Notify CmdTypes this module takes, lower-cased. */
const HANDLED = new Set(['alarm', 'mobileposition', 'catalog']);

/**
 * Where device notifications arrive, whichever way they come: a MESSAGE (the router's 'notify'
 * event, already answered 200 there), a NOTIFY inside one of our subscriptions, or a NOTIFY
 * outside any dialog (some devices send those). Each goes to the alarm, position or catalog side.
 */
export class DeviceNotifications {
  constructor(
    private readonly index: IndexStore,
    private readonly alarms: AlarmService,
    private readonly positions: PositionService,
    private readonly catalog: CatalogChanges,
    private readonly logger: Logger,
  ) {}

  /** A Notify document that came by MESSAGE. Never rejects. */
  onMessage(deviceId: string, doc: ManscdpDocument): void {
    this.dispatch(deviceId, doc, 'message').catch((err: unknown) => this.logger.error({ err, deviceId, cmdType: doc.cmdType }, 'device notification failed'));
  }

  /**
   * A NOTIFY request. In a subscription dialog (`dialogDeviceId` set) it is always answered;
   * outside one, a NOTIFY that is not a MANSCDP Alarm/Catalog/MobilePosition is passed on (false).
   */
  async handleNotify(request: SipRequest, ctx: ServerTransactionContext, dialogDeviceId?: string): Promise<boolean> {
    const inDialog = dialogDeviceId !== undefined;
    const deviceId = dialogDeviceId ?? senderId(request);
    const contentType = (request.headers.get('content-type') ?? '').toLowerCase();
    if (request.body.length === 0) {
      if (!inDialog) return false;
      ctx.respond(200, 'OK');
      return true;
    }
    if (!contentType.includes('manscdp')) {
      if (!inDialog) return false;
      this.logger.warn({ deviceId, contentType }, 'NOTIFY with an unsupported content type');
      ctx.respond(415, 'Unsupported Media Type', { headers: [['Accept', 'Application/MANSCDP+xml']] });
      return true;
    }
    if (!deviceId || !isValidGbId(deviceId)) {
      ctx.respond(400, 'Invalid Device ID');
      return true;
    }
    const device = await this.index.getDevice(deviceId);
    const parsed = parseManscdp(request.body, device?.charset ?? null);
    if (!parsed.ok) {
      this.logger.warn({ deviceId, error: parsed.error, bytes: request.body.length, inDialog }, 'NOTIFY with an unreadable MANSCDP body');
      ctx.respond(400, 'Bad MANSCDP Body');
      return true;
    }
    const doc = parsed.value;
    if (doc.root !== 'Notify' || !HANDLED.has(doc.cmdType.toLowerCase())) {
      if (!inDialog) return false;
      this.logger.warn({ deviceId, root: doc.root, cmdType: doc.cmdType }, 'NOTIFY with an unexpected CmdType');
      ctx.respond(200, 'OK');
      return true;
    }
    if (!device) {
      this.logger.warn({ deviceId, cmdType: doc.cmdType }, 'NOTIFY from an unknown device');
      ctx.respond(403, 'Unknown Device');
      return true;
    }
    ctx.respond(200, 'OK');
    try {
      await this.dispatch(deviceId, doc, 'notify');
    } catch (err) {
      this.logger.error({ err, deviceId, cmdType: doc.cmdType }, 'device notification failed');
    }
    return true;
  }

  private async dispatch(deviceId: string, doc: ManscdpDocument, via: 'message' | 'notify'): Promise<void> {
    if (doc.root !== 'Notify') return;
    switch (doc.cmdType.toLowerCase()) {
      case 'alarm':
        await this.alarms.receive(deviceId, doc, via);
        return;
      case 'mobileposition':
        await this.positions.receive(deviceId, doc);
        return;
      case 'catalog':
        await this.catalog.apply(deviceId, doc);
        return;
      default:
    }
  }
}
