/**
 * Buildings as the rest of district operations reads them (fault classification, door-entry
 * records, online-rate reports). The building store (src/operations/buildings/) implements it.
 */
export type BuildingState = 'active' | 'removed' | 'relocated';

/** A door-entry host or one of the building's cameras. */
export type BuildingDeviceRole = 'door' | 'camera';

export interface BuildingDevice {
  deviceId: string;
  role: BuildingDeviceRole;
}

export interface Building {
  /** The district's own building code (unique; free text up to 64 characters). */
  buildingId: string;
  name: string | null;
  address: string;
  street: string;
  community: string;
  /** Administrative division code (6-8 digits... up to 20). */
  civilCode: string | null;
  longitude: number | null;
  latitude: number | null;
  state: BuildingState;
  /** The network line the building hangs on (devices behind one line fail together), if known. */
  line: string | null;
  devices: BuildingDevice[];
  createdAt: number;
  updatedAt: number;
  /**
   * When the building entered its current state (ms UTC). Always set by the building store;
   * optional so that hand-made Buildings (test fakes) need not carry it. Accounting leaves a
   * removed building out from this time on.
   */
  stateSince?: number;
}

export interface BuildingDirectory {
  getBuilding(buildingId: string): Promise<Building | null>;
  /** The building a device belongs to (a device belongs to at most one). */
  buildingOfDevice(deviceId: string): Promise<Building | null>;
  /** Buildings on a network line (for whole-line outage classification). */
  buildingsOnLine(line: string): Promise<Building[]>;
}
