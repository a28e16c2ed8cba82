/** A problem with one input file: the message always names the file and the problem. */
export class DatasetError extends Error {
  readonly file: string;
  readonly problem: string;
  constructor(options: { file: string; problem: string }) {
    super(`${options.file}: ${options.problem}`);
    this.name = 'DatasetError';
    this.file = options.file;
    this.problem = options.problem;
  }
}

/** A file left out under `skipInvalid`, with the reason. */
export interface SkippedFile {
  file: string;
  problem: string;
}
