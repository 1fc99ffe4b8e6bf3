import type { CatalogSubscriptions } from './catalog-subscriptions';
import type { ShareResolver } from './share-resolver';
import type { UpperPlatform } from './types';
import type { UpperLink } from './upper-link';

/** Everything the cascade holds for one configured upper. */
export interface UpperEntry {
  upper: UpperPlatform;
  link: UpperLink;
  resolver: ShareResolver;
  subscriptions: CatalogSubscriptions;
}
