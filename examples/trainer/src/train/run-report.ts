import { join } from 'node:path';
import {
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_PALETTE,
  type ConfusionMatrix,
  computePresetMetrics,
  createConfusionMatrix,
  encodeLabelPng,
  formatMetricsTable,
} from '@facepar/metrics';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainConfig } from '../configs/types.js';
import type { Sample } from '../data/samples.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { renderCurves } from '../run/curves.js';
import { readJsonl } from '../run/jsonl-log.js';
import { evaluateWithConfig } from './evaluate.js';

export interface EvaluationReport {
  cm: ConfusionMatrix;
  mIoU: number;
  /** Mean F1 over the 18 face classes (background excluded). */
  meanF1: number;
  aAcc: number;
  table: string;
  markdown: string;
}

/** Evaluates a model over samples and formats the per-class table (mmseg metrics + face F1). */
export function evaluateReport(options: {
  model: tfl.LayersModel;
  config: TrainConfig;
  samples: readonly Sample[];
  flipTta?: boolean;
  onPrediction?: (info: { sample: Sample; pred: Uint8Array; index: number }) => void;
}): EvaluationReport {
  const cm = evaluateWithConfig(options);
  return reportFromMatrix({ cm });
}

export function reportFromMatrix(options: { cm: ConfusionMatrix }): EvaluationReport {
  const { cm } = options;
  const m = computePresetMetrics(cm, { preset: 'celebamask' });
  const classNames = CELEBAMASK_CLASS_NAMES;
  return {
    cm,
    mIoU: m.mIoU,
    meanF1: m.meanF1,
    aAcc: m.all.aAcc,
    table: formatMetricsTable(m.all, { classNames, format: 'text' }),
    markdown: formatMetricsTable(m.all, { classNames, format: 'markdown' }),
  };
}

/**
 * mIoU of always predicting the most frequent ground-truth class: the floor a model must
 * clear to show it learned anything.
 */
export function majorityBaselineMIoU(options: {
  samples: readonly Sample[];
  numClasses: number;
  ignoreIndex: number;
}): number {
  const { samples, numClasses, ignoreIndex } = options;
  const counts = new Float64Array(numClasses);
  for (const s of samples) for (const v of s.labels) if (v < numClasses) counts[v]!++;
  const majority = counts.indexOf(Math.max(...counts));
  const cm = createConfusionMatrix({ numClasses, ignoreIndex });
  for (const s of samples)
    cm.update({ pred: new Uint8Array(s.labels.length).fill(majority), gt: s.labels });
  return computePresetMetrics(cm, { preset: 'celebamask' }).mIoU;
}

/**
 * Writes the run folder's report files: `metrics.txt` / `metrics.md` (per-class table),
 * `metrics.json` (summary + confusion matrix, mergeable with `facepar miou --merge`),
 * `curves.svg` / `curves.png` from `log.jsonl`.
 */
export async function writeRunReport(options: {
  workDir: string;
  report: EvaluationReport;
  title: string;
  extra?: Record<string, unknown>;
}): Promise<void> {
  const { workDir, report, title, extra = {} } = options;
  const summary = `mIoU ${(report.mIoU * 100).toFixed(2)}  face mean-F1 ${(report.meanF1 * 100).toFixed(2)}  aAcc ${(report.aAcc * 100).toFixed(2)}`;
  writeFileAtomic({ path: join(workDir, 'metrics.txt'), data: `${report.table}\n${summary}\n` });
  writeFileAtomic({
    path: join(workDir, 'metrics.md'),
    data: `${report.markdown}\n\n${summary}\n`,
  });
  writeFileAtomic({
    path: join(workDir, 'metrics.json'),
    data: `${JSON.stringify({ mIoU: report.mIoU, meanF1: report.meanF1, aAcc: report.aAcc, ...extra, confusionMatrix: report.cm.toJSON() })}\n`,
  });
  await writeCurves({ workDir, title });
}

/** `curves.svg` / `curves.png` (loss and mIoU vs iteration) from the run's `log.jsonl`. */
export async function writeCurves(options: { workDir: string; title: string }): Promise<void> {
  const { workDir, title } = options;
  const records = readJsonl(join(workDir, 'log.jsonl'));
  const { svg, png } = await renderCurves({ records, title });
  writeFileAtomic({ path: join(workDir, 'curves.svg'), data: svg });
  writeFileAtomic({ path: join(workDir, 'curves.png'), data: png });
}

/** Saves a prediction and its ground truth as palette PNGs (CelebAMask-HQ colours). */
export function writePredictionPngs(options: {
  dir: string;
  sample: Sample;
  pred: Uint8Array;
}): void {
  const { dir, sample, pred } = options;
  const { width, height } = sample;
  writeFileAtomic({
    path: join(dir, `${sample.id}_pred.png`),
    data: encodeLabelPng({ labels: pred, width, height, palette: CELEBAMASK_PALETTE }),
  });
  writeFileAtomic({
    path: join(dir, `${sample.id}_gt.png`),
    data: encodeLabelPng({ labels: sample.labels, width, height, palette: CELEBAMASK_PALETTE }),
  });
}
