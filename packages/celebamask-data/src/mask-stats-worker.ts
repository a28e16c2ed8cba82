// Worker-thread side of `computeMaskStats({ workers })`: counts chunks of mask files.
import { workerData } from 'node:worker_threads';
import { accumulateMaskFiles, type PartialMaskStats } from './mask-stats.js';
import { serveJobs } from './worker-pool.js';

/** What every worker counts with (`workerData`). */
export type MaskStatsWorkerData = Omit<Parameters<typeof accumulateMaskFiles>[0], 'files'>;

const options = workerData as MaskStatsWorkerData;
serveJobs<{ files: string[] }, PartialMaskStats>(({ files }) =>
  accumulateMaskFiles({ ...options, files }),
);
