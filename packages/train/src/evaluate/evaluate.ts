import type { LabelledSample } from '@facepar/celebamask-data';
import { predictSample, type Segmentor, type TestPipelineOptions } from '@facepar/heads';
import {
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_IGNORE_INDEX,
  type ConfusionMatrix,
  computePresetMetrics,
  createConfusionMatrix,
  formatMetricsTable,
} from '@facepar/metrics';
import type { EvalSummary } from '../records.js';

export interface EvaluateOptions extends TestPipelineOptions {
  /** The model with its spec (class count, mean/std, test pipeline). */
  segmentor: Pick<Segmentor, 'model' | 'spec'>;
  samples: readonly LabelledSample[];
  /** Ground-truth label skipped by the metrics (default 255). */
  ignoreIndex?: number;
  /** Called with each prediction at the sample's size (e.g. to save a few coloured masks). */
  onPrediction?: (info: {
    sample: LabelledSample;
    pred: Uint8Array;
    index: number;
  }) => void | Promise<void>;
}

/** An evaluation: the confusion matrix, mmseg metrics and the CelebAMask-HQ face mean-F1. */
export interface EvaluationReport extends EvalSummary {
  cm: ConfusionMatrix;
  /** Mean F1 over the 18 face classes (background excluded). */
  meanF1: number;
  iou: Record<string, number>;
  /** The per-class table, as text and as markdown. */
  table: string;
  markdown: string;
}

/** The report of a confusion matrix (mmseg `IoUMetric` semantics, `celebamask` preset). */
export function reportFromMatrix(cm: ConfusionMatrix): EvaluationReport {
  const m = computePresetMetrics(cm, { preset: 'celebamask' });
  const classNames = CELEBAMASK_CLASS_NAMES;
  const iou: Record<string, number> = {};
  m.all.perClass.iou.forEach((v, c) => {
    iou[classNames[c] ?? `class ${c}`] = v;
  });
  return {
    cm,
    mIoU: m.mIoU,
    meanF1: m.meanF1,
    aAcc: m.all.aAcc,
    mAcc: m.all.mAcc,
    iou,
    table: formatMetricsTable(m.all, { classNames, format: 'text' }),
    markdown: formatMetricsTable(m.all, { classNames, format: 'markdown' }),
  };
}

/**
 * Evaluates a segmentor over labelled samples through heads' `predictSample` (the test
 * pipeline `facepar predict` uses too, so both give the same masks): one dataset-level
 * confusion matrix, then the report.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  const { segmentor, samples, onPrediction } = options;
  const cm = createConfusionMatrix({
    numClasses: segmentor.spec.numClasses,
    ignoreIndex: options.ignoreIndex ?? CELEBAMASK_IGNORE_INDEX,
  });
  for (const [index, sample] of samples.entries()) {
    const pred = await predictSample({ ...options, image: sample });
    cm.update({ pred, gt: sample.labels });
    await onPrediction?.({ sample, pred, index });
  }
  return reportFromMatrix(cm);
}

/**
 * mIoU of always predicting the most frequent ground-truth class: the floor a model must
 * clear to show it learned anything.
 */
export function majorityBaselineMIoU(options: {
  samples: readonly LabelledSample[];
  numClasses: number;
  ignoreIndex?: number;
}): number {
  const { samples, numClasses } = options;
  const counts = new Float64Array(numClasses);
  for (const s of samples) for (const v of s.labels) if (v < numClasses) counts[v]!++;
  const majority = counts.indexOf(Math.max(...counts));
  const ignoreIndex = options.ignoreIndex ?? CELEBAMASK_IGNORE_INDEX;
  const cm = createConfusionMatrix({ numClasses, ignoreIndex });
  for (const s of samples)
    cm.update({ pred: new Uint8Array(s.labels.length).fill(majority), gt: s.labels });
  return computePresetMetrics(cm, { preset: 'celebamask' }).mIoU;
}
