import { DomainError } from '../common/errors.ts';

/** A file the loader refuses. The message names the file and the problem, for people. */
export class DatasetError extends DomainError<'dataset_error'> {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super('dataset_error', `Cannot load ${file}: ${problem}`);
  }
}
