import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { DeviceService } from '../sip/device/device-service';
import type { DeviceMessenger } from '../sip/device/messenger';
import type { PendingQueries } from '../sip/device/pending-queries';
import { senderId } from '../sip/device/registrar';
import { buildManscdp, decodeXmlBody, parseManscdp, type ManscdpDocument } from '../sip/manscdp';
import { childText } from '../sip/manscdp/xml';
import { parseUri } from '../sip/message';
import type { SipPeer, SipRequest } from '../sip/message/types';
import type { SipRequestHandler } from '../sip/sip-server';
import type { ServerTransactionContext, SipEndpoint } from '../sip/transaction';
import type { IndexStore } from '../storage/ports';
import type { Channel } from '../storage/types';
import { catalogDocuments } from './catalog-items';
import { expectsResult, rewriteDeviceIds } from './control-forward';
import { deviceInfoDocument, deviceStatusDocument, type AnswerSubject } from './device-answers';
import type { CascadeMediaHandler } from './media-port';
import { platformRecordings, readRecordInfoAsk, recordInfoDocuments, type RecordInfoEntry } from './record-info-answer';
import { sharedCatalogItems } from './shared-catalog';
import type { UpperEntry } from './upper-entry';
import type { UpperLink } from './upper-link';

export interface UpperRequestContext {
  /** The enabled upper this request comes from (From user, else source address), or null. */
  entryFor(request: SipRequest, peer: SipPeer): UpperEntry | null;
  index: IndexStore;
  endpoint: SipEndpoint;
  messenger: DeviceMessenger;
  devices: DeviceService;
  /** Where the devices' Response MESSAGEs are delivered (a forwarded control's Result comes back there). */
  pending: PendingQueries;
  /** How long a device may take to answer a forwarded control with its Result. */
  controlTimeoutMs: number;
  media(): CascadeMediaHandler | null;
  timeZone: string;
  logger: Logger;
}

/**
 * Requests an upper platform sends us: MANSCDP queries and controls (MESSAGE), catalog
 * subscriptions (SUBSCRIBE), media (INVITE, handed to the cascade media handler). Anything from a
 * sender that is not a configured upper is left to the device side (returns false).
 */
export function upperRequestHandler(c: UpperRequestContext): SipRequestHandler {
  return async (request, ctx) => {
    const entry = c.entryFor(request, ctx.peer);
    if (entry === null) return false;
    const logger = c.logger.child({ upperId: entry.upper.upperId, callId: request.headers.get('call-id') });
    switch (request.method) {
      case 'MESSAGE':
        await onMessage(c, entry, request, ctx, logger);
        return true;
      case 'SUBSCRIBE':
        onSubscribe(c, entry, request, ctx);
        return true;
      case 'INVITE':
        await onInvite(c, entry, request, ctx);
        return true;
      default:
        return false;
    }
  };
}

/** Sends the parts of an answer one after the other, each once the previous got its 2xx. */
export async function sendParts(link: UpperLink, docs: readonly string[], logger: Logger): Promise<number> {
  let sent = 0;
  for (const doc of docs) {
    try {
      const response = await link.sendManscdp(doc);
      if (response.status < 200 || response.status >= 300) {
        logger.warn({ status: response.status, part: sent + 1, parts: docs.length }, 'upper platform refused an answer part');
        break;
      }
      sent++;
    } catch (err) {
      logger.warn({ err, part: sent + 1, parts: docs.length }, 'answer part to the upper platform failed');
      break;
    }
  }
  return sent;
}

