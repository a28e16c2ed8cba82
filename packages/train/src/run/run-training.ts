import { join } from 'node:path';
import { writeRunReport } from '../evaluate/run-report.js';
import type { LogRecord } from '../records.js';
import {
  type TrainSegmentorOptions,
  type TrainSegmentorResult,
  trainSegmentor,
} from '../train-segmentor.js';
import { JsonlLogger, truncateOnResume } from './jsonl-log.js';
import { signalExitCode, type StopSignal, withStopSignals } from './stop-signals.js';

/** The run log every run folder holds. */
export const RUN_LOG_FILE = 'log.jsonl';

export interface RunTrainingResult extends TrainSegmentorResult {
  /** The first stop signal received (the run then stopped early, checkpointed). */
  signal?: StopSignal;
  /** The process exit code the outcome calls for: 0, or 128 + the signal's number. */
  exitCode: number;
  /** Every record of `log.jsonl`, earlier sessions of a resumed run included. */
  records(): LogRecord[];
}

/**
 * A training command's whole run (mmengine's `Runner.train`): `trainSegmentor` with the run
 * folder's `log.jsonl` (each record appended at once; cut back to the checkpoint on resume),
 * SIGINT/SIGTERM/SIGHUP turned into a checkpoint after the current iteration (`onSignal`
 * hears of each; a second one is the caller's to act on), and, when the run finished with an
 * evaluation, `metrics.txt/md/json` (`extra` adds fields to the JSON).
 */
export async function runTraining(
  options: Omit<TrainSegmentorOptions, 'signal'> & {
    onSignal?: Parameters<typeof withStopSignals>[0]['onSignal'];
    extra?: (run: TrainSegmentorResult) => Record<string, unknown>;
  },
): Promise<RunTrainingResult> {
  const log = new JsonlLogger({ path: join(options.workDir, RUN_LOG_FILE) });
  const { value: run, signal } = await withStopSignals({
    onSignal: options.onSignal,
    fn: (signal) =>
      trainSegmentor({
        ...options,
        signal,
        hooks: [truncateOnResume(log), ...(options.hooks ?? [])],
        onRecord: (record) => {
          log.append(record);
          options.onRecord?.(record);
        },
      }),
  });
  const interrupted = run.stoppedBy === 'interrupted';
  try {
    if (!interrupted && run.report) {
      const extra = options.extra?.(run);
      await writeRunReport({ workDir: options.workDir, report: run.report, extra });
    }
  } catch (error) {
    run.dispose();
    throw error;
  }
  const exitCode = interrupted ? signalExitCode(signal ?? 'SIGINT') : 0;
  return Object.assign(run, { signal, exitCode, records: () => log.read() });
}
