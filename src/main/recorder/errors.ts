import { DomainError } from '../common/errors.ts';

/**
 * A recording request refused: a bad id, none with that id, one already running, the disk
 * refusing. (Not readRecording.ts's RecordingError: a folder the exporter cannot read.)
 */
export class RecordingRefusal extends DomainError<
  'invalid_recording_id' | 'recording_not_found' | 'recording_active' | 'not_recording' | 'recording_unavailable'
> {}

/** What a file-system error means to a person, for logs, the studio and the manifest. */
export function describeFsError(err: unknown, where: string): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOSPC':
      return `disk full: no space left to write ${where}`;
    case 'EDQUOT':
      return `disk quota exceeded writing ${where}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied writing ${where}`;
    case 'EROFS':
      return `read-only file system: cannot write ${where}`;
    case 'ENOENT':
      return `the recording folder is gone (removed while recording?): ${where}`;
    case 'ENOTDIR':
      return `not a folder: ${where}`;
    default:
      return `cannot write ${where}: ${e?.message ?? String(err)}`;
  }
}
