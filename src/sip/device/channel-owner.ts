import { AppError } from '../../errors';
import type { IndexStore } from '../../storage/ports';

/**
 * The device that owns a channel. A camera that registers alone is its own (only) channel, so a
 * device ID with no channel row answers itself; `deviceId` narrows to that device's channel (IDs
 * can repeat across devices). Unknown → AppError not_found, which the API shows as 404.
 */
export async function channelOwner(index: Pick<IndexStore, 'getChannel' | 'getDevice'>, channelId: string, deviceId?: string): Promise<string> {
  const channel = await index.getChannel(channelId, deviceId);
  if (channel !== null) return channel.deviceId;
  if ((deviceId === undefined || deviceId === channelId) && (await index.getDevice(channelId)) !== null) return channelId;
  throw new AppError('not_found', `channel ${channelId} is not known`);
}
