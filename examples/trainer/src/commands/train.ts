import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_LAYOUTS } from '@facepar/celebamask-data';
import { type TensorEntry, readSafetensors } from '@facepar/core';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.js';
import { applyConfigOverrides, getTrainConfig, listTrainConfigs } from '../configs/index.js';
import type { TrainConfig } from '../configs/types.js';
import { type SplitDataset, holdOut, openSplit, readSamples } from '../data/load-samples.js';
import { ensureSyntheticDataset } from '../data/synthetic-data.js';
import type { Sample } from '../data/samples.js';
import { readCheckpointPointers } from '../run/checkpoint.js';
import { evaluateReport, writeCurves, writeRunReport } from '../train/run-report.js';
import { trainSegmentor } from '../train/train-segmentor.js';
import {
  defaultWorkDir,
  requireDir,
  setupBackend,
  type TrainingCommandOptions,
  withInterrupt,
  writeLine,
} from './shared.js';
import type { Command } from './types.js';

const NAME = 'train';

const USAGE = `Usage: facepar train --config NAME --data DIR [flags]

Trains a segmentor with a named config (${listTrainConfigs().join(', ')}), logging to
<work-dir>/log.jsonl, checkpointing atomically (Ctrl-C saves one), evaluating mIoU on the
held-out samples, and writing curves.svg/png and the per-class table at the end.

Flags:
  --config NAME      ${listTrainConfigs().join(' | ')}
  --data DIR         dataset root (course layout <split>/images + <split>/masks, course2022,
                     or official); 'synthetic' generates faces in memory
  --layout L         auto (default) | ${DATASET_LAYOUTS.join(' | ')}
  --split NAME       training split folder (default train)
  --val-split NAME   evaluation split folder (default: val when it exists)
  --holdout N        hold out the last N training samples (by id) for evaluation instead
                     (synthetic: the number of evaluation faces, default 40)
  --backend B        auto (default) | tensorflow | webgpu | wasm | cpu
  --work-dir DIR     run folder (default runs/<config>-<timestamp>)
  --iters N          override the number of iterations (the poly LR follows)
  --batch N          override the batch size
  --crop N           override the square crop size (the resize scale follows)
  --eval-every N     override the evaluation period (0 = only at the end)
  --log-every N      override the logging period
  --load-from FILE   start from a state dict (.safetensors, PyTorch names; e.g. a
                     checkpoint's weights.safetensors) instead of the seeded init
  --resume           continue the run in --work-dir from its latest checkpoint`;

export type TrainCommandOptions = TrainingCommandOptions;

export function createTrainCommand(options: TrainCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'train a segmentor with a named config (logs, curves, checkpoints, --resume)',
    usage: USAGE,
    run: (argv) => runTrain({ argv, out, stream: options.stream, workers: options.workers ?? 1 }),
  };
}

export const trainCommand: Command = createTrainCommand();

/** Reads a safetensors state dict; errors name the file. */
function readStateDict(options: { path: string }): Map<string, TensorEntry> {
  try {
    return readSafetensors(new Uint8Array(readFileSync(options.path))).tensors;
  } catch (error) {
    throw new Error(`${NAME}: --load-from ${options.path}: ${(error as Error).message}`);
  }
}

/** Training split and in-memory evaluation samples for a config from the flags. */
async function loadTrainData(options: {
  config: TrainConfig;
  data: string;
  workDir: string;
  layout: (typeof DATASET_LAYOUTS)[number] | 'auto';
  split: string;
  valSplit: string | undefined;
  holdout: number | undefined;
  out: (line: string) => void;
}): Promise<{ train: SplitDataset; val: Sample[] }> {
  const { config, workDir, layout, split, valSplit, holdout, out } = options;
  let root = options.data;
  if (root === 'synthetic') {
    root = join(workDir, 'data');
    const size = Math.max(64, config.data.resizeShort);
    await ensureSyntheticDataset({
      dir: root,
      train: 200,
      val: holdout ?? 40,
      size,
      seed: config.seed,
    });
    out(`synthetic faces (${size} px) in ${root}`);
    const train = await openSplit({ root, layout: 'course', split: 'train' });
    const val = await readSamples({
      dataset: await openSplit({ root, layout: 'course', split: 'val' }),
    });
    return { train, val };
  }
  const all = await openSplit({ root, layout, split });
  if (holdout !== undefined) {
    const parts = holdOut({ dataset: all, count: holdout });
    return { train: parts.train, val: await readSamples({ dataset: parts.val }) };
  }
  const vs = valSplit ?? (existsSync(join(root, 'val')) ? 'val' : undefined);
  if (!vs) {
    out('no val split and no --holdout: training without evaluation');
    return { train: all, val: [] };
  }
  return {
    train: all,
    val: await readSamples({ dataset: await openSplit({ root, layout, split: vs }) }),
  };
}

