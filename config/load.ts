import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './schema';
import { envBindings, type EnvKind } from './env';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Tree = Record<string, unknown>;

function coerce(env: string, raw: string, kind: EnvKind): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${env}=${raw}: expected a whole number`);
      return Number(raw.trim());
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new ConfigError(`${env}=${raw}: expected true or false`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
  }
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next as Tree;
    else {
      const created: Tree = {};
      node[key] = created;
      node = created;
    }
  }
  node[keys[keys.length - 1] as string] = value;
}

function envNameFor(path: string): string {
  return envBindings.find((b) => b.path === path)?.env ?? path;
}

/**
 * Builds the configuration: schema defaults, then the JSON file named by GBVMS_CONFIG (if any),
 * then environment variables, then `overrides` (tests). Throws ConfigError naming the bad option.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Tree = {}): Config {
  const tree: Tree = {};
  const file = env.GBVMS_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`GBVMS_CONFIG=${file}: cannot read JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new ConfigError(`GBVMS_CONFIG=${file}: not a JSON object`);
    Object.assign(tree, parsed);
  }
  for (const binding of envBindings) {
    const raw = env[binding.env];
    if (raw === undefined || raw === '') continue;
    setPath(tree, binding.path, coerce(binding.env, raw, binding.kind));
  }
  for (const [path, value] of Object.entries(overrides)) setPath(tree, path, value);

  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      return `option ${path} (${envNameFor(path)}): ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const config = result.data;
  if (config.sip.minExpiresSec > config.sip.maxExpiresSec) {
    throw new ConfigError('option sip.minExpiresSec (GBVMS_SIP_MIN_EXPIRES): must not exceed sip.maxExpiresSec');
  }
  return config;
}

/** Derived values that depend on several options. */
export function sipDomain(config: Config): string {
  return config.sip.domain ?? config.sip.id.slice(0, 10);
}

export function sipRealm(config: Config): string {
  return config.sip.realm ?? sipDomain(config);
}
