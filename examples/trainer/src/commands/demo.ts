import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { intFlag, parseFlags } from '../args.js';
import { applyConfigOverrides, getTrainConfig } from '../configs/index.js';
import { openSplit, readSamples } from '../data/load-samples.js';
import { loadCheckpoint, readCheckpointPointers } from '../run/checkpoint.js';
import type { TrainConfig } from '../configs/types.js';
import { formatDuration } from '../run/progress.js';
import {
  evaluateReport,
  majorityBaselineMIoU,
  writePredictionPngs,
  writeRunReport,
} from '../train/run-report.js';
import { probeIterationSeconds, trainSegmentor } from '../train/train-segmentor.js';
import {
  defaultWorkDir,
  setupBackend,
  type TrainingCommandOptions,
  withInterrupt,
  writeLine,
} from './shared.js';
import { ensureSyntheticDataset } from '../data/synthetic-data.js';
import type { Command } from './types.js';
import { UsageError } from '../args.js';

const NAME = 'demo';

/** Demo data sizes (overridable for quick checks). */
export const DEFAULT_DEMO_OPTIONS = {
  train: 320,
  val: 40,
  size: 128,
  predictions: 6,
  /** Training-time budget; the iteration count is fitted to it (at least `minIters`). */
  minutes: 7,
  minIters: 50,
} as const;

const USAGE = `Usage: facepar demo [flags]

The README's main job on embedded data: writes ${DEFAULT_DEMO_OPTIONS.train} training and ${DEFAULT_DEMO_OPTIONS.val} validation synthetic
faces (${DEFAULT_DEMO_OPTIONS.size} px, CelebAMask-HQ classes) to <work-dir>/data, trains the 'demo' config on the best
available backend within a time budget, evaluates, and writes the run folder: log.jsonl,
curves.svg/png, checkpoints/, metrics.txt/md/json (per-class table), predictions/ (coloured
masks). About 6-9 minutes on a 2-core CPU (wasm).

Flags:
  --work-dir DIR   run folder (default runs/demo-<timestamp>)
  --backend B      auto (default) | tensorflow | webgpu | wasm | cpu
  --minutes M      training-time budget in minutes (default ${DEFAULT_DEMO_OPTIONS.minutes}): a 4-iteration probe
                   measures the speed and the iteration count is fitted to the budget
                   (between ${DEFAULT_DEMO_OPTIONS.minIters} and the config's ceiling of ${getTrainConfig('demo').schedule.maxIters})
  --iters N        fixed iteration count instead of the budget
  --train N        number of synthetic training faces
  --val N          number of synthetic validation faces
  --resume         continue an interrupted demo in --work-dir`;

export type DemoCommandOptions = TrainingCommandOptions;

export function createDemoCommand(options: DemoCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'synthesise faces, train the small preset, evaluate and write a run folder',
    usage: USAGE,
    run: (argv) => runDemo({ argv, out, stream: options.stream, workers: options.workers ?? 1 }),
  };
}

export const demoCommand: Command = createDemoCommand();

