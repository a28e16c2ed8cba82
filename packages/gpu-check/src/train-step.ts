import { createSgd, type SgdOptions } from '@facepar/core';
import type { Segmentor } from '@facepar/heads';
import { REPORT_CLASS_WEIGHTS } from '@facepar/losses';
import { createSegmentorLoss, createTrainStep, type TrainStep } from '@facepar/train';

export interface ReportTrainStepOptions {
  segmentor: Segmentor;
  /** Per-class CE weights; default the report's (`REPORT_CLASS_WEIGHTS`); null: unweighted. */
  classWeights?: readonly number[] | null;
  ignoreIndex?: number;
  /** Default: the report's SGD (lr 0.01, momentum 0.9, weight decay 5e-4). */
  sgd?: SgdOptions;
}

export const REPORT_SGD_OPTIONS: Readonly<SgdOptions> = Object.freeze({
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
});

/**
 * The report's training step of a segmentor: `@facepar/train`'s `createTrainStep` (the step
 * `facepar train` runs: `leanVariableGrads`, one asynchronous read, SGD) with its
 * `createSegmentorLoss` (mmseg's weighted CE on the decode head and each auxiliary head at the
 * spec's `lossWeight`, logits resized to the labels) at the report's class weights and SGD.
 * `dispose()` frees the momentum buffers (not the model).
 */
export function createReportTrainStep(
  options: ReportTrainStepOptions,
): TrainStep & { dispose(): void } {
  const { segmentor } = options;
  const weights = options.classWeights === undefined ? REPORT_CLASS_WEIGHTS : options.classWeights;
  const loss = {
    classWeights: weights == null ? null : [...weights],
    reduction: 'mmseg',
    ignoreIndex: options.ignoreIndex ?? 255,
    resizeLogitsTo: 'labels',
  } as const;
  const optimizer = createSgd(options.sgd ?? REPORT_SGD_OPTIONS);
  const step = createTrainStep({
    model: segmentor.model,
    computeLoss: createSegmentorLoss({ segmentor, loss }),
    optimizer,
  });
  return { ...step, dispose: () => optimizer.dispose() };
}
