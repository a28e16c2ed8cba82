import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetLayout } from '@facepar/celebamask-data';
import { writeFileAtomic } from '@facepar/core';
import type { Segmentor, TestPipelineOptions } from '@facepar/heads';
import { openRunCheckpoint, type TrainState } from '../checkpoint/model-state.js';
import type { LoadedCheckpoint } from '../checkpoint/run-checkpoint.js';
import { type DataSource, resolveTrainConfig, type TrainConfig } from '../config.js';
import { holdOut, openSplit, readLabelledSamples, type Shard } from '../data/train-data.js';
import { type EvaluateOptions, type EvaluationReport, evaluate } from './evaluate.js';
import { openSegmentorWeights } from './predict-file.js';
import { reportJson } from './run-report.js';

/** Which samples an evaluation scores: a split, or the last `holdout` samples of one. */
export interface EvalSplit {
  root: string;
  layout: DatasetLayout | 'auto';
  split: string;
  holdout?: number;
  /** What is scored, in words (and how it was chosen when the caller did not say). */
  note: string;
}

/**
 * The samples `eval` scores, as `train` picks its evaluation samples: `holdout` takes the last
 * N of `split` (default `train`, like `train --holdout`); else `split`, else the `val` split.
 * Without `root`, or without a val split in it, the run's own evaluation samples (`run`, its
 * `config.json` data source) when the run had some there; otherwise an error naming the flags.
 */
export function evalSplitFor(options: {
  root?: string;
  layout?: DatasetLayout | 'auto';
  split?: string;
  holdout?: number;
  run?: DataSource;
}): EvalSplit {
  const { holdout, split } = options;
  const fromRun = (why: string, run?: DataSource): EvalSplit => {
    const val = run?.val;
    if (!run || !val) {
      throw new Error(
        `${why}; pass --data DIR with --split NAME (a split folder) or --split train --holdout N (its last N samples by id, as train --holdout N)`,
      );
    }
    const layout = run.layout ?? 'auto';
    const where = `the run's evaluation samples: ${'holdout' in val ? `the last ${val.holdout} of ${run.split ?? 'train'}` : `split ${val.split}`} in ${run.root}`;
    return 'holdout' in val
      ? { root: run.root, layout, split: run.split ?? 'train', holdout: val.holdout, note: where }
      : { root: run.root, layout, split: val.split, note: where };
  };
  if (options.root === undefined) {
    return fromRun(
      'no --data, and the checkpoint names no run with evaluation samples',
      options.run,
    );
  }
  const root = resolve(options.root);
  const layout = options.layout ?? 'auto';
  const at = (split: string, holdout?: number): EvalSplit => {
    const what = `${holdout === undefined ? '' : `the last ${holdout} of `}${split} in ${root}`;
    return { root, layout, split, ...(holdout === undefined ? {} : { holdout }), note: what };
  };
  if (holdout !== undefined) return at(split ?? 'train', holdout);
  if (split !== undefined) return at(split);
  if (existsSync(join(root, 'val'))) return at('val');
  // the run's own held-out samples, when it trained on this root
  const { run } = options;
  const same = run && resolve(run.root) === root ? run : undefined;
  return fromRun(`no val split in ${root}`, same);
}

/**
 * Evaluates weights on a dataset split: a run folder (its best checkpoint) or checkpoint
 * folder, or a `.safetensors`/`.pth` file (`model` for a plain state dict). The samples come
 * from `evalSplitFor` (a run's own evaluation samples when no data is named), optionally one
 * shard of them; the ignore index is the run's (255 for a bare file).
 */
export async function evaluateCheckpoint(
  options: Omit<TestPipelineOptions, 'test'> & {
    checkpoint: string;
    /** For a plain state dict: the registered segmentor. */
    model?: string;
    root?: string;
    layout?: DatasetLayout | 'auto';
    split?: string;
    holdout?: number;
    shard?: Shard;
    onPrediction?: EvaluateOptions['onPrediction'];
    /** Also write the report as JSON here (summary, what was evaluated, confusion matrix). */
    json?: string;
    /** Called once the weights and the samples are open (e.g. to print them). */
    onStart?: (info: {
      checkpoint?: LoadedCheckpoint<TrainState>;
      weights: string;
      model: string;
      samples: number;
      split: EvalSplit;
    }) => void;
  },
): Promise<{ report: EvaluationReport; checkpoint?: LoadedCheckpoint<TrainState> }> {
  const { shard } = options;
  const folder = statSync(options.checkpoint, { throwIfNoEntry: false })?.isDirectory();
  let checkpoint: LoadedCheckpoint<TrainState> | undefined;
  let segmentor: Segmentor;
  if (folder) ({ checkpoint, segmentor } = openRunCheckpoint({ path: options.checkpoint }));
  else segmentor = await openSegmentorWeights({ path: options.checkpoint, model: options.model });
  try {
    const config = checkpoint?.state.config as TrainConfig | undefined;
    const ignoreIndex = config ? resolveTrainConfig(config).pipeline.ignoreIndex : undefined;
    const split = evalSplitFor({ ...options, run: config?.data.source });
    const all = await openSplit({ root: split.root, layout: split.layout, split: split.split });
    const dataset =
      split.holdout === undefined ? all : holdOut({ dataset: all, count: split.holdout }).val;
    const samples = await readLabelledSamples({ dataset, shard });
    const weights = checkpoint?.dir ?? options.checkpoint;
    const model = segmentor.spec.name;
    options.onStart?.({ checkpoint, weights, model, samples: samples.length, split });
    const { flip, flipPairs, onPrediction } = options;
    const report = await evaluate({
      ...{ segmentor, samples, ignoreIndex, flip, flipPairs, onPrediction },
    });
    if (options.json) {
      const what = { checkpoint: weights, iter: checkpoint?.iter ?? null, data: split.root };
      const part = { split: split.split, holdout: split.holdout ?? null };
      const extra = {
        ...what,
        ...part,
        shard: shard ?? { index: 0, count: 1 },
        flipTta: flip === true,
      };
      await writeFileAtomic({ path: options.json, data: reportJson({ report, extra }) });
    }
    return { report, checkpoint };
  } finally {
    segmentor.dispose();
  }
}
