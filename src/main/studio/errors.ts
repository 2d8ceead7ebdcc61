import { DomainError, type ErrorCode } from '../common/errors.ts';
import { log } from '../common/log.ts';

/** A studio command or subscription refused; `code` reaches the renderer (across IPC too). */
export class StudioError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StudioError';
  }
}

/** The refusal code the studio shows for each of the engine's. */
const STUDIO_CODE: Record<ErrorCode, string> = {
  invalid_parameter: 'invalid_argument',
  dataset_error: 'dataset_error',
  invalid_session_code: 'invalid_session_code',
  session_exists: 'session_exists',
  session_not_found: 'session_not_found',
  session_limit: 'session_limit',
  filter_conflict: 'filter_conflict',
  settings_conflict: 'settings_conflict',
  unknown_trial: 'unknown_trial',
  unknown_target: 'unknown_target',
  empty_timeline: 'empty_timeline',
  invalid_recording_id: 'invalid_recording_id',
  recording_not_found: 'recording_not_found',
  recording_active: 'recording_active',
  not_recording: 'not_recording',
  recording_unavailable: 'recording_unavailable',
};

/**
 * Turns what a command threw into a StudioError; anything that is not a refusal is a bug, logged
 * and answered `internal_error`. A RangeError is an argument too deeply nested to read (the stack
 * overflowed on hostile input).
 */
export function toStudioError(err: unknown): StudioError {
  if (err instanceof StudioError) return err;
  if (err instanceof DomainError) return new StudioError(STUDIO_CODE[err.code as ErrorCode], err.message);
  if (err instanceof RangeError) return new StudioError('invalid_argument', err.message);
  log.error('internal_error', { where: 'studio command', error: String(err), stack: (err as Error)?.stack });
  return new StudioError('internal_error', 'internal error (see the log)');
}

/** A refusal as both transports carry it (IPC result, studio-channel frame). */
export function refusalOf(err: unknown): { code: string; message: string } {
  const e = err instanceof StudioError ? err : new StudioError('internal_error', 'internal error (see the log)');
  return { code: e.code, message: e.message };
}