async function onMessage(c: UpperRequestContext, entry: UpperEntry, request: SipRequest, ctx: ServerTransactionContext, logger: Logger): Promise<void> {
  const parsed = parseManscdp(request.body, null);
  if (!parsed.ok) {
    logger.warn({ error: parsed.error }, 'MESSAGE from the upper platform with an unreadable body');
    ctx.respond(400, 'Bad MANSCDP Body');
    return;
  }
  const doc = parsed.value;
  const cmd = doc.cmdType;
  if (doc.root === 'Query' && (cmd === 'Catalog' || cmd === 'DeviceInfo' || cmd === 'DeviceStatus' || cmd === 'RecordInfo')) {
    await onQuery(c, entry, doc, ctx, logger);
    return;
  }
  if (doc.root === 'Control' && (cmd === 'DeviceControl' || cmd === 'DeviceConfig')) {
    await onControl(c, entry, request, doc, ctx, logger);
    return;
  }
  if (doc.root === 'Notify' || doc.root === 'Response') {
    ctx.respond(200, 'OK');
    logger.debug({ root: doc.root, cmdType: cmd }, 'notification from the upper platform ignored');
    return;
  }
  logger.info({ root: doc.root, cmdType: cmd }, 'unsupported command from the upper platform');
  ctx.respond(400, 'Unsupported CmdType');
}

/** Our platform (by our ID towards this upper), or a shared channel; null when the upper may not see it. */
async function subjectOf(c: UpperRequestContext, entry: UpperEntry, id: string | null): Promise<AnswerSubject | null> {
  if (id === null || id === entry.link.localId) return { kind: 'platform', id: entry.link.localId, channels: 0 };
  const channel = await entry.resolver.resolve(id);
  if (channel === null) return null;
  const online = (await c.index.getDevice(channel.deviceId))?.online ?? false;
  return { kind: 'channel', id, channel, online };
}

async function onQuery(c: UpperRequestContext, entry: UpperEntry, doc: ManscdpDocument, ctx: ServerTransactionContext, logger: Logger): Promise<void> {
  const subject = await subjectOf(c, entry, doc.deviceId);
  if (subject === null || (doc.cmdType === 'RecordInfo' && subject.kind !== 'channel') || (doc.cmdType === 'Catalog' && subject.kind !== 'platform')) {
    ctx.respond(404, 'Not Found');
    return;
  }
  const sn = doc.sn ?? 0;
  const { upper, link } = entry;
  if (doc.cmdType === 'RecordInfo' && subject.kind === 'channel') {
    const ask = readRecordInfoAsk(doc, c.timeZone);
    if (ask === null) {
      ctx.respond(400, 'Bad RecordInfo Times');
      return;
    }
    ctx.respond(200, 'OK');
    const entries = await recordEntries(c, entry, subject.channel, ask, logger);
    const docs = recordInfoDocuments(sn, subject.id, subject.channel.name ?? subject.id, entries, {
      perMessage: upper.catalogItemsPerMessage,
      charset: upper.charset,
      timeZone: c.timeZone,
      recorderId: link.localId,
    });
    const sent = await sendParts(link, docs, logger);
    logger.info({ channelId: subject.channel.channelId, items: entries.length, parts: docs.length, sent, source: upper.recordSource }, 'RecordInfo answered to the upper platform');
    return;
  }
  ctx.respond(200, 'OK');
  if (doc.cmdType === 'Catalog') {
    const started = Date.now();
    const items = await sharedCatalogItems(entry.resolver, link.localId, c.index);
    const docs = catalogDocuments('Response', sn, link.localId, items, upper.catalogItemsPerMessage, upper.charset);
    const sent = await sendParts(link, docs, logger);
    logger.info({ items: items.length, parts: docs.length, sent, ms: Date.now() - started }, 'catalog answered to the upper platform');
    return;
  }
  let platformSubject = subject;
  if (subject.kind === 'platform' && doc.cmdType === 'DeviceInfo') {
    platformSubject = { ...subject, channels: (await entry.resolver.collect()).filter((ch) => !ch.parental).length };
  }
  const xml =
    doc.cmdType === 'DeviceInfo'
      ? deviceInfoDocument(sn, platformSubject, upper.charset)
      : deviceStatusDocument(sn, subject, upper.charset, c.timeZone, Date.now());
  await sendParts(link, [xml], logger);
}

