import { DomainError, type ErrorCode } from '../common/errors.ts';
import { CloseCode } from '../../shared/wire.ts';

/**
 * How a refused stream connection is closed: the WebSocket close code, and the `code` of the
 * error message sent before it. On this face the only parameters are the filters in the query.
 */
const REFUSAL: Record<ErrorCode, { close: number; code?: string }> = {
  invalid_parameter: { close: CloseCode.InvalidRequest, code: 'invalid_filter' },
  dataset_error: { close: CloseCode.InvalidRequest },
  invalid_session_code: { close: CloseCode.InvalidRequest },
  session_exists: { close: CloseCode.InvalidRequest },
  session_not_found: { close: CloseCode.NotFound },
  session_limit: { close: CloseCode.SessionLimit },
  filter_conflict: { close: CloseCode.FilterConflict },
  settings_conflict: { close: CloseCode.FilterConflict },
  unknown_trial: { close: CloseCode.NotFound },
  unknown_target: { close: CloseCode.NotFound },
  empty_timeline: { close: CloseCode.NotFound },
  invalid_recording_id: { close: CloseCode.InvalidRequest },
  recording_not_found: { close: CloseCode.NotFound },
  recording_active: { close: CloseCode.FilterConflict },
  not_recording: { close: CloseCode.FilterConflict },
  recording_unavailable: { close: 1011 },
};

/** The close code and error message code for a refusal; null for anything that is not one (a bug). */
export function streamRefusal(err: unknown): { close: number; code: string; message: string } | null {
  if (!(err instanceof DomainError)) return null;
  const r = REFUSAL[err.code as ErrorCode];
  return { close: r.close, code: r.code ?? err.code, message: err.message };
}
