/**
 * A tiny structured logger: one line per event on stderr, `level component: message key=value`.
 * Secrets never reach it in clear: values registered with `redact` are masked in every line.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

const secrets = new Set<string>();

/** Registers a secret value: from now on it is printed as `***` by every logger. */
export const redact = (value: string): void => {
  if (value.length >= 4) secrets.add(value);
};

export const maskSecrets = (text: string): string => {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
};

const formatValue = (v: unknown): string => {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /[\s="]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
};

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
}

export const createLogger = (component = 'panicmode', options: LoggerOptions = {}): Logger => {
  const min = order[options.level ?? ((process.env.PANICMODE_LOG_LEVEL as LogLevel) || 'info')] ?? 1;
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    const kv = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${formatValue(v)}`)
          .join('')
      : '';
    write(maskSecrets(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${msg}${kv}`));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(`${component}.${c}`, options),
  };
};

/** A logger that records lines in memory, for tests. */
export const memoryLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  const logger = createLogger('test', { level: 'debug', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
};
