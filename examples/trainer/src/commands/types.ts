import { type Flag, type FlagValues, formatUsage, parseFlags } from '../args.js';

/**
 * One `facepar <name>` subcommand (kebab-case `name`): `summary` is its line in `--help`, `usage`
 * its full text; `run` returns the process exit code (0 = success).
 */
export interface Command {
  name: string;
  summary: string;
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

/** A command's default output: one line to stdout. */
export function writeLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A command as data (`usage`: its synopsis lines) and what runs the parsed flags. */
export interface CommandSpec<T extends Record<string, Flag>> {
  name: string;
  summary: string;
  usage: string | readonly string[];
  description: string;
  positionals?: boolean;
  run(args: { values: FlagValues<T>; positionals: string[] }): Promise<number>;
}

/** Makes a command factory (`createXCommand({ out })` in tests) from a spec over its io. */
export function command<T extends Record<string, Flag>>(
  flags: T,
  define: (io: CommandIo & { out: (line: string) => void }) => CommandSpec<T>,
): (io?: CommandIo) => Command {
  return (io = {}) => {
    const out = io.out ?? writeLine;
    const spec = define({ ...io, out });
    const usage = formatUsage({ ...spec, flags });
    return {
      name: spec.name,
      summary: spec.summary,
      usage,
      async run(argv) {
        const { positionals } = spec;
        const parsed = parseFlags({
          command: spec.name,
          argv,
          flags,
          allowPositionals: positionals,
        });
        if (!parsed.help) return spec.run(parsed);
        out(usage);
        return 0;
      },
    };
  };
}