async function runTrain(options: {
  argv: readonly string[];
  out: (line: string) => void;
  stream?: TrainCommandOptions['stream'];
  workers: number;
}): Promise<number> {
  const { argv, out } = options;
  const { values } = parseFlags({
    command: NAME,
    argv,
    flags: {
      config: { type: 'string' },
      data: { type: 'string' },
      layout: { type: 'string' },
      split: { type: 'string' },
      'val-split': { type: 'string' },
      holdout: { type: 'string' },
      backend: { type: 'string' },
      'work-dir': { type: 'string' },
      iters: { type: 'string' },
      batch: { type: 'string' },
      crop: { type: 'string' },
      'eval-every': { type: 'string' },
      'log-every': { type: 'string' },
      'load-from': { type: 'string' },
      resume: { type: 'boolean' },
    },
  });
  const configName = requireFlag({
    command: NAME,
    flag: 'config',
    value: values.config,
    hint: listTrainConfigs().join(', '),
  });
  const data = requireFlag({
    command: NAME,
    flag: 'data',
    value: values.data,
    hint: "a dataset root, or 'synthetic'",
  });
  const layout =
    choiceFlag({
      command: NAME,
      flag: 'layout',
      value: values.layout,
      allowed: ['auto', ...DATASET_LAYOUTS] as const,
    }) ?? 'auto';
  let base: TrainConfig;
  try {
    base = getTrainConfig(configName);
  } catch (error) {
    throw new UsageError(`${NAME}: --config: ${(error as Error).message}`);
  }
  const config = applyConfigOverrides({
    config: base,
    overrides: {
      iters: intFlag({ command: NAME, flag: 'iters', value: values.iters }),
      batch: intFlag({ command: NAME, flag: 'batch', value: values.batch }),
      crop: intFlag({ command: NAME, flag: 'crop', value: values.crop, min: 8 }),
      evalEvery: intFlag({
        command: NAME,
        flag: 'eval-every',
        value: values['eval-every'],
        min: 0,
      }),
      logEvery: intFlag({ command: NAME, flag: 'log-every', value: values['log-every'] }),
    },
  });
  const holdout = intFlag({ command: NAME, flag: 'holdout', value: values.holdout });
  const resume = values.resume === true;
  if (resume && !values['work-dir']) {
    throw new UsageError(`${NAME}: --resume needs --work-dir (the run folder to continue)`);
  }
  const workDir = values['work-dir'] ?? defaultWorkDir({ name: config.name });
  if (resume && !readCheckpointPointers({ workDir }).latest) {
    throw new Error(
      `${NAME}: --resume: no checkpoint in '${workDir}' (expected ${join(workDir, 'checkpoints', 'latest.json')}); drop --resume to start a new run`,
    );
  }
  if (!resume && readCheckpointPointers({ workDir }).latest) {
    throw new UsageError(
      `${NAME}: '${workDir}' already holds a run; pass --resume to continue it or choose another --work-dir`,
    );
  }

  if (data !== 'synthetic') {
    requireDir({
      command: NAME,
      flag: 'data',
      path: data,
      hint: "pass a dataset root, or 'synthetic'",
    });
  }
  const loadFrom = values['load-from'];
  if (loadFrom !== undefined && !existsSync(loadFrom)) {
    throw new UsageError(
      `${NAME}: --load-from '${loadFrom}' does not exist (pass a .safetensors state dict)`,
    );
  }
  if (loadFrom !== undefined && resume) {
    throw new UsageError(
      `${NAME}: --load-from and --resume exclude each other (resume restores the run's own weights)`,
    );
  }
  await setupBackend({ command: NAME, value: values.backend, out });
  const { train, val } = await loadTrainData({
    config,
    data,
    workDir,
    layout,
    split: values.split ?? 'train',
    valSplit: values['val-split'],
    holdout,
    out,
  });
  out(
    `config ${config.name}: ${config.model}, ${config.schedule.maxIters} iterations, batch ${config.data.batchSize}, crop ${config.data.cropSize.join('x')}; ${train.entries.length} training / ${val.length} evaluation samples; run folder ${workDir}`,
  );
  const t0 = performance.now();
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
        initWeights: loadFrom === undefined ? undefined : readStateDict({ path: loadFrom }),
      }),
  });
  try {
    if (run.stoppedBy === 'interrupted') {
      out(
        `stopped at iteration ${run.iter}; continue with: facepar train --config ${configName} --data ${data} --work-dir ${workDir} --resume`,
      );
      return 130;
    }
    if (val.length > 0) {
      const report = evaluateReport({ model: run.model, config, samples: val });
      await writeRunReport({
        workDir,
        report,
        title: `facepar train --config ${config.name}`,
        extra: { iter: run.iter },
      });
      out(report.table);
      out(
        `mIoU ${(report.mIoU * 100).toFixed(2)}  face mean-F1 ${(report.meanF1 * 100).toFixed(2)}  (${val.length} held-out samples)`,
      );
    } else {
      await writeCurves({ workDir, title: `facepar train --config ${config.name}` });
    }
    out(
      `done: ${run.iter} iterations in ${((performance.now() - t0) / 1000).toFixed(1)} s; checkpoint ${run.lastCheckpoint}`,
    );
    return 0;
  } finally {
    run.dispose();
  }
}
