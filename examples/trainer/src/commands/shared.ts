import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_NAMES, type BackendName, initTrainerBackend } from '../train/backend.js';
import { choiceFlag } from '../args.js';

/** Options of the commands that train (`train`, `demo`). */
export interface TrainingCommandOptions {
  out?: (line: string) => void;
  /** Data-loader worker threads (default 1: decoding and augmentation on the second core). */
  workers?: number;
  stream?: { write(s: string): unknown; isTTY?: boolean };
}

/** A command's default output: one line to stdout. */
export function writeLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `runs/<name>-<UTC timestamp>` (e.g. `runs/demo-20261130-031500`). */
export function defaultWorkDir(options: { name: string; now?: Date }): string {
  const d = options.now ?? new Date();
  const stamp = d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${options.name}-${stamp}`);
}

/** Parses `--backend` and initialises it, printing the choice. */
export async function setupBackend(options: {
  command: string;
  value: string | undefined;
  out: (line: string) => void;
}): Promise<string> {
  const backend: BackendName =
    choiceFlag({
      command: options.command,
      flag: 'backend',
      value: options.value,
      allowed: BACKEND_NAMES,
    }) ?? 'auto';
  const report = await initTrainerBackend({ backend });
  const chosen = report.candidates.find((c) => c.name === report.chosen);
  options.out(`backend: ${report.chosen}${chosen ? ` (${chosen.reason})` : ''}`);
  return report.chosen;
}

/**
 * Runs `fn` with an AbortSignal wired to Ctrl-C: the first SIGINT asks the loop to checkpoint
 * and stop; a second one exits at once (checkpoint writes are atomic, so nothing is torn).
 */
export async function withInterrupt<T>(options: {
  out: (line: string) => void;
  fn: (signal: AbortSignal) => Promise<T>;
}): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      options.out('second Ctrl-C: exiting now');
      process.exit(130);
    }
    options.out('Ctrl-C: saving a checkpoint after this iteration (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await options.fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Throws a clear error when a folder does not exist. */
export function requireDir(options: {
  command: string;
  flag: string;
  path: string;
  hint: string;
}): void {
  if (!existsSync(options.path)) {
    throw new Error(
      `${options.command}: --${options.flag} '${options.path}' does not exist (${options.hint})`,
    );
  }
}
