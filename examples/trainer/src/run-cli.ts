import { readFileSync } from 'node:fs';
import { TrainRunError } from '@facepar/train';
import { UsageError } from './args.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { type Command, writeLine } from './commands/types.js';

/** The trainer's version, read from its package.json (`src/` and `dist/` sit one level below). */
export function readVersion(): string {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}

export interface RunCliOptions {
  /** `process.argv.slice(2)`. */
  argv: readonly string[];
  commands?: readonly Command[];
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Exit codes: 0 ok, 1 a command failed, 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function formatHelp(commands: readonly Command[]): string {
  const width = Math.max(8, ...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: facepar <command> [flags]',
    '',
    'Commands:',
    ...(lines.length > 0 ? lines : ['  (none registered)']),
    '',
    "facepar help <command>   show a command's flags",
    'facepar --version        print the version',
    'Set FACEPAR_DEBUG=1 to print stack traces.',
  ].join('\n');
}

/** Dispatches to a command; errors become one-line messages and an exit code. Never throws. */
export async function runCli(options: RunCliOptions): Promise<number> {
  const {
    argv,
    commands = COMMANDS,
    out = writeLine,
    err = (line) => process.stderr.write(`${line}\n`),
    env = process.env,
  } = options;
  const debug = env.FACEPAR_DEBUG === '1';
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '--help' || first === '-h') {
      out(formatHelp(commands));
      return first === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (first === '--version' || first === '-v') {
      out(readVersion());
      return EXIT_OK;
    }
    if (first === 'help') {
      out(
        rest[0] === undefined
          ? formatHelp(commands)
          : findCommand({ name: rest[0], commands }).usage,
      );
      return EXIT_OK;
    }
    if (first.startsWith('-')) {
      throw new UsageError(`unknown flag '${first}'; flags before a command: --help, --version`);
    }
    const command = findCommand({ name: first, commands });
    if (rest.includes('--help') || rest.includes('-h')) {
      out(command.usage);
      return EXIT_OK;
    }
    return await command.run(rest);
  } catch (error) {
    const usage = error instanceof UsageError || error instanceof TrainRunError;
    const message = error instanceof Error ? error.message : String(error);
    err(`facepar: error: ${message.replace(/\s*\n\s*/g, ' ')}`);
    if (debug && error instanceof Error && error.stack) err(error.stack);
    else if (usage) err('Run `facepar --help` or `facepar help <command>` for usage.');
    return usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}
