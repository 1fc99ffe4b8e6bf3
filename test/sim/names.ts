/**
 * Chinese names the simulated devices give their channels. The default list stays inside GB2312;
 * the wrong-charset quirk prefixes characters that exist only in GBK (坣 0x886E, 喆 0x86B4), as
 * devices do that declare GB2312 and send GBK.
 */
import type { SimDeviceKind } from './types';

const PLACES = [
  '一号楼门口',
  '二号楼大厅',
  '停车场入口',
  '东门岗亭',
  '西门通道',
  '南门广场',
  '北区仓库',
  '三号楼走廊',
  '地下车库',
  '食堂后门',
];

/** Characters outside GB2312 (GBK extension area), with their GBK bytes for tests. */
export const GBK_ONLY_PREFIX = '坣喆';

export function defaultChannelName(kind: SimDeviceKind, index: number, gbkOnly: boolean): string {
  const base = kind === 'door' ? '一号楼门禁' : (PLACES[index % PLACES.length] ?? '通道');
  const round = Math.floor(index / PLACES.length);
  const name = round === 0 ? base : `${base}${round + 1}`;
  return gbkOnly ? GBK_ONLY_PREFIX + name : name;
}

export function defaultDeviceName(kind: SimDeviceKind): string {
  if (kind === 'nvr') return '监控中心录像机';
  if (kind === 'door') return '一号楼门禁主机';
  return '一号楼摄像机';
}
