import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendChoice, initBackend, writeFileAtomic } from '@facepar/core';
import { UsageError } from '../args.js';
import {
  formatLogRecord,
  readCheckpointPointers,
  type TrainConfig,
  type TrainData,
  type TrainSegmentorOptions,
  type TrainSegmentorResult,
  trainSegmentor,
  writeRunReport,
} from '@facepar/train';
import { renderCurves } from '../render/curves.js';
import { JsonlLogger, truncateOnResume } from '../render/jsonl-log.js';
import { progressHook } from '../render/progress.js';
import type { CommandIo } from './types.js';

/** `runs/<name>-<UTC timestamp>` (e.g. `runs/demo-20261130-031500`). */
export function defaultWorkDir(options: { name: string; now?: Date }): string {
  const d = options.now ?? new Date();
  const stamp = d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${options.name}-${stamp}`);
}

/** Where `pnpm --filter @facepar/trainer add` puts tfjs-node-gpu (found from any cwd). */
const TRAINER_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Initialises `--backend` (GPU packages resolved from the trainer's folder) and prints it. */
export async function setupBackend(options: {
  backend: BackendChoice;
  out: (line: string) => void;
}): Promise<string> {
  const report = await initBackend({ backend: options.backend, resolveFrom: TRAINER_DIR });
  const chosen = report.candidates.find((c) => c.name === report.chosen);
  options.out(`backend: ${report.chosen}${chosen ? ` (${chosen.reason})` : ''}`);
  return report.chosen;
}

/** Runs `fn` with Ctrl-C as its signal (checkpoint and stop); a second Ctrl-C exits at once. */
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

/** `--work-dir` or a fresh `runs/<name>-<time>`: `--resume` needs a run there, a new run none. */
export function runFolder(options: {
  command: string;
  name: string;
  workDir?: string;
  resume: boolean;
}): string {
  const { command, resume } = options;
  if (resume && !options.workDir) {
    throw new UsageError(`${command}: --resume needs --work-dir (the run folder to continue)`);
  }
  const workDir = options.workDir ?? defaultWorkDir({ name: options.name });
  const running = readCheckpointPointers({ workDir }).latest !== undefined;
  if (resume && !running) {
    const latest = join(workDir, 'checkpoints', 'latest.json');
    throw new Error(
      `${command}: --resume: no checkpoint in '${workDir}' (expected ${latest}); drop --resume to start a new run`,
    );
  }
  if (!resume && running) {
    throw new UsageError(
      `${command}: '${workDir}' already holds a run; pass --resume to continue it or choose another --work-dir`,
    );
  }
  return workDir;
}

/** Throws a clear error when a folder or file does not exist. */
export function requirePath(o: {
  command: string;
  flag: string;
  path: string;
  hint: string;
}): void {
  if (existsSync(o.path)) return;
  throw new Error(`${o.command}: --${o.flag} '${o.path}' does not exist (${o.hint})`);
}

/**
 * Trains with the run folder's renderings (`log.jsonl`, truncated on resume; a progress display
 * with the log lines; Ctrl-C checkpointing), then writes `metrics.*` and the curves and prints
 * the table and `finish`'s lines. Returns the exit code (130 when interrupted).
 */
export async function trainAndReport(
  options: {
    config: TrainConfig;
    workDir: string;
    data: TrainData;
    resume: boolean;
    io: CommandIo & { out: (line: string) => void };
    title: string;
    /** The command that continues an interrupted run. */
    resumeWith: string;
    finish: (run: TrainSegmentorResult) => { extra: Record<string, unknown>; lines: string[] };
  } & Pick<TrainSegmentorOptions, 'initWeights' | 'onFinalPrediction'>,
): Promise<number> {
  const { config, workDir, io } = options;
  const log = new JsonlLogger({ path: join(workDir, 'log.jsonl') });
  const progress = progressHook({ stream: io.stream });
  const run = await withInterrupt({
    out: io.out,
    fn: (signal) =>
      trainSegmentor({
        ...{ config, workDir, data: options.data, workers: io.workers ?? 1, signal },
        ...{ resume: options.resume, initWeights: options.initWeights },
        onFinalPrediction: options.onFinalPrediction,
        hooks: [truncateOnResume(log), progress],
        onRecord: (record) => {
          log.append(record);
          progress.log(formatLogRecord(record, config.schedule.maxIters));
        },
      }),
  });
  try {
    if (run.stoppedBy === 'interrupted') {
      io.out(`stopped at iteration ${run.iter}; continue with: ${options.resumeWith}`);
      return 130;
    }
    const { extra, lines } = options.finish(run);
    const { report } = run;
    if (report) await writeRunReport({ workDir, report, extra });
    const { svg, png } = await renderCurves({ records: log.read(), title: options.title });
    await writeFileAtomic({ path: join(workDir, 'curves.svg'), data: svg });
    await writeFileAtomic({ path: join(workDir, 'curves.png'), data: png });
    if (report) io.out(report.table);
    for (const line of lines) io.out(line);
    return 0;
  } finally {
    run.dispose();
  }
}