/** RecordInfo items from our recordings, or from the device (recordSource 'device'); none when the device fails. */
async function recordEntries(
  c: UpperRequestContext,
  entry: UpperEntry,
  channel: Channel,
  ask: { start: number; end: number; type: 'all' | 'time' | 'alarm' | 'manual' },
  logger: Logger,
): Promise<RecordInfoEntry[]> {
  if (entry.upper.recordSource === 'platform') return platformRecordings(c.index, channel, ask);
  try {
    const result = await c.devices.deviceRecordings(channel.channelId, ask, channel.deviceId);
    return result.items.map((item) => ({
      start: item.start,
      end: item.end,
      type: item.type ?? 'time',
      filePath: item.filePath ?? `${channel.channelId}/${item.start}-${item.end}`,
      fileSize: item.fileSize,
    }));
  } catch (err) {
    logger.warn({ err, channelId: channel.channelId }, 'RecordInfo for the upper platform: the device did not answer');
    return [];
  }
}

async function onControl(
  c: UpperRequestContext,
  entry: UpperEntry,
  request: SipRequest,
  doc: ManscdpDocument,
  ctx: ServerTransactionContext,
  logger: Logger,
): Promise<void> {
  const upperSideId = doc.deviceId;
  const channel = upperSideId === null ? null : await entry.resolver.resolve(upperSideId);
  if (channel === null || upperSideId === null) {
    ctx.respond(404, 'Not Found');
    return;
  }
  const text = rewriteDeviceIds(decodeXmlBody(request.body).text, upperSideId, channel.channelId);
  const answered = doc.cmdType === 'DeviceConfig' || expectsResult(text);
  const got: { result: ManscdpDocument | null } = { result: null };
  const wait = answered
    ? c.pending.wait(channel.deviceId, doc.cmdType, doc.sn ?? 0, c.controlTimeoutMs, (answer) => {
        got.result = answer;
        return true;
      })
    : null;
  try {
    await c.messenger.sendManscdp(channel.deviceId, text);
  } catch (err) {
    wait?.cancel();
    const code = err instanceof AppError ? err.code : 'internal';
    logger.info({ err, channelId: channel.channelId, code }, 'control from the upper platform not delivered to the device');
    if (code === 'device_offline') ctx.respond(480, 'Temporarily Unavailable');
    else if (code === 'device_timeout') ctx.respond(408, 'Request Timeout');
    else ctx.respond(500, 'Device Error');
    return;
  }
  ctx.respond(200, 'OK');
  logger.info({ channelId: channel.channelId, deviceId: channel.deviceId, cmdType: doc.cmdType }, 'control from the upper platform forwarded');
  if (wait === null) return;
  await wait.done;
  if (got.result === null) {
    logger.info({ channelId: channel.channelId, cmdType: doc.cmdType }, 'the device sent no Result for a control from the upper platform');
    return;
  }
  // The device's Result, under the ID the upper used.
  const value = childText(got.result.element, 'Result') ?? 'OK';
  const answer = buildManscdp('Response', doc.cmdType, doc.sn ?? 0, upperSideId, [['Result', value]], { charset: entry.upper.charset, indent: '' });
  await sendParts(entry.link, [answer], logger);
}

function onSubscribe(c: UpperRequestContext, entry: UpperEntry, request: SipRequest, ctx: ServerTransactionContext): void {
  const event = (request.headers.get('event') ?? '').split(';')[0]?.trim().toLowerCase();
  if (event !== 'catalog') {
    ctx.respond(489, 'Bad Event', { headers: [['Allow-Events', 'Catalog']] });
    return;
  }
  entry.subscriptions.accept(request, ctx, c.endpoint);
}

async function onInvite(c: UpperRequestContext, entry: UpperEntry, request: SipRequest, ctx: ServerTransactionContext): Promise<void> {
  const upperSideId = parseUri(request.uri)?.user ?? null;
  const channel = upperSideId === null ? null : await entry.resolver.resolve(upperSideId);
  if (channel === null || channel.typeCode === '215' || channel.typeCode === '216') {
    ctx.respond(404, 'Not Found');
    return;
  }
  const media = c.media();
  if (media === null) {
    ctx.respond(501, 'Not Implemented');
    return;
  }
  await media.handleInvite(request, ctx, {
    upperId: entry.upper.upperId,
    channelId: channel.channelId,
    deviceId: channel.deviceId,
    recordSource: entry.upper.recordSource,
  });
}

/** The sender of a request: From user, for matching it to an upper. */
export function requestSender(request: SipRequest): string | null {
  return senderId(request);
}
