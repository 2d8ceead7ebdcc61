import { DomainError, type ErrorCode } from '../common/errors.ts';
import { HttpError } from '../http/router.ts';

/** The HTTP status of each refusal. */
const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_parameter: 400,
  dataset_error: 400,
  invalid_session_code: 400,
  session_exists: 409,
  session_not_found: 404,
  session_limit: 409,
  filter_conflict: 409,
  settings_conflict: 409,
  unknown_trial: 404,
  unknown_target: 404,
  empty_timeline: 409,
  invalid_recording_id: 400,
  recording_not_found: 404,
  recording_active: 409,
  not_recording: 409,
  recording_unavailable: 503,
};

/**
 * The engine's refusals as HTTP errors with their status; null for anything else (a bug: 500).
 * A RangeError is a value too deeply nested to read (the stack overflowed on hostile input).
 */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof DomainError) return new HttpError(HTTP_STATUS[err.code as ErrorCode], err.code, err.message);
  if (err instanceof RangeError) return new HttpError(400, 'invalid_parameter', err.message);
  return null;
}
