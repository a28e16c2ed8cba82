import {
  type AbsentClassPolicy,
  divider,
  nanMean,
  resolveComputeMetricsOptions,
} from './compute-metrics.js';
import type { ClassAreas, ConfusionMatrix } from './confusion-matrix.js';

/**
 * smp's image-wise reductions:
 * - `macro-imagewise`: score each class of each image, mean over classes, then over images;
 * - `micro-imagewise`: sum tp/fp/fn over the classes of each image, score, then mean over images.
 */
export type ImagewiseReduction = 'macro-imagewise' | 'micro-imagewise';

export const IMAGEWISE_REDUCTIONS: readonly ImagewiseReduction[] = [
  'macro-imagewise',
  'micro-imagewise',
];

export interface ImagewiseMetricsOptions {
  /** Per-image areas (`cm.areas()` of a matrix holding one image) or per-image matrices. */
  images: readonly (ClassAreas | ConfusionMatrix)[];
  reduction?: ImagewiseReduction;
  /** As in computeMetrics: `mmseg` = NaN for zero denominators, skipped by nan-means. */
  absentClass?: AbsentClassPolicy;
  excludeClasses?: readonly number[];
  beta?: number;
}

export const DEFAULT_IMAGEWISE_METRICS_OPTIONS = {
  reduction: 'macro-imagewise' as ImagewiseReduction,
};

export interface ImagewiseScores {
  iou: number;
  acc: number;
  precision: number;
  dice: number;
  fscore: number;
}

export interface ImagewiseMetrics extends ImagewiseScores {
  reduction: ImagewiseReduction;
  /** The score of every image before the mean over images. */
  perImage: { [K in keyof ImagewiseScores]: Float64Array };
}

/** Per-image metrics, then their mean over images (the smp habit). */
export function computeImagewiseMetrics(options: ImagewiseMetricsOptions): ImagewiseMetrics {
  const reduction = options.reduction ?? DEFAULT_IMAGEWISE_METRICS_OPTIONS.reduction;
  if (!IMAGEWISE_REDUCTIONS.includes(reduction)) {
    throw new RangeError(
      `reduction must be one of ${IMAGEWISE_REDUCTIONS.join(', ')}, got ${String(reduction)}`,
    );
  }
  const areas = options.images.map((im) =>
    'areas' in im && typeof im.areas === 'function' ? im.areas() : (im as ClassAreas),
  );
  const numClasses = areas[0]?.intersect.length ?? 0;
  if (areas.some((a) => a.intersect.length !== numClasses)) {
    throw new RangeError('every image must have the same number of classes');
  }
  const o = resolveComputeMetricsOptions(options, Math.max(numClasses, 1));
  const div = divider(o.absentClass);
  const b2 = o.beta * o.beta;
  const excluded = new Set(o.excludeClasses);
  const classes = Array.from({ length: numClasses }, (_, c) => c).filter((c) => !excluded.has(c));
  const keys = ['iou', 'acc', 'precision', 'dice', 'fscore'] as const;
  const perImage = Object.fromEntries(
    keys.map((k) => [k, new Float64Array(areas.length)]),
  ) as ImagewiseMetrics['perImage'];
  const score = (tp: number, fp: number, fn: number): ImagewiseScores => ({
    iou: div(tp, tp + fp + fn),
    acc: div(tp, tp + fn),
    precision: div(tp, tp + fp),
    dice: div(2 * tp, 2 * tp + fp + fn),
    fscore: div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp),
  });
  areas.forEach((a, i) => {
    if (reduction === 'micro-imagewise') {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (const c of classes) {
        tp += a.intersect[c];
        fp += a.predArea[c] - a.intersect[c];
        fn += a.labelArea[c] - a.intersect[c];
      }
      const s = score(tp, fp, fn);
      for (const k of keys) perImage[k][i] = s[k];
    } else {
      const per = classes.map((c) =>
        score(a.intersect[c], a.predArea[c] - a.intersect[c], a.labelArea[c] - a.intersect[c]),
      );
      for (const k of keys) perImage[k][i] = nanMean(per.map((s) => s[k]));
    }
  });
  return {
    reduction,
    perImage,
    iou: nanMean(perImage.iou),
    acc: nanMean(perImage.acc),
    precision: nanMean(perImage.precision),
    dice: nanMean(perImage.dice),
    fscore: nanMean(perImage.fscore),
  };
}
