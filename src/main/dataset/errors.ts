/** A file the loader refuses. The message names the file and the problem, for people. */
export class DatasetError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`Cannot load ${file}: ${problem}`);
    this.name = 'DatasetError';
  }
}
