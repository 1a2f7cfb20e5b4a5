/**
 * The one error catalogue. Every error a user or the world can cause carries a stable
 * code (PANICMODE_ERR_<AREA>_<WHAT>) so logs and tests can match on it, and keeps the
 * underlying error as `cause`.
 */

export class PanicModeError extends Error {
  override name = 'PanicModeError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends PanicModeError {
  override name = 'ConfigError';
  /** One line per problem, each naming its place: `monitors[2].threshold: expected ...`. */
  constructor(readonly problems: string[], options?: { cause?: unknown; source?: string }) {
    super(
      'PANICMODE_ERR_CONFIG_INVALID',
      `${options?.source ? options.source + ': ' : ''}invalid config:\n  ${problems.join('\n  ')}`,
      options,
    );
  }
}

export class UsageError extends PanicModeError {
  override name = 'UsageError';
  constructor(message: string) {
    super('PANICMODE_ERR_CLI_USAGE', message);
  }
}

export class CollectorError extends PanicModeError {
  override name = 'CollectorError';
  constructor(readonly collector: string, message: string, options?: { cause?: unknown }) {
    super('PANICMODE_ERR_COLLECTOR_FAILED', `${collector}: ${message}`, options);
  }
}

export class ActionError extends PanicModeError {
  override name = 'ActionError';
  constructor(readonly action: string, message: string, options?: { cause?: unknown }) {
    super('PANICMODE_ERR_ACTION_FAILED', `${action}: ${message}`, options);
  }
}

export class AlertDeliveryError extends PanicModeError {
  override name = 'AlertDeliveryError';
  constructor(readonly channel: string, message: string, options?: { cause?: unknown }) {
    super('PANICMODE_ERR_ALERT_DELIVERY', `${channel}: ${message}`, options);
  }
}

export class StorageError extends PanicModeError {
  override name = 'StorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('PANICMODE_ERR_STORAGE', message, options);
  }
}

/** `panicmode exec`: a job's cgroup, process group or snapshot could not be set up or undone. */
export class ExecError extends PanicModeError {
  override name = 'ExecError';
  constructor(what: 'CGROUP' | 'SPAWN' | 'SNAPSHOT' | 'RESTORE', message: string, options?: { cause?: unknown }) {
    super(`PANICMODE_ERR_EXEC_${what}`, message, options);
  }
}

/** Exit codes of the `panicmode` command. */
export const ExitCode = { ok: 0, runtime: 1, usage: 2 } as const;
