import { maskIdentifier, maskName } from '../audit/mask';
import type { FootageLink } from './footage';
import type { DoorRecord } from './types';

export interface DoorRecordView extends Omit<DoorRecord, 'photo' | 'cameraChannels'> {
  /** Identifiers are masked (card and person IDs keep their last 4 characters, names their first). */
  masked: boolean;
  /** GET this path (investigator role) for the photo; null when none was sent. */
  photoUrl: string | null;
  footage: FootageLink[];
}

/** A record as the API shows it: masked unless the caller may see it whole. */
export function presentDoorRecord(record: DoorRecord, unmasked: boolean, footage: FootageLink[]): DoorRecordView {
  const { photo, cameraChannels: _channels, ...rest } = record;
  return {
    ...rest,
    cardNumber: unmasked ? record.cardNumber : maskIdentifier(record.cardNumber),
    personId: unmasked ? record.personId : maskIdentifier(record.personId),
    personName: unmasked ? record.personName : maskName(record.personName),
    // Free text from the device may carry the same identifiers.
    description: unmasked ? record.description : record.description === null ? null : '(masked)',
    masked: !unmasked,
    photoUrl: photo === null ? null : `/api/v1/door-events/${record.id}/photo`,
    footage,
  };
}
