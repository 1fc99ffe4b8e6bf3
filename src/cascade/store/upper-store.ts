import type { UpperPlatform, UpperPlatformPatch, UpperShare } from '../types';

/**
 * Where upper platforms and their shares are kept: the cascade's own port, with a SQLite and a
 * MongoDB adapter living next to the index store (test/cascade/upper-store.contract.ts).
 */
export interface UpperStore {
  init(): Promise<void>;
  /** Creates or replaces the upper (shares are kept). */
  putUpper(upper: UpperPlatform): Promise<void>;
  getUpper(upperId: string): Promise<UpperPlatform | null>;
  /** Every upper, by ID. */
  listUppers(): Promise<UpperPlatform[]>;
  /** Merges the patch; the updated upper, or null when unknown. */
  updateUpper(upperId: string, patch: UpperPlatformPatch, now: number): Promise<UpperPlatform | null>;
  /** Deletes the upper and its shares. */
  deleteUpper(upperId: string): Promise<boolean>;

  /** Adds shares (a known localId is replaced: kind and mappedId change). */
  addShares(shares: UpperShare[]): Promise<void>;
  /** Removes these local IDs from the upper's shares; how many went. */
  removeShares(upperId: string, localIds: string[]): Promise<number>;
  /** The upper's shares, by localId. */
  listShares(upperId: string): Promise<UpperShare[]>;
}
