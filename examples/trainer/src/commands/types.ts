import { type Flag, type FlagValues, formatUsage, parseFlags } from '../args.js';

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

/** Where a command writes: lines to `out`, a progress display to `stream`. */
export interface CommandIo {
  out?: (line: string) => void;
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Data-loader worker threads of the training commands (default 1: the second core). */
  workers?: number;
}

/** A command as data: its flag table, usage and the function that runs the parsed flags. */
export function defineCommand<T extends Record<string, Flag>>(spec: {
  name: string;
  summary: string;
  /** Synopsis lines, e.g. `facepar eval --checkpoint DIR --data DIR [flags]`. */
  usage: string | readonly string[];
  description: string;
  flags: T;
  positionals?: boolean;
  out: (line: string) => void;
  run(args: { values: FlagValues<T>; positionals: string[] }): Promise<number>;
}): Command {
  const usage = formatUsage(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    async run(argv) {
      const parsed = parseFlags({
        command: spec.name,
        argv,
        flags: spec.flags,
        allowPositionals: spec.positionals,
      });
      if (parsed.help) {
        spec.out(usage);
        return 0;
      }
      return spec.run(parsed);
    },
  };
}
