export { formatUsage, parseFlags, parseFlagValue, UsageError } from './args.js';
export type { Flag, FlagValue, FlagValues } from './args.js';
export { COMMANDS, findCommand } from './commands/index.js';
export type { Command, CommandIo } from './commands/types.js';
export { getTrainConfig, listTrainConfigs, TRAIN_CONFIGS } from './configs/index.js';
export { FLAGS } from './flags.js';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, formatHelp, readVersion, runCli } from './run-cli.js';
export type { RunCliOptions } from './run-cli.js';
