import type { Logger } from '../logger';
import type { SipRequest } from '../sip/message/types';
import type { Dialog, ServerTransactionContext, SipEndpoint } from '../sip/transaction';
import { catalogDocuments } from './catalog-items';
import { encodeForUpper } from './upper-encoding';
import type { UpperPlatform } from './types';

interface Subscription {
  dialog: Dialog;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

const DEFAULT_EXPIRES_SEC = 3600;
const MAX_EXPIRES_SEC = 86400;

function requestedExpires(request: SipRequest): number {
  const value = Number.parseInt(request.headers.get('expires') ?? '', 10);
  if (!Number.isFinite(value) || value < 0) return DEFAULT_EXPIRES_SEC;
  return Math.min(value, MAX_EXPIRES_SEC);
}

/**
 * An upper's catalog subscriptions (SUBSCRIBE with Event: Catalog, RFC 6665 dialogs): kept until
 * they expire, are refreshed or ended by the upper, and sent a NOTIFY (Annex N: ADD, DEL, ON,
 * OFF, UPDATE items) when something it sees changes.
 */
export class CatalogSubscriptions {
  private readonly active = new Set<Subscription>();
  private sn = 0;

  constructor(
    private readonly upper: () => UpperPlatform,
    private readonly localId: () => string,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.active.size;
  }

  /** Answers a new SUBSCRIBE: 200 with the granted Expires (and a dialog), or 200 and nothing kept for Expires 0. */
  accept(request: SipRequest, ctx: ServerTransactionContext, endpoint: SipEndpoint): void {
    const expires = requestedExpires(request);
    if (expires === 0) {
      ctx.respond(200, 'OK', { headers: [['Expires', '0']] });
      return;
    }
    const dialog = endpoint.createServerDialog(request, ctx);
    const subscription: Subscription = { dialog, expiresAt: 0, timer: setTimeout(() => undefined, 0) };
    this.extend(subscription, expires);
    this.active.add(subscription);
    dialog.on('request', (inDialog, inCtx) => {
      if (inDialog.method === 'BYE') return;
      if (inDialog.method !== 'SUBSCRIBE') {
        inCtx.respond(405, 'Method Not Allowed');
        return;
      }
      const again = requestedExpires(inDialog);
      inCtx.respond(200, 'OK', { headers: [['Expires', String(again)]] });
      if (again === 0) this.terminate(subscription, null);
      else this.extend(subscription, again);
    });
    dialog.on('closed', () => this.end(subscription));
    ctx.respond(200, 'OK', { headers: [['Expires', String(expires)]] });
    this.logger.info({ expires, callId: dialog.callId }, 'upper platform subscribed to the catalog');
  }

  /** Sends these items to every subscription (split as the upper wants, one NOTIFY after the other). */
  async notify(items: readonly string[]): Promise<number> {
    if (this.active.size === 0 || items.length === 0) return 0;
    const upper = this.upper();
    const docs = catalogDocuments('Notify', ++this.sn, this.localId(), items, upper.catalogItemsPerMessage, upper.charset);
    let sent = 0;
    for (const subscription of [...this.active]) {
      for (const doc of docs) {
        const remaining = Math.max(0, Math.round((subscription.expiresAt - Date.now()) / 1000));
        try {
          const response = await subscription.dialog.request('NOTIFY', {
            headers: [
              ['Event', 'Catalog'],
              ['Subscription-State', `active;expires=${remaining}`],
              ['Content-Type', 'Application/MANSCDP+xml'],
            ],
            body: encodeForUpper(doc, upper.charset),
          });
          if (response.status >= 300) {
            this.logger.info({ status: response.status }, 'catalog NOTIFY refused: subscription dropped');
            if (response.status === 481) this.end(subscription);
            break;
          }
          sent++;
        } catch (err) {
          this.logger.info({ err }, 'catalog NOTIFY to the upper failed');
          break;
        }
      }
    }
    return sent;
  }

  /** Ends every subscription (a terminating NOTIFY when `tell`), e.g. when the upper is removed. */
  close(tell: boolean): void {
    for (const subscription of [...this.active]) {
      if (tell && !subscription.dialog.closed) subscription.dialog.bye({ timeoutMs: 2000 }).catch(() => undefined);
      this.end(subscription);
    }
  }

  private extend(subscription: Subscription, expiresSec: number): void {
    clearTimeout(subscription.timer);
    subscription.expiresAt = Date.now() + expiresSec * 1000;
    subscription.timer = setTimeout(() => this.terminate(subscription, 'timeout'), expiresSec * 1000);
    subscription.timer.unref();
  }

  /** RFC 6665 4.2.2: an unsubscribe or an expiry is told with a final NOTIFY (terminated), then the dialog ends. */
  private terminate(subscription: Subscription, reason: 'timeout' | null): void {
    if (!this.active.has(subscription) || subscription.dialog.closed) {
      this.end(subscription);
      return;
    }
    const state = reason === null ? 'terminated' : `terminated;reason=${reason}`;
    subscription.dialog
      .request('NOTIFY', { headers: [['Event', 'Catalog'], ['Subscription-State', state]], timeoutMs: 2000 })
      .catch((err: unknown) => this.logger.debug({ err }, 'terminating catalog NOTIFY got no answer'));
    this.end(subscription);
  }

  private end(subscription: Subscription): void {
    if (!this.active.delete(subscription)) return;
    clearTimeout(subscription.timer);
    subscription.dialog.close();
  }
}
