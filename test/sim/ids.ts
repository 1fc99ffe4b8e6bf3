/**
 * GB/T 28181 code helpers for the simulator (Annex E: 8-digit centre, 2-digit industry,
 * 3-digit type at positions 11-13, 1-digit network, 6-digit serial).
 */
import type { SimDeviceKind } from './types';

/** Type code of a simulated device itself. */
export const DEVICE_TYPE_CODE: Record<SimDeviceKind, string> = {
  ipc: '132', // 网络摄像机 (IPC)
  nvr: '118', // 网络视频录像机 (NVR)
  door: '124', // 人员出入口控制设备 (door host)
};

/** Type code of a simulated device's channels (catalog items). */
export const CHANNEL_TYPE_CODE: Record<SimDeviceKind, string> = {
  ipc: '131', // 摄像机
  nvr: '131',
  door: '142', // 智能门
};

export function isGbId(id: string): boolean {
  return /^\d{20}$/.test(id);
}

/**
 * Channel `index` (0-based) of a device: the device's first 10 digits, the channel type code,
 * digits 14-17 of the device, then the channel number on 3 digits. Two devices get distinct
 * channel IDs as long as their IDs differ before the last three digits (deviceIdFor steps by 1000).
 */
export function channelIdFor(deviceId: string, index: number, kind: SimDeviceKind): string {
  const number = String((index % 999) + 1).padStart(3, '0');
  return deviceId.slice(0, 10) + CHANNEL_TYPE_CODE[kind] + deviceId.slice(13, 17) + number;
}

/**
 * Device number `n` (0-based, up to 9999) of a fleet: centre + industry (10 digits), the kind's type
 * code, 4 digits of n, then 000, so that every device's channels get unique IDs.
 */
export function deviceIdFor(n: number, kind: SimDeviceKind, prefix10 = '3402000000'): string {
  if (!/^\d{10}$/.test(prefix10)) throw new Error(`prefix must be 10 digits: ${prefix10}`);
  if (!Number.isInteger(n) || n < 0 || n > 9999) throw new Error(`device number out of range 0..9999: ${n}`);
  return prefix10 + DEVICE_TYPE_CODE[kind] + String(n).padStart(4, '0') + '000';
}
