import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AppError } from '../errors';
import type { EventPublisher } from '../events/types';
import type { Logger } from '../logger';
import { buildManscdp } from '../sip/manscdp/build';
import type { ManscdpDocument } from '../sip/manscdp/document';
import type { Page } from '../storage/types';
import { readAlarmNotify } from './alarm-notify';
import { presentAlarm } from './personal-data';
import type { AlarmQuery, AlarmRecord, AlarmStore } from './store/port';

export interface AlarmServiceEvents {
  /**
   * A new alarm, after it was stored (repeats of one the device sent again are not emitted), from
   * a MESSAGE or a NOTIFY alike; `doc` is the Notify Alarm as received, for vendor fields.
   */
  alarm: [alarm: AlarmRecord, doc: ManscdpDocument];
}

/** Sends a MANSCDP document to a registered device (DeviceMessenger.sendManscdp). */
export type ManscdpSender = (deviceId: string, xml: string) => Promise<unknown>;

export interface AlarmServiceOptions {
  /** Zone of the local times in alarm bodies. */
  timeZone: string;
  /** How long a repeated alarm (same source, SN and AlarmTime) is recognised and not stored again. */
  repeatWindowMs?: number;
}

const REPEAT_WINDOW_MS = 60_000;

/** Time-ordered ids: 'al', the time in base 36 (9 digits until the year 5188), 8 random hex digits. */
export function newAlarmId(now = Date.now()): string {
  return `al${now.toString(36).padStart(9, '0')}${randomBytes(4).toString('hex')}`;
}

/** The Response Alarm (A.2.6.3) a device waits for after its Notify Alarm MESSAGE (9.4.2 step 3). */
export function buildAlarmResponse(sn: number, deviceId: string): string {
  return buildManscdp('Response', 'Alarm', sn, deviceId, [['Result', 'OK']]);
}

/**
 * Alarms from devices: each Notify Alarm is answered (Response Alarm Result OK for a MESSAGE),
 * stored, published as `alarm.received` and emitted as 'alarm' for in-process consumers
 * (district operations, cascade forwarding upward).
 */
export class AlarmService extends EventEmitter<AlarmServiceEvents> {
  private readonly recent = new Map<string, { alarm: AlarmRecord; at: number }>();

  constructor(
    private readonly store: AlarmStore,
    private readonly publisher: EventPublisher,
    private readonly send: ManscdpSender | null,
    private readonly logger: Logger,
    private readonly options: AlarmServiceOptions,
  ) {
    super();
  }

  /**
   * Takes a Notify Alarm document from `deviceId`. Via MESSAGE the device gets its Response
   * Alarm (sent without waiting for the store). Returns the stored alarm (the earlier one for a
   * repeat), or null when the document is no Notify Alarm.
   */
  async receive(deviceId: string, doc: ManscdpDocument, via: AlarmRecord['via']): Promise<AlarmRecord | null> {
    const notify = readAlarmNotify(doc, this.options.timeZone);
    if (notify === null) return null;
    const sourceId = notify.sourceId ?? deviceId;
    if (via === 'message') this.answer(deviceId, notify.sn ?? 1, sourceId);

    const now = Date.now();
    this.forgetOld(now);
    const key = `${deviceId}|${sourceId}|${notify.sn ?? ''}|${notify.timeText ?? ''}|${notify.method ?? ''}|${notify.type ?? ''}`;
    const repeat = this.recent.get(key);
    if (repeat !== undefined) {
      this.logger.debug({ deviceId, sourceId, sn: notify.sn }, 'repeated alarm: answered again, not stored again');
      return repeat.alarm;
    }
    if (notify.time === null) this.logger.info({ deviceId, alarmTime: notify.timeText }, 'alarm without a readable AlarmTime: the receive time is used');
    const alarm: AlarmRecord = {
      id: newAlarmId(now),
      deviceId,
      sourceId,
      priority: notify.priority,
      method: notify.method,
      type: notify.type,
      eventType: notify.eventType,
      time: notify.time ?? now,
      timeText: notify.timeText,
      description: notify.description,
      longitude: notify.longitude,
      latitude: notify.latitude,
      extraInfo: notify.extraInfo,
      sn: notify.sn,
      via,
      receivedAt: now,
    };
    this.recent.set(key, { alarm, at: now });
    try {
      await this.store.addAlarm(alarm);
    } catch (err) {
      // Not stored: the device's next repeat must be taken as new, not answered as a repeat.
      this.recent.delete(key);
      throw err;
    }
    this.logger.info({ deviceId, sourceId, alarmId: alarm.id, priority: alarm.priority, method: alarm.method, type: alarm.type, via }, 'alarm received');
    this.publisher.publish('alarm.received', { ...presentAlarm(alarm) });
    try {
      this.emit('alarm', alarm, doc);
    } catch (err) {
      this.logger.error({ err, alarmId: alarm.id }, "an 'alarm' listener threw");
    }
    return alarm;
  }

  async get(id: string): Promise<AlarmRecord> {
    const alarm = await this.store.getAlarm(id);
    if (!alarm) throw new AppError('not_found', `alarm ${id} is not known`);
    return alarm;
  }

  list(query: AlarmQuery): Promise<Page<AlarmRecord>> {
    return this.store.listAlarms(query);
  }

  private answer(deviceId: string, sn: number, sourceId: string): void {
    if (this.send === null) return;
    this.send(deviceId, buildAlarmResponse(sn, sourceId)).catch((err: unknown) => {
      this.logger.warn({ deviceId, sn, err: err instanceof Error ? err.message : String(err) }, 'could not send the Response Alarm');
    });
  }

  private forgetOld(now: number): void {
    const window = this.options.repeatWindowMs ?? REPEAT_WINDOW_MS;
    for (const [key, entry] of this.recent) {
      if (now - entry.at < window) break;
      this.recent.delete(key);
    }
  }
}
