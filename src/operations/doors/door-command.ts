import { buildManscdp, type ManscdpField } from '../../sip/manscdp';

export type DoorOpenCommand = 'aux-switch' | 'door-cmd';

/**
 * PTZCmd auxiliary switch "on" (GB/T 28181 A.3.7, table A.11, byte 4 = 8CH, byte 5 = switch
 * number): A5H, then version 0 with the nibble checksum (A+5+0) mod 16 = FH, address 01H,
 * 8CH, the switch, 00H, 00H, and the sum of bytes 1-7 mod 256.
 */
export function auxSwitchOnPtzCmd(switchNumber: number): string {
  const bytes = [0xa5, 0x0f, 0x01, 0x8c, switchNumber & 0xff, 0x00, 0x00];
  const checksum = bytes.reduce((a, b) => a + b, 0) & 0xff;
  return [...bytes, checksum].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
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
