export { parseFlags, requireFlag, intFlag, choiceFlag, shardFlag, UsageError } from './args.js';
export type { FlagSpec, ParseFlagsOptions, ParsedFlags, Shard } from './args.js';
export { COMMANDS, findCommand } from './commands/index.js';
export type { Command } from './commands/types.js';
export { runCli, readVersion, formatHelp, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './run-cli.js';
export type { RunCliOptions } from './run-cli.js';
export { writeFileAtomic, fsyncDir } from './run/atomic-write.js';
export { JsonlLogger, readJsonl } from './run/jsonl-log.js';
export type { LogRecord } from './run/jsonl-log.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  resolveCheckpointDir,
  readCheckpointPointers,
  CHECKPOINT_STATE_FILE,
} from './run/checkpoint.js';
export type {
  CheckpointPointer,
  LoadedCheckpoint,
  SaveCheckpointOptions,
  SavedCheckpoint,
} from './run/checkpoint.js';
export { Progress, formatDuration, formatProgressLine } from './run/progress.js';
export { renderCurves, curvesSpec } from './run/curves.js';
