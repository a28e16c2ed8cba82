import type { AbsentClassPolicy, MetricsResult } from './compute-metrics.js';
import { computeMetrics } from './compute-metrics.js';
import { ConfusionMatrix } from './confusion-matrix.js';
import { formatMetricsTable, metricsRows, SUMMARY_KEYS } from './format-table.js';
import {
  type EvaluateMaskFoldersOptions,
  evaluateMaskFolders,
  type MaskFolderEvaluation,
} from './evaluate-mask-folders.js';
import {
  computeImagewiseMetrics,
  type ImagewiseMetrics,
  type ImagewiseReduction,
} from './imagewise.js';
import { computePresetMetrics, type MetricPreset } from './presets.js';

const nullable = (v: number) => (Number.isNaN(v) ? null : v);

/** Everything one evaluation computed, as JSON (NaN as null): mergeable by its matrix. */
export interface MetricsReport {
  cm: ConfusionMatrix;
  metrics: MetricsResult;
  /** The preset's headline (e.g. CelebAMask-HQ face mean-F1 and mIoU), when one was given. */
  preset: ReturnType<typeof computePresetMetrics> | null;
  /** The JSON document: summary, preset headline, image-wise means, per-class rows, matrix. */
  json: Record<string, unknown>;
}

/**
 * The metrics of a confusion matrix and the JSON document `facepar miou --json` writes (and
 * `readConfusionMatrixFiles` reads back): mmseg summary, optional preset headline and
 * image-wise means, per-class rows, dropped labels and the raw matrix.
 */
export function metricsReport(options: {
  cm: ConfusionMatrix;
  absentClass?: AbsentClassPolicy;
  preset?: MetricPreset;
  imagewise?: ImagewiseMetrics;
}): MetricsReport {
  const { cm, absentClass, preset, imagewise: r } = options;
  const metrics = computeMetrics(cm, { absentClass });
  const p = preset ? computePresetMetrics(cm, { preset: preset.name, absentClass }) : null;
  const scores = ['iou', 'dice', 'acc', 'precision'] as const;
  const json = {
    summary: Object.fromEntries(SUMMARY_KEYS.map((k) => [k, nullable(metrics[k])])),
    preset: p ? { mIoU: nullable(p.mIoU), meanF1: nullable(p.meanF1) } : null,
    imagewise: r
      ? { reduction: r.reduction, ...Object.fromEntries(scores.map((k) => [k, nullable(r[k])])) }
      : null,
    perClass: metricsRows(metrics, preset?.classNames),
    dropped: cm.dropped(),
    confusionMatrix: cm.toJSON(),
  };
  return { cm, metrics, preset: p, json };
}

/**
 * Adds up saved evaluations exactly: each file is a JSON document with a `confusionMatrix`
 * (what `metricsReport`, `facepar eval --json` and `facepar miou --json` write) or a bare
 * `ConfusionMatrix.toJSON()`. Errors name the file. Node only.
 */
