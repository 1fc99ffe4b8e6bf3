import { buildManscdp } from '../sip/manscdp';
import { formatGbTime } from '../sip/device/gb-time';
import type { Channel } from '../storage/types';

/** What a DeviceInfo/DeviceStatus answer is about: our platform as a device, or one shared channel. */
export type AnswerSubject =
  | { kind: 'platform'; id: string; channels: number }
  | { kind: 'channel'; id: string; channel: Channel; online: boolean };

const PLATFORM_NAME = 'gbvms';

export function deviceInfoDocument(sn: number, subject: AnswerSubject, charset: string): string {
  const fields: Array<readonly [string, string | number]> =
    subject.kind === 'platform'
      ? [
          ['Result', 'OK'],
          ['DeviceName', PLATFORM_NAME],
          ['Manufacturer', PLATFORM_NAME],
          ['Model', 'GB/T 28181 platform'],
          ['Firmware', '1.0'],
          ['Channel', subject.channels],
        ]
      : [
          ['Result', 'OK'],
          ['DeviceName', subject.channel.name ?? subject.id],
          ['Manufacturer', subject.channel.manufacturer ?? ''],
          ['Model', subject.channel.model ?? ''],
          ['Firmware', ''],
          ['Channel', 1],
        ];
  return buildManscdp('Response', 'DeviceInfo', sn, subject.id, fields, { charset, indent: '' });
}

export function deviceStatusDocument(sn: number, subject: AnswerSubject, charset: string, timeZone: string, now: number): string {
  const online = subject.kind === 'platform' || (subject.online && subject.channel.status !== 'OFF');
  return buildManscdp(
    'Response',
    'DeviceStatus',
    sn,
    subject.id,
    [
      ['Result', 'OK'],
      ['Online', online ? 'ONLINE' : 'OFFLINE'],
      ['Status', online ? 'OK' : 'ERROR'],
      ...(online ? [] : [['Reason', 'device offline'] as const]),
      ['Encode', 'ON'],
      ['Record', 'OFF'],
      ['DeviceTime', formatGbTime(now, timeZone)],
      { name: 'Alarmstatus', attrs: { Num: '0' } },
    ],
    { charset, indent: '' },
  );
}
