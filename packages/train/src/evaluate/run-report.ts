import { join } from 'node:path';
import type { LabelledSample } from '@facepar/celebamask-data';
import { writeFileAtomic } from '@facepar/core';
import { CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
import type { EvaluationReport } from './evaluate.js';

/** `mIoU 77.12  face mean-F1 86.40  aAcc 93.05`. */
export function formatReportSummary(report: EvaluationReport): string {
  const pct = (v: number) => (v * 100).toFixed(2);
  return `mIoU ${pct(report.mIoU)}  face mean-F1 ${pct(report.meanF1)}  aAcc ${pct(report.aAcc)}`;
}

/** A report as JSON: the headline numbers, `extra`, and the confusion matrix (mergeable). */
export function reportJson(options: {
  report: EvaluationReport;
  extra?: Record<string, unknown>;
}): string {
  const { report, extra = {} } = options;
  const { mIoU, meanF1, aAcc } = report;
  const confusionMatrix = report.cm.toJSON();
  return `${JSON.stringify({ mIoU, meanF1, aAcc, ...extra, confusionMatrix })}\n`;
}

/**
 * Writes a run folder's report files atomically: `metrics.txt` / `metrics.md` (the per-class
 * table and the summary) and `metrics.json` (summary, `extra`, confusion matrix; mergeable
 * with `facepar miou --merge`).
 */
export async function writeRunReport(options: {
  workDir: string;
  report: EvaluationReport;
  extra?: Record<string, unknown>;
}): Promise<void> {
  const { workDir, report } = options;
  const summary = formatReportSummary(report);
  await writeFileAtomic({
    path: join(workDir, 'metrics.txt'),
    data: `${report.table}\n${summary}\n`,
  });
  await writeFileAtomic({
    path: join(workDir, 'metrics.md'),
    data: `${report.markdown}\n\n${summary}\n`,
  });
  await writeFileAtomic({ path: join(workDir, 'metrics.json'), data: reportJson(options) });
}

/**
 * Saves a prediction and its ground truth as palette PNGs (CelebAMask-HQ colours),
 * `<dir>/pred/<id>.png` and `<dir>/gt/<id>.png`: the names `predict` gives (`<stem>.png`), and
 * two folders `miou --pred <dir>/pred --gt <dir>/gt` pairs as they are.
 */
export async function writePredictionPngs(options: {
  dir: string;
  sample: LabelledSample;
  pred: Uint8Array;
}): Promise<void> {
  const { dir, sample, pred } = options;
  const { width, height } = sample;
  const palette = CELEBAMASK_PALETTE;
  for (const [part, labels] of [
    ['pred', pred],
    ['gt', sample.labels],
  ] as const) {
    await writeFileAtomic({
      path: join(dir, part, `${sample.id}.png`),
      data: encodeLabelPng({ labels, width, height, palette }),
    });
  }
}
