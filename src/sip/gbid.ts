/**
 * GB/T 28181 unified 20-digit codes (Annex E.1): centre code (8) + industry (2) + type (3) +
 * network (1) + serial (6). Type codes follow Table E.1 of the 2022 text, which extends the 2016 list.
 */

const GB_ID = /^\d{20}$/;

export function isValidGbId(id: unknown): id is string {
  return typeof id === 'string' && GB_ID.test(id);
}

/**
 * Digits 11-13: what kind of thing the code names ("132" IPC, "215" business group); '' for a
 * string that is not a 20-digit code (civil-code catalog nodes such as "3402" have no type).
 */
export function gbTypeCode(id: string): string {
  return isValidGbId(id) ? id.slice(10, 13) : '';
}

/** Digits 1-10 (centre + industry): the digest realm we use unless configured otherwise. */
export function gbRealm(id: string): string | null {
  return isValidGbId(id) ? id.slice(0, 10) : null;
}

/** Digit 14: 0/1 police video network, 2 industry private, ..., 7 internet, 8 leased line. */
export function gbNetworkCode(id: string): string | null {
  return isValidGbId(id) ? id.slice(13, 14) : null;
}

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [111, 'DVR'],
  [112, 'video server'],
  [113, 'encoder'],
  [114, 'decoder'],
  [115, 'video switching matrix'],
  [116, 'audio switching matrix'],
  [117, 'alarm controller'],
  [118, 'NVR'],
  [120, 'online video image acquisition system'],
  [121, 'video checkpoint (bayonet)'],
  [122, 'multi-lens device'],
  [123, 'parking entrance/exit control device'],
  [124, 'personnel entrance/exit control device'],
  [125, 'security inspection device'],
  [130, 'HVR'],
  [131, 'camera'],
  [132, 'IPC'],
  [133, 'display'],
  [134, 'alarm input'],
  [135, 'alarm output'],
  [136, 'voice input'],
  [137, 'voice output'],
  [138, 'mobile transmission device'],
  [139, 'other peripheral'],
  [140, 'alarm output (relay/trigger)'],
  [141, 'barrier gate'],
  [142, 'smart door'],
  [143, 'credential recognition unit'],
  [200, 'SIP server (platform)'],
  [201, 'web application server'],
  // The 2022 draft prints 201 twice; 202 is the media distribution server in 2016 and in practice.
  [202, 'media distribution server'],
  [203, 'proxy server'],
  [204, 'security server'],
  [205, 'alarm server'],
  [206, 'database server'],
  [207, 'GIS server'],
  [208, 'management server'],
  [209, 'access gateway'],
  [210, 'media storage server'],
  [211, 'signalling security routing gateway'],
  [215, 'business group'],
  [216, 'virtual organisation'],
  [300, 'centre user'],
  [400, 'terminal user'],
  [500, 'video image application platform'],
  [501, 'video image operation and maintenance platform'],
  [502, 'video image analysis system'],
  [503, 'video image database'],
  [505, 'video image analysis device'],
]);

export type GbTypeCategory =
  | 'front-end-main'
  | 'front-end-peripheral'
  | 'platform'
  | 'centre-user'
  | 'terminal-user'
  | 'external-server'
  | 'extension'
  | 'unknown';

function typeNumber(code: string): number | null {
  return /^\d{3}$/.test(code) ? Number(code) : null;
}

export function gbTypeCategory(code: string): GbTypeCategory {
  const n = typeNumber(code);
  if (n === null) return 'unknown';
  if (n >= 111 && n <= 130) return 'front-end-main';
  if (n >= 131 && n <= 199) return 'front-end-peripheral';
  if (n >= 200 && n <= 299) return 'platform';
  if (n >= 300 && n <= 399) return 'centre-user';
  if (n >= 400 && n <= 499) return 'terminal-user';
  if (n >= 500 && n <= 599) return 'external-server';
  if (n >= 600) return 'extension';
  return 'unknown';
}

/** A short English name for a type code; ranges without a name get their category's wording. */
export function describeGbType(code: string): string {
  const n = typeNumber(code);
  if (n === null) return 'unknown';
  const name = TYPE_NAMES.get(n);
  if (name !== undefined) return name;
  if (n >= 301 && n <= 343) return 'industry role user (centre)';
  if (n >= 401 && n <= 443) return 'industry role user (terminal)';
  switch (gbTypeCategory(code)) {
    case 'front-end-main':
      return 'front-end main device (extension)';
    case 'front-end-peripheral':
      return 'front-end peripheral (extension)';
    case 'platform':
      return 'platform device (extension)';
    case 'centre-user':
      return 'centre user (extension)';
    case 'terminal-user':
      return 'terminal user (extension)';
    case 'external-server':
      return 'external platform server (extension)';
    case 'extension':
      return 'extension type';
    default:
      return 'unknown';
  }
}

/**
 * Peripheral devices a main device (DVR/NVR/IPC/platform) exposes as channels: cameras, alarm
 * inputs/outputs, voice, displays (131-199). Tree nodes (215/216) and main devices are not.
 */
export function isChannelLikeType(code: string): boolean {
  return gbTypeCategory(code) === 'front-end-peripheral';
}

/** Channels that carry video and can be played: camera (131) and IPC (132). */
export function isVideoChannelType(code: string): boolean {
  return code === '131' || code === '132';
}

/** Business group (215) and virtual organisation (216): nodes of the catalog tree, not devices. */
export function isOrganisationType(code: string): boolean {
  return code === '215' || code === '216';
}
