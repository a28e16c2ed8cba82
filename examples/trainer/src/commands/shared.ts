import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendChoice, initBackend, writeFileAtomic } from '@facepar/core';
import {
  formatLogRecord,
  runTraining,
  signalExitCode,
  type TrainConfig,
  type TrainData,
  type TrainSegmentorOptions,
  type TrainSegmentorResult,
} from '@facepar/train';
import { renderCurves } from '../render/curves.js';
import { progressHook } from '../render/progress.js';
import type { CommandIo } from './types.js';

/** Where `pnpm --filter @facepar/trainer add` puts tfjs-node-gpu (found from any cwd). */
const TRAINER_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Initialises `--backend` (GPU packages resolved from the trainer's folder) and prints it. */
export async function setupBackend(options: {
  backend: BackendChoice;
  out: (line: string) => void;
  verbose?: boolean;
}): Promise<string> {
  const { backend, verbose } = options;
  const report = await initBackend({ backend, verbose, resolveFrom: TRAINER_DIR });
  const chosen = report.candidates.find((c) => c.name === report.chosen);
  options.out(`backend: ${report.chosen}${chosen ? ` (${chosen.reason})` : ''}`);
  return report.chosen;
}

/**
 * `runTraining` with the CLI's renderings: a progress display with the log lines above it (a
 * stop signal's notice too, on its own line), then the curves, the table and `finish`'s lines.
 * A second stop signal exits at once. Returns the exit code (130, 143, 129 when stopped).
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
  } & Pick<TrainSegmentorOptions, 'onFinalPrediction'>,
): Promise<number> {
  const { config, workDir, io } = options;
  const progress = progressHook({ stream: io.stream });
  let finished: ReturnType<typeof options.finish> | undefined;
  const run = await runTraining({
    ...{ config, workDir, data: options.data, workers: io.workers ?? 1, resume: options.resume },
    onFinalPrediction: options.onFinalPrediction,
    hooks: [progress],
    onRecord: (record) => progress.log(formatLogRecord(record, config.schedule.maxIters)),
    onSignal: ({ signal, again }) => {
      const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
      const saving = `saving a checkpoint after this iteration (${name} again to quit at once)`;
      progress.log(`${again ? 'second ' : ''}${name}: ${again ? 'exiting now' : saving}`);
      if (again) process.exit(signalExitCode(signal));
    },
    extra: (r) => (finished = options.finish(r)).extra,
  });
  try {
    if (run.exitCode !== 0) {
      io.out(`stopped at iteration ${run.iter}; continue with: ${options.resumeWith}`);
      return run.exitCode;
    }
    finished ??= options.finish(run);
    const { svg, png } = await renderCurves({ records: run.records(), title: options.title });
    await writeFileAtomic({ path: join(workDir, 'curves.svg'), data: svg });
    await writeFileAtomic({ path: join(workDir, 'curves.png'), data: png });
    if (run.report) io.out(run.report.table);
    for (const line of finished.lines) io.out(line);
    return 0;
  } finally {
    run.dispose();
  }
}
