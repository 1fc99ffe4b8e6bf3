import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

/**
 * Structured logging: one JSON line per event. Modules take a Logger in their constructor and
 * derive children with their own fields (deviceId, callId, channelId); nothing prints to the console directly.
 */
export type Logger = PinoLogger;

export function createLogger(options: { level?: LevelWithSilent; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'gbvms',
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid },
  });
}

/** A logger that drops everything: for tests and benchmarks that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
