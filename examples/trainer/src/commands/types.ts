/** One `facepar <name>` subcommand. `run` returns the process exit code (0 = success). */
export interface Command {
  /** The word after `facepar`, kebab-case. */
  name: string;
  /** One line for `facepar --help`. */
  summary: string;
  /** Full usage text for `facepar help <name>` and `facepar <name> --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}
