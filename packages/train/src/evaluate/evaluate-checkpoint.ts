import type { DatasetLayout } from '@facepar/celebamask-data';
import { writeFileAtomic } from '@facepar/core';
import type { TestPipelineOptions } from '@facepar/heads';
import type { LoadedCheckpoint } from '../checkpoint/run-checkpoint.js';
import { openRunCheckpoint, type TrainState } from '../checkpoint/model-state.js';
import { resolveTrainConfig, type TrainConfig } from '../config.js';
import { holdOut, openSplit, readLabelledSamples, type Shard } from '../data/train-data.js';
import { type EvaluateOptions, type EvaluationReport, evaluate } from './evaluate.js';
import { reportJson } from './run-report.js';

/**
 * Evaluates a run checkpoint (a checkpoint folder, or a run folder's best) on a dataset split:
 * optionally only its last `holdout` samples (what `trainSegmentor` held out) and one shard of
 * them, with the ignore index of the run's config.
 */
export async function evaluateCheckpoint(
  options: Omit<TestPipelineOptions, 'test'> & {
    checkpoint: string;
    root: string;
    layout?: DatasetLayout | 'auto';
    split?: string;
    holdout?: number;
    shard?: Shard;
    onPrediction?: EvaluateOptions['onPrediction'];
    /** Also write the report as JSON here (summary, what was evaluated, confusion matrix). */
    json?: string;
    /** Called once the checkpoint and the samples are open (e.g. to print them). */
    onStart?: (info: {
      checkpoint: LoadedCheckpoint<TrainState>;
      model: string;
      samples: number;
    }) => void;
  },
): Promise<{ report: EvaluationReport; checkpoint: LoadedCheckpoint<TrainState> }> {
  const { root, layout, split = 'val', holdout, shard } = options;
  const { checkpoint, segmentor } = openRunCheckpoint({ path: options.checkpoint });
  try {
    const config = checkpoint.state.config as TrainConfig;
    const { ignoreIndex } = resolveTrainConfig(config).pipeline;
    const all = await openSplit({ root, layout, split });
    const dataset = holdout === undefined ? all : holdOut({ dataset: all, count: holdout }).val;
    const samples = await readLabelledSamples({ dataset, shard });
    options.onStart?.({ checkpoint, model: segmentor.spec.name, samples: samples.length });
    const { flip, flipPairs, onPrediction } = options;
    const report = await evaluate({
      segmentor,
      samples,
      ignoreIndex,
      flip,
      flipPairs,
      onPrediction,
    });
    if (options.json) {
      const what = { checkpoint: checkpoint.dir, iter: checkpoint.iter, data: root, split };
      const part = { shard: shard ?? { index: 0, count: 1 }, holdout: holdout ?? null };
      const extra = { ...what, ...part, flipTta: flip === true };
      await writeFileAtomic({ path: options.json, data: reportJson({ report, extra }) });
    }
    return { report, checkpoint };
  } finally {
    segmentor.dispose();
  }
}
