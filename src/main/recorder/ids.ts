import { isAbsolute, join, relative } from 'node:path';
import { describeValue } from '../../shared/describeValue.ts';
import { RecordingRefusal } from './errors.ts';

/**
 * A recording's id is its folder name (format.ts): `<SESSION-CODE>_<YYYYMMDD-HHMMSS>Z`, with a
 * `-2`, `-3`… suffix when the name is taken. Anything else given as an id — a path, `..`, a NUL,
 * a name of 200 characters — is refused before the file system is touched.
 */
export const RECORDING_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}_\d{8}-\d{6}Z(?:-\d{1,4})?$/;

/** The folder name for a recording of `code` started at `date` (UTC), before any suffix. */
export function recordingId(code: string, date: Date): string {
  const iso = date.toISOString(); // 2026-12-06T16:15:02.123Z
  return `${code}_${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}Z`;
}

/** `id` checked against the pattern; a RecordingRefusal `invalid_recording_id` otherwise. */
export function checkRecordingId(id: unknown): string {
  if (typeof id !== 'string' || !RECORDING_ID_PATTERN.test(id)) {
    throw new RecordingRefusal(
      'invalid_recording_id',
      `invalid recording id ${describeValue(id, 80)}: a recording id is a folder name like "demo_20261206-161502Z" (session code, "_", UTC start time)`,
    );
  }
  return id;
}

/** The folder of recording `id` under `root`, only once the id is checked and the path stays inside root. */
export function recordingDir(root: string, id: unknown): string {
  const dir = join(root, checkRecordingId(id));
  const rel = relative(root, dir);
  // The pattern already excludes separators and dots-only names; this is the second lock.
  if (rel !== id || isAbsolute(rel)) throw new RecordingRefusal('invalid_recording_id', `invalid recording id ${describeValue(id, 80)}`);
  return dir;
}
