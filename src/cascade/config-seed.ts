import type { Config } from '../../config';
import type { UpperPlatformInput } from './types';

type UpperSeed = Config['cascade']['uppers'][number];

function toInput(seed: UpperSeed): { upper: UpperPlatformInput; shares: string[] } {
  const { shares, domain, name, password, localId, ...rest } = seed;
  return {
    upper: {
      ...rest,
      ...(domain !== undefined ? { domain } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(localId !== undefined ? { localId } : {}),
    },
    shares,
  };
}

/** The uppers the configuration names (cascade.uppers, then the GBVMS_UPPER_* one). */
export function configuredUppers(config: Config): Array<{ upper: UpperPlatformInput; shares: string[] }> {
  const seeds = [...config.cascade.uppers, ...(config.cascade.upper ? [config.cascade.upper] : [])];
  return seeds.map(toInput);
}
