import type { BuildingDevice, BuildingDeviceRole } from '../building-directory';

/**
 * A device's time in a building, kept so that the settlement counts a device in the building it
 * belonged to at each moment: a camera replaced mid-month counts in its building until it left,
 * its replacement from when it came, and a device moved between buildings in each for its part.
 * `since` 0 means "before the history was kept" (memberships that existed when it was added).
 */
export interface BuildingMembership {
  buildingId: string;
  deviceId: string;
  role: BuildingDeviceRole;
  since: number;
  /** null while the device is still in the building. */
  until: number | null;
}

export interface MembershipChanges {
  /** Devices that left the building: their open membership ends. */
  left: string[];
  /** Devices that joined: a membership opens. */
  joined: BuildingDevice[];
  /** Devices that stayed with another role: the open membership's role changes. */
  roleChanged: BuildingDevice[];
}

/** What changes between a building's device list before and after a write. */
export function membershipChanges(before: readonly BuildingDevice[], after: readonly BuildingDevice[]): MembershipChanges {
  const old = new Map(before.map((d) => [d.deviceId, d.role]));
  const next = new Set(after.map((d) => d.deviceId));
  return {
    left: before.filter((d) => !next.has(d.deviceId)).map((d) => d.deviceId),
    joined: after.filter((d) => !old.has(d.deviceId)),
    roleChanged: after.filter((d) => old.has(d.deviceId) && old.get(d.deviceId) !== d.role),
  };
}

/**
 * When the devices listed at a building's creation joined it. With the date the building entered
 * service (`stateSince` given), from then (never in the future); without one, from always (0), as
 * before the history was kept: a district imported after the fact still settles the months before.
 */
export function joinedAtCreation(givenStateSince: number | undefined, now: number): number {
  return givenStateSince === undefined ? 0 : Math.min(givenStateSince, now);
}
