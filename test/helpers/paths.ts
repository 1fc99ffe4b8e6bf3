import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/helpers/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The team's shared folder: beside the clone (`../shared`), as laid out for developers and CI.
 * GBVMS_SHARED_DIR overrides it for other layouts.
 */
export const SHARED_DIR = process.env.GBVMS_SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared');

export const REAL_DEVICE_FIXTURES = join(SHARED_DIR, 'fixtures', 'real-devices');

export function requireSharedFixtures(): string {
  if (!existsSync(REAL_DEVICE_FIXTURES)) {
    throw new Error(`real device traces not found at ${REAL_DEVICE_FIXTURES} (set GBVMS_SHARED_DIR)`);
  }
  return REAL_DEVICE_FIXTURES;
}