export async function readConfusionMatrixFiles(files: readonly string[]): Promise<ConfusionMatrix> {
  if (files.length === 0) throw new Error('readConfusionMatrixFiles: no files given');
  const { readFile } = await import('node:fs/promises');
  let total: ConfusionMatrix | undefined;
  for (const file of files) {
    try {
      const json = JSON.parse(await readFile(file, 'utf8'));
      const isDoc = json !== null && typeof json === 'object' && 'confusionMatrix' in json;
      const cm = ConfusionMatrix.fromJSON(isDoc ? json.confusionMatrix : json);
      total = total ? total.merge(cm) : cm;
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  }
  return total!;
}

export interface ScoreMasksOptions
  extends Omit<EvaluateMaskFoldersOptions, 'predDir' | 'gtDir' | 'keepImageAreas'> {
  /** Predicted and ground-truth mask folders (paired by stem), or `merge` instead. */
  predDir?: string;
  gtDir?: string;
  /** Saved documents (or bare matrices) to add up instead of scoring folders. */
  merge?: readonly string[];
  absentClass?: AbsentClassPolicy;
  preset?: MetricPreset;
  /** Also per-image means (folders only). */
  imagewise?: ImagewiseReduction;
}

/**
 * Scores mask folders (or merges saved evaluations) into a `metricsReport`, its JSON document
 * extended with where the numbers came from and the options: what `facepar miou` prints and
 * writes. Node only.
 */
export async function scoreMasks(
  options: ScoreMasksOptions,
): Promise<MetricsReport & { imagewise?: ImagewiseMetrics; folders?: MaskFolderEvaluation }> {
  const { absentClass, preset, merge, predDir, gtDir } = options;
  const numClasses = options.numClasses ?? preset?.numClasses ?? 19;
  const ignoreIndex =
    options.ignoreIndex === undefined ? (preset?.ignoreIndex ?? 255) : options.ignoreIndex;
  let cm: ConfusionMatrix;
  let source: Record<string, unknown>;
  let folders: MaskFolderEvaluation | undefined;
  let imagewise: ImagewiseMetrics | undefined;
  if (merge) {
    if (options.imagewise)
      throw new Error('imagewise needs mask folders (saved matrices hold no per-image data)');
    cm = await readConfusionMatrixFiles(merge);
    source = { merged: merge };
  } else {
    if (predDir === undefined || gtDir === undefined)
      throw new Error('scoreMasks: pass predDir and gtDir, or merge');
    const keepImageAreas = options.imagewise !== undefined;
    folders = await evaluateMaskFolders({
      ...options,
      predDir,
      gtDir,
      numClasses,
      ignoreIndex,
      keepImageAreas,
    });
    cm = folders.confusionMatrix;
    if (options.imagewise && folders.imageAreas) {
      const reduction = options.imagewise;
      imagewise = computeImagewiseMetrics({ images: folders.imageAreas, reduction, absentClass });
    }
    const { stems, missingPred, missingGt, timing } = folders;
    source = { predDir, gtDir, pairs: stems.length, missingPred, missingGt, timing };
  }
  const report = metricsReport({ cm, absentClass, preset, imagewise });
  const opts = {
    numClasses,
    ignoreIndex,
    absentClass: absentClass ?? 'mmseg',
    preset: preset?.name ?? null,
  };
  return { ...report, json: { ...source, options: opts, ...report.json }, imagewise, folders };
}

/**
 * `scoreMasks`' result as the lines `facepar miou` prints: unpaired files and timing (folders),
 * the per-class table, dropped labels, the preset headline and the image-wise means.
 */
export function formatScoreReport(
  report: Awaited<ReturnType<typeof scoreMasks>>,
  options: { format?: 'text' | 'markdown'; preset?: MetricPreset } = {},
): string[] {
  const { preset } = options;
  const pct = (v: number) => (Number.isNaN(v) ? 'nan' : (v * 100).toFixed(2));
  const lines: string[] = [];
  if (report.folders) {
    const { missingPred, missingGt, stems, timing: t } = report.folders;
    const skipped = [
      ...missingPred.map((s) => `${s} (no prediction)`),
      ...missingGt.map((s) => `${s} (no ground truth)`),
    ];
    const more = skipped.length > 5 ? ', ...' : '';
    if (skipped.length > 0) {
      lines.push(
        `skipped ${skipped.length} unpaired file(s): ${skipped.slice(0, 5).join(', ')}${more}`,
      );
    }
    const s = (ms: number) => (ms / 1000).toFixed(2);
    const parts = `read ${s(t.readMs)} s, decode ${s(t.decodeMs)} s, count ${s(t.countMs)} s`;
    lines.push(`evaluated ${stems.length} pairs in ${s(t.totalMs)} s (${parts})`);
  }
  const table = { format: options.format ?? 'text', classNames: preset?.classNames };
  lines.push(formatMetricsTable(report.metrics, table));
  const d = report.cm.dropped();
  if (d.predOutOfRange + d.gtOutOfRange + d.bothOutOfRange > 0) {
    const counts = `${d.predOutOfRange} predicted, ${d.gtOutOfRange} ground truth, ${d.bothOutOfRange} both`;
    lines.push(`out-of-range labels (dropped like mmseg): ${counts}; --strict makes this an error`);
  }
  const p = report.preset;
  if (preset && p) {
    const fg = `${p.foreground.includedClasses.length} foreground classes`;
    const all = `${report.cm.numClasses} classes`;
    lines.push(`${preset.name}: mean F1 (${fg}) ${pct(p.meanF1)}, mIoU (${all}) ${pct(p.mIoU)}`);
  }
  const w = report.imagewise;
  if (w) {
    const scores = `IoU ${pct(w.iou)}, Dice/F1 ${pct(w.dice)}, Acc ${pct(w.acc)}, Precision ${pct(w.precision)}`;
    lines.push(`${w.reduction}: ${scores} over ${w.perImage.iou.length} images`);
  }
  return lines;
}