async function runDemo(options: {
  argv: readonly string[];
  out: (line: string) => void;
  stream?: DemoCommandOptions['stream'];
  workers: number;
}): Promise<number> {
  const { argv, out } = options;
  const t0 = performance.now();
  const { values } = parseFlags({
    command: NAME,
    argv,
    flags: {
      'work-dir': { type: 'string' },
      backend: { type: 'string' },
      iters: { type: 'string' },
      minutes: { type: 'string' },
      train: { type: 'string' },
      val: { type: 'string' },
      resume: { type: 'boolean' },
    },
  });
  const nTrain =
    intFlag({ command: NAME, flag: 'train', value: values.train }) ?? DEFAULT_DEMO_OPTIONS.train;
  const nVal =
    intFlag({ command: NAME, flag: 'val', value: values.val }) ?? DEFAULT_DEMO_OPTIONS.val;
  const fixedIters = intFlag({ command: NAME, flag: 'iters', value: values.iters });
  const minutes =
    values.minutes === undefined ? DEFAULT_DEMO_OPTIONS.minutes : Number(values.minutes);
  if (!(minutes > 0 && minutes <= 24 * 60)) {
    throw new UsageError(
      `${NAME}: --minutes must be a number in (0, 1440], got '${values.minutes}'`,
    );
  }
  const resume = values.resume === true;
  if (resume && !values['work-dir']) {
    throw new UsageError(`${NAME}: --resume needs --work-dir (the demo run folder to continue)`);
  }
  const workDir = values['work-dir'] ?? defaultWorkDir({ name: 'demo' });
  if (!resume && readCheckpointPointers({ workDir }).latest) {
    throw new UsageError(
      `${NAME}: '${workDir}' already holds a run; pass --resume or choose another --work-dir`,
    );
  }
  await setupBackend({ command: NAME, value: values.backend, out });

  const size = DEFAULT_DEMO_OPTIONS.size;
  const dataDir = join(workDir, 'data');
  await ensureSyntheticDataset({
    dir: dataDir,
    train: nTrain,
    val: nVal,
    size,
    seed: getTrainConfig('demo').seed,
  });
  const train = await openSplit({ root: dataDir, layout: 'course', split: 'train' });
  const val = await readSamples({
    dataset: await openSplit({ root: dataDir, layout: 'course', split: 'val' }),
  });
  out(
    `synthetic dataset: ${train.entries.length} training + ${val.length} validation faces at ${size} px in ${dataDir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  let config: TrainConfig;
  if (resume) {
    config = loadCheckpoint<{ config: TrainConfig }>({ path: workDir }).state.config;
  } else {
    const base = getTrainConfig('demo');
    let iters = fixedIters;
    if (iters === undefined) {
      const probeDir = join(workDir, '.probe');
      const seconds = await probeIterationSeconds({
        config: base,
        train,
        workDir: probeDir,
        workers: options.workers,
      });
      rmSync(probeDir, { recursive: true, force: true });
      iters = Math.max(
        DEFAULT_DEMO_OPTIONS.minIters,
        Math.min(base.schedule.maxIters, Math.floor((minutes * 60) / seconds)),
      );
      out(
        `probe: ${seconds.toFixed(2)} s/iteration -> ${iters} iterations fit the ${minutes}-minute budget`,
      );
    }
    config = applyConfigOverrides({
      config: base,
      overrides: { iters, evalEvery: Math.max(1, Math.ceil(iters / 5)) },
    });
  }
  out(
    `training '${config.name}' (${config.model}): ${config.schedule.maxIters} iterations, batch ${config.data.batchSize}, crop ${config.data.cropSize.join('x')}; run folder ${workDir}`,
  );

  const run = await withInterrupt({
    out,
    fn: (signal) =>
      trainSegmentor({
        config,
        train,
        val,
        workDir,
        resume,
        signal,
        stream: options.stream,
        workers: options.workers,
      }),
  });
  try {
    if (run.stoppedBy === 'interrupted') {
      out(
        `stopped at iteration ${run.iter}; continue with: facepar demo --work-dir ${workDir} --resume`,
      );
      return 130;
    }
    const predDir = join(workDir, 'predictions');
    mkdirSync(predDir, { recursive: true });
    const report = evaluateReport({
      model: run.model,
      config,
      samples: val,
      onPrediction: ({ sample, pred, index }) => {
        if (index < DEFAULT_DEMO_OPTIONS.predictions)
          writePredictionPngs({ dir: predDir, sample, pred });
      },
    });
    const baseline = majorityBaselineMIoU({
      samples: val,
      numClasses: config.numClasses,
      ignoreIndex: config.data.ignoreIndex,
    });
    const seconds = (performance.now() - t0) / 1000;
    await writeRunReport({
      workDir,
      report,
      title: 'facepar demo (synthetic faces)',
      extra: { iter: run.iter, seconds, majorityBaselineMIoU: baseline, train: nTrain, val: nVal },
    });
    out(report.table);
    out(
      `demo: mIoU ${(report.mIoU * 100).toFixed(2)} (majority-class baseline ${(baseline * 100).toFixed(2)}), face mean-F1 ${(report.meanF1 * 100).toFixed(2)}, ${run.iter} iterations, ${formatDuration(seconds)} total`,
    );
    out(`run folder: ${workDir} (log.jsonl, curves.png, metrics.txt, predictions/, checkpoints/)`);
    return 0;
  } finally {
    run.dispose();
  }
}
