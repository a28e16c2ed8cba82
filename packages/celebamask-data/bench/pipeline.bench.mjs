// The 512 training pipeline from JPEG + PNG (RandomResize 0.5-2, RandomCrop 512 catMaxRatio 0.75,
// flip with L/R swap, PhotoMetricDistortion, normalise, pad, batch to tensors) over the 900 real
// CelebAMask-HQ pairs, and mask-statistics throughput. Skipped when ../shared/data is absent.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeMaskStats, createLoader, openDataset } from '@facepar/celebamask-data';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { parallelCapacity, REPO_ROOT, writeBenchResult } from '../../../scripts/bench-lib.mjs';

const shared = process.env.FACEPAR_SHARED_DIR ?? path.resolve(REPO_ROOT, '..', 'shared');
const root = path.join(shared, 'data', 'celebamask-mini');
if (!fs.existsSync(root)) {
  console.log(`celebamask-data/pipeline: skipped, ${root} not found (set FACEPAR_SHARED_DIR)`);
  process.exit(0);
}
// Each sample allocates fresh multi-MB buffers (sharp output, decoded PNG, crops, batches). With
// glibc's defaults they are mmapped and returned to the OS on free, so every sample pays page
// faults again (measured here: filling a fresh 3 MB Float32Array took 11 ms, 2.9 ms with the
// settings below). The bench runs itself again with glibc keeping freed memory; set the same
// variables for training runs.
const MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: '67108864',
  MALLOC_TRIM_THRESHOLD_: '1073741824',
  MALLOC_TOP_PAD_: '268435456',
};
if (
  process.env.MALLOC_MMAP_THRESHOLD_ === undefined &&
  process.env.FACEPAR_BENCH_DEFAULT_MALLOC !== '1'
) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...MALLOC_ENV },
  });
  process.exit(r.status ?? 1);
}
const mallocNote =
  process.env.MALLOC_MMAP_THRESHOLD_ === undefined
    ? 'glibc malloc defaults'
    : `MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_} MALLOC_TRIM_THRESHOLD_=${process.env.MALLOC_TRIM_THRESHOLD_}`;
// the trainer's backend here: batches become wasm tensors (one copy into its heap)
await tf.setBackend('wasm');
const ds = await openDataset({ root });
const BATCH = 8;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 40);

async function loaderRate({ workers, transforms = {} }) {
  const loader = createLoader({
    dataset: ds,
    batchSize: BATCH,
    seed: 1,
    workers,
    prefetch: 3,
    transforms,
  });
  for (let i = 0; i < 2; i++) {
    const b = await loader.next();
    tf.dispose([b.images, b.labels]);
  }
  const c0 = process.cpuUsage(); // whole process: main thread, workers, libvips and libuv threads
  const t0 = performance.now();
  for (let i = 0; i < BATCHES; i++) {
    const b = await loader.next();
    tf.dispose([b.images, b.labels]);
  }
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  await loader.close();
  const n = BATCHES * BATCH;
  return {
    rate: Number((n / s).toFixed(1)),
    cpuMs: Number(((c.user + c.system) / 1000 / n).toFixed(1)),
  };
}

const load = () => `load avg ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`;
// what two threads of plain arithmetic get through next to one, right before the cases: 2.0 on
// two free cores; shared or busy cores show here first
const capacity = await parallelCapacity({ threads: 2 });
const rows = [];
const cases = [
  { name: '512 train pipeline, 2 worker threads', workers: 2, goal: '>= 150 samples/s' },
  { name: '512 train pipeline, main thread only', workers: 0 },
  {
    name: '512 train pipeline without PhotoMetricDistortion, 1 worker thread',
    workers: 1,
    transforms: { photoMetric: null },
    goal: 'PIL + numpy, same steps, 1 core: 30 samples/s',
  },
];
for (const c of cases) {
  const { rate, cpuMs } = await loaderRate(c);
  rows.push({
    case: c.name,
    value: rate,
    unit: 'samples/s',
    ...(c.goal ? { goal: c.goal } : {}),
    note: `${ds.length} real 512² JPEG+PNG pairs, batch ${BATCH}, ${BATCHES * BATCH} samples, wasm tensors; ${mallocNote}; ${load()}; 2-thread capacity ${capacity}x`,
  });
  rows.push({
    case: `${c.name}: CPU time per sample`,
    value: cpuMs,
    unit: 'ms',
    note: `all threads of the process; 2 idle cores would give about ${Math.round(2000 / cpuMs)} samples/s`,
  });
}

for (const workers of [0, 2]) {
  const masksDir = path.join(root, 'train', 'masks');
  await computeMaskStats({ masksDir, workers }); // warm-up (page cache, JIT)
  const t0 = performance.now();
  const stats = await computeMaskStats({ masksDir, workers });
  const sec = (performance.now() - t0) / 1000;
  rows.push({
    case: `data stats over ${stats.files} real masks, ${workers === 0 ? 'main thread' : `${workers} worker threads`}`,
    value: Number((stats.files / sec).toFixed(1)),
    unit: 'masks/s',
    note: `${sec.toFixed(2)} s total; ${load()}`,
  });
}
writeBenchResult({ pkg: 'celebamask-data', name: 'pipeline', rows });
