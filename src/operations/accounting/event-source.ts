/**
 * What accounting reads of the stored online/offline events (the IndexStore's device_events,
 * written by DevicePresence), through one ordered scan rather than a query per device and page.
 * Adapters: SQLite (prepared statements on the index file) and MongoDB (a cursor).
 */
export interface AccountingEventSource {
  /**
   * Each device's state just before `at`: true when its last event before `at` is 'online',
   * false when 'offline'; devices with no event before `at` are absent.
   */
  statesBefore(deviceIds: readonly string[], at: number): Promise<Map<string, boolean>>;
  /**
   * Calls `visit` for every event with from <= time < to, in time order (events at the same
   * millisecond in the order they were stored). Events of devices not in `wanted` may be skipped.
   */
  scan(from: number, to: number, wanted: { has(deviceId: string): boolean }, visit: (deviceId: string, time: number, online: boolean) => void): Promise<void>;
}
