// Worker-thread side of `computeMaskStats({ workers })`: counts one chunk of mask files.
import { parentPort, workerData } from 'node:worker_threads';
import { DatasetError } from './dataset-error.js';
import { accumulateMaskFiles, type PartialMaskStats } from './mask-stats.js';

export type MaskStatsWorkerResult =
  | { ok: true; stats: PartialMaskStats }
  | { ok: false; message: string; file?: string; problem?: string };

const port = parentPort!;
accumulateMaskFiles(workerData as Parameters<typeof accumulateMaskFiles>[0]).then(
  (stats) => port.postMessage({ ok: true, stats } satisfies MaskStatsWorkerResult),
  (err: unknown) => {
    const e = err as Error;
    const msg: MaskStatsWorkerResult =
      err instanceof DatasetError
        ? { ok: false, message: e.message, file: err.file, problem: err.problem }
        : { ok: false, message: e?.stack ?? String(err) };
    port.postMessage(msg);
  },
);
