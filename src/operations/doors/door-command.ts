import { encodePtzCmd } from '../../sip/control/ptz-encode';
import { buildManscdp, type ManscdpField } from '../../sip/manscdp';

export type DoorOpenCommand = 'aux-switch' | 'door-cmd';

/** PTZCmd auxiliary switch "on" (GB/T 28181 A.3.7, table A.11): the lock relay as switch N. */
export function auxSwitchOnPtzCmd(switchNumber: number): string {
  return encodePtzCmd({ kind: 'aux', op: 'on', switchNo: switchNumber & 0xff });
}

/**
 * The DeviceControl that asks a door host to unlock. Neither GB/T 28181-2016 nor -2022 has an
 * unlock command (2022 only names remoteControlDoorEventType / doorConrolType in A.4 without a
 * schema). 'aux-switch' (default) drives the lock relay as auxiliary switch N, the standard
 * DeviceControl that door hosts exposing their lock as a switch answer; 'door-cmd' sends the
 * vendor extension <DoorCmd>Open</DoorCmd> (with <DoorNo>) some intercom hosts take instead.
 */
export function buildDoorOpen(command: DoorOpenCommand, sn: number, targetId: string, door: number): string {
  const fields: ManscdpField[] =
    command === 'aux-switch'
      ? [['PTZCmd', auxSwitchOnPtzCmd(door)], { name: 'Info', children: [{ name: 'ControlPriority', text: '5' }] }]
      : [['DoorCmd', 'Open'], ['DoorNo', door]];
  return buildManscdp('Control', 'DeviceControl', sn, targetId, fields);
}
