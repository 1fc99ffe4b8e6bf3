/**
 * DeviceControl from an upper names the channel by the upper's ID; the device must see its own.
 * The text is kept as the upper wrote it (vendor fields and all) except for the DeviceID elements.
 */
const DEVICE_ID_ELEMENT = /(<DeviceID\s*>)\s*([^<]*?)\s*(<\/DeviceID\s*>)/gi;

/** Replaces every `<DeviceID>from</DeviceID>` with `to`; other IDs in the text stay. */
export function rewriteDeviceIds(xmlText: string, from: string, to: string): string {
  return xmlText.replace(DEVICE_ID_ELEMENT, (whole, open: string, id: string, close: string) => (id === from ? `${open}${to}${close}` : whole));
}

/** 9.3.3.3 table 1: the DeviceControl commands a device answers with a Response carrying Result; PTZ, TeleBoot and the like get none. */
const ANSWERED_COMMANDS = ['RecordCmd', 'GuardCmd', 'AlarmCmd', 'HomePosition', 'DeviceUpgrade'];

export function expectsResult(xmlText: string): boolean {
  return ANSWERED_COMMANDS.some((name) => new RegExp(`<${name}[\\s>/]`, 'i').test(xmlText));
}
