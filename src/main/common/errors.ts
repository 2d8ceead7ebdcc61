/**
 * Refusals of the domain: a request the engine will not carry out, with a stable `code` for
 * programs and a message for people. Every face maps these codes to its own transport in one
 * table (rest/errors.ts: HTTP status; streams/errors.ts: WebSocket close code; studio/errors.ts:
 * studio refusal), typed over ErrorCode so a new code cannot go unmapped. Anything thrown that is
 * not a DomainError is a bug: faces log it and answer `internal_error`.
 */
export type ErrorCode =
  | 'invalid_parameter'
  | 'dataset_error'
  | 'invalid_session_code'
  | 'session_exists'
  | 'session_not_found'
  | 'session_limit'
  | 'filter_conflict'
  | 'settings_conflict'
  | 'unknown_trial'
  | 'unknown_target'
  | 'empty_timeline'
  | 'invalid_recording_id'
  | 'recording_not_found'
  | 'recording_active'
  | 'not_recording'
  | 'recording_unavailable';

export abstract class DomainError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A parameter, field or argument that is not what it must be (a speed out of range, a bad id…). */
export class ParamError extends DomainError<'invalid_parameter'> {
  constructor(message: string) {
    super('invalid_parameter', message);
  }
}
