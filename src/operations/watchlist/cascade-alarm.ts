import type { CascadeAlarm } from '../../cascade/alarm-notify';
import type { WatchlistAlert } from './types';

/**
 * A watchlist alert as the GB28181 Alarm sent upward: about the door host (or door channel),
 * AlarmMethod 7 (other alarm: 2016/2022 have no door-entry alarm type), the entry's priority,
 * the door event's time, and a description naming the entry (the upper platform is the police
 * system the watchlist serves, so the identifier goes unmasked).
 */
export function watchlistAlarm(alert: WatchlistAlert): CascadeAlarm {
  return {
    deviceId: alert.deviceId,
    channelId: alert.doorId,
    priority: alert.priority,
    method: 7,
    type: null,
    time: alert.eventTime,
    description: `门禁布控告警 watchlist ${alert.kind}=${alert.value}: ${alert.reason}`.slice(0, 256),
  };
}
