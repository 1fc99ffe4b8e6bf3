import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { buildQuery } from '../manscdp';
import type { ControlCommands, ControlOutcome, ControlTarget } from './control-commands';
import { canonicalConfigType, readConfigDownloadPart, readPresetListPart, readResult, type PresetItem } from './control-responses';
import { deviceConfigXml, type BasicParamSettings } from './control-xml';
import type { ManscdpExchange } from './exchange';

export interface PresetList extends ControlTarget {
  /** Every item of SumNum arrived (false: the answer timed out part-way). */
  complete: boolean;
  sumNum: number;
  presets: PresetItem[];
}

export interface DeviceConfigView extends ControlTarget {
  /** Every asked type arrived (the device may answer each type in its own MESSAGE). */
  complete: boolean;
  /** Per config type: typed for BasicParam and VideoParamOpt, generic JSON of the XML for the others. */
  configs: Record<string, unknown>;
  /** Answers with Result ERROR (the device refused a type it does not have). */
  refused: number;
}

export interface ControlQueryOptions {
  /** Single-MESSAGE answers (DeviceConfig). */
  responseTimeoutMs: number;
  /** Answers that may come in parts (PresetQuery, ConfigDownload). */
  listTimeoutMs: number;
}

/**
 * Control-side questions to a device: its presets (PresetQuery, possibly in several parts like a
 * catalog), its configuration (ConfigDownload, one answer per type) and changing it (DeviceConfig).
 */
export class ControlQueries {
  constructor(
    private readonly exchange: ManscdpExchange,
    private readonly commands: ControlCommands,
    private readonly logger: Logger,
    private readonly options: ControlQueryOptions,
  ) {}

  async presets(target: ControlTarget): Promise<PresetList> {
    const { deviceId, targetId } = target;
    const byId = new Map<number, PresetItem>();
    let answered = false;
    let expected = 0;
    let skipped = 0;
    let refused = false;
    const { complete } = await this.exchange.ask(deviceId, 'PresetQuery', (sn) => buildQuery('PresetQuery', sn, targetId), this.options.listTimeoutMs, (doc) => {
      const part = readPresetListPart(doc);
      answered = true;
      if (part.result === 'ERROR') {
        refused = true;
        return true;
      }
      for (const item of part.items) byId.set(item.id, item);
      skipped += part.skipped;
      // Without SumNum (some firmware) a single answer is the whole list.
      expected = part.sumNum ?? Math.max(part.num ?? 0, byId.size);
      return byId.size + skipped >= expected;
    });
    if (!answered) throw new AppError('device_timeout', `device ${deviceId} did not answer the PresetQuery for ${targetId}`);
    if (refused) throw new AppError('device_error', `device ${deviceId} answered the PresetQuery for ${targetId} with Result ERROR`);
    const presets = [...byId.values()].sort((a, b) => a.id - b.id);
    this.logger.info({ deviceId, channelId: targetId, presets: presets.length, expected, complete }, 'presets listed');
    return { deviceId, targetId, complete, sumNum: expected, presets };
  }

  /** ConfigDownload for one or more types (BasicParam, VideoParamOpt, ...). */
  async config(target: ControlTarget, types: readonly string[]): Promise<DeviceConfigView> {
    const { deviceId, targetId } = target;
    const wanted = [...new Set(types.map(canonicalConfigType))];
    const configs = new Map<string, unknown>();
    let answers = 0;
    let refused = 0;
    const build = (sn: number) => buildQuery('ConfigDownload', sn, targetId, [['ConfigType', wanted.join('/')]]);
    const { complete } = await this.exchange.ask(deviceId, 'ConfigDownload', build, this.options.listTimeoutMs, (doc) => {
      const part = readConfigDownloadPart(doc);
      answers++;
      if (part.result === 'ERROR') refused++;
      for (const [type, value] of part.configs) configs.set(type, value);
      return answers >= wanted.length || wanted.every((t) => configs.has(t));
    });
    if (answers === 0) throw new AppError('device_timeout', `device ${deviceId} did not answer the ConfigDownload for ${targetId}`);
    if (configs.size === 0 && refused > 0) throw new AppError('device_error', `device ${deviceId} answered the ConfigDownload of ${wanted.join('/')} with Result ERROR`);
    this.logger.info({ deviceId, channelId: targetId, types: wanted, received: [...configs.keys()], refused, complete }, 'device configuration read');
    return { deviceId, targetId, complete, configs: Object.fromEntries(configs), refused };
  }

  /** DeviceConfig BasicParam; resolves when the device answers Result OK. */
  async configure(target: ControlTarget, basic: BasicParamSettings): Promise<ControlOutcome> {
    let answered = false;
    let result: string | null = null;
    const { sn } = await this.exchange.ask(target.deviceId, 'DeviceConfig', (sn) => deviceConfigXml(sn, target.targetId, basic), this.options.responseTimeoutMs, (doc) => {
      answered = true;
      result = readResult(doc);
      return true;
    });
    return this.commands.outcome({ ...target, command: 'DeviceConfig', sn }, answered, result);
  }
}
