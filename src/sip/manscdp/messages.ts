/** MANSCDP (GB/T 28181 Annex A XML commands): parsing, typed readers and builders. */
export {
  parseManscdp,
  isCommand,
  KNOWN_CMD_TYPES,
  MAX_MANSCDP_BYTES,
  type ManscdpDocument,
  type ManscdpResult,
  type ManscdpRoot,
} from './document';
export { isPlainKeepalive, readKeepalive, type KeepaliveInfo } from './keepalive';
export { readCatalogResponse, toChannelUpdate, type CatalogItem, type CatalogMessage } from './catalog';
export { readDeviceInfoResponse, type DeviceInfoResponse } from './device-info';
export { readRecordInfoResponse, readGbDateTime, type RecordInfoItem, type RecordInfoMessage } from './record-info';
export { readDeviceStatusResponse, type DeviceStatusResponse, type AlarmInputStatus } from './device-status';
export { buildManscdp, buildQuery, type ManscdpField, type ManscdpBuildOptions, type QueryCmdType } from './build';
export { gbVersionFromHeader, guessGbVersion } from './version';
