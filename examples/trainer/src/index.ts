export { parseFlags, requireFlag, intFlag, choiceFlag, shardFlag, UsageError } from './args.js';
export type { FlagSpec, ParseFlagsOptions, ParsedFlags, Shard } from './args.js';
export { COMMANDS, findCommand } from './commands/index.js';
export type { Command } from './commands/types.js';
export { runCli, readVersion, formatHelp, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './run-cli.js';
export type { RunCliOptions } from './run-cli.js';
