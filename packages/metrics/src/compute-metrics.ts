import type { ClassAreas, ConfusionMatrix } from './confusion-matrix.js';

/**
 * What a score is when its denominator is zero (the class is absent from both prediction and
 * ground truth for IoU/Dice, from the ground truth for Acc, from the prediction for precision):
 * - `mmseg`: NaN, and NaN entries are left out of the means (mmseg IoUMetric + np.nanmean).
 *   The F-score keeps mmseg's formula `(1+β²)PR/(β²P+R)`, so a class with P = R = 0 is NaN too.
 * - `zero` / `one`: the value 0 or 1 and every class counts in the means (smp `zero_division`).
 */
export type AbsentClassPolicy = 'mmseg' | 'zero' | 'one';

export const ABSENT_CLASS_POLICIES: readonly AbsentClassPolicy[] = ['mmseg', 'zero', 'one'];

export interface ComputeMetricsOptions {
  absentClass?: AbsentClassPolicy;
  /** Classes left out of every mean (per-class values are still reported), e.g. `[0]`. */
  excludeClasses?: readonly number[];
  /** β of the F-score (1 = F1). */
  beta?: number;
}

export type ResolvedComputeMetricsOptions = Required<ComputeMetricsOptions>;

export const DEFAULT_COMPUTE_METRICS_OPTIONS: ResolvedComputeMetricsOptions = {
  absentClass: 'mmseg',
  excludeClasses: [],
  beta: 1,
};

export function resolveComputeMetricsOptions(
  options: ComputeMetricsOptions,
  numClasses: number,
): ResolvedComputeMetricsOptions {
  const absentClass = options.absentClass ?? DEFAULT_COMPUTE_METRICS_OPTIONS.absentClass;
  if (!ABSENT_CLASS_POLICIES.includes(absentClass)) {
    throw new RangeError(
      `absentClass must be one of ${ABSENT_CLASS_POLICIES.join(', ')}, got ${String(absentClass)}`,
    );
  }
  const excludeClasses = [
    ...(options.excludeClasses ?? DEFAULT_COMPUTE_METRICS_OPTIONS.excludeClasses),
  ];
  for (const c of excludeClasses) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new RangeError(
        `excludeClasses entries must be class ids in 0..${numClasses - 1}, got ${String(c)}`,
      );
    }
  }
  const beta = options.beta ?? DEFAULT_COMPUTE_METRICS_OPTIONS.beta;
  if (typeof beta !== 'number' || !(beta > 0) || !Number.isFinite(beta)) {
    throw new RangeError(`beta must be a finite number > 0, got ${String(beta)}`);
  }
  return { absentClass, excludeClasses, beta };
}

/** Per-class scores, each a fraction in [0, 1] (or NaN under the `mmseg` policy). */
export interface PerClassMetrics {
  iou: Float64Array;
  /** Recall (mmseg `Acc`). */
  acc: Float64Array;
  precision: Float64Array;
  /** Dice = F1 = 2I / (pred + label). */
  dice: Float64Array;
  /** F-beta with mmseg's formula from precision and recall. */
  fscore: Float64Array;
}

export interface SummaryMetrics {
  /** Overall pixel accuracy: correct / labelled (not a mean over classes). */
  aAcc: number;
  mIoU: number;
  mAcc: number;
  mPrecision: number;
  mDice: number;
  /** Mean per-class F1 (= mean Dice; F1 and Dice are the same per-class quantity). */
  mF1: number;
  /** Mean F-beta (mmseg `mFscore`). */
  mFscore: number;
  /** Frequency-weighted IoU: Σ_c (label_c / Σ label) · IoU_c over the included classes. */
  fwIoU: number;
}

export interface MetricsResult extends SummaryMetrics {
  numClasses: number;
  perClass: PerClassMetrics;
  areas: ClassAreas;
  /** Classes that took part in the means. */
  includedClasses: number[];
  options: ResolvedComputeMetricsOptions;
}

/** Turns confusion-matrix areas into scores (stats first, scores second). */
export function computeMetrics(
  cm: ConfusionMatrix,
  options: ComputeMetricsOptions = {},
): MetricsResult {
  return computeMetricsFromAreas(cm.areas(), options);
}

/** Same as {@link computeMetrics} from mmseg-style areas (e.g. summed over images). */
export function computeMetricsFromAreas(
  areas: ClassAreas,
  options: ComputeMetricsOptions = {},
): MetricsResult {
  const numClasses = areas.intersect.length;
  const o = resolveComputeMetricsOptions(options, numClasses);
  const { intersect, union, predArea, labelArea } = areas;
  const div = divider(o.absentClass);
  const b2 = o.beta * o.beta;
  const iou = new Float64Array(numClasses);
  const acc = new Float64Array(numClasses);
  const precision = new Float64Array(numClasses);
  const dice = new Float64Array(numClasses);
  const fscore = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    iou[c] = div(intersect[c], union[c]);
    acc[c] = div(intersect[c], labelArea[c]);
    precision[c] = div(intersect[c], predArea[c]);
    dice[c] = div(2 * intersect[c], predArea[c] + labelArea[c]);
    if (o.absentClass === 'mmseg') {
      const p = precision[c];
      const r = acc[c];
      fscore[c] = ((1 + b2) * (p * r)) / (b2 * p + r);
    } else {
      // smp `_fbeta_score`: (1+β²)tp / ((1+β²)tp + β²fn + fp)
      const tp = intersect[c];
      const fn = labelArea[c] - tp;
      const fp = predArea[c] - tp;
      fscore[c] = div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp);
    }
  }
  const excluded = new Set(o.excludeClasses);
  const includedClasses = Array.from({ length: numClasses }, (_, c) => c).filter(
    (c) => !excluded.has(c),
  );
  const mean = (v: Float64Array) => nanMean(includedClasses.map((c) => v[c]));
  let totalI = 0;
  let totalL = 0;
  for (let c = 0; c < numClasses; c++) {
    totalI += intersect[c];
    totalL += labelArea[c];
  }
  let fwTotal = 0;
  for (const c of includedClasses) fwTotal += labelArea[c];
  let fwIoU = 0;
  for (const c of includedClasses) {
    if (labelArea[c] > 0) fwIoU += (labelArea[c] / fwTotal) * iou[c];
  }
  if (fwTotal === 0) fwIoU = div(0, 0);
  return {
    numClasses,
    aAcc: div(totalI, totalL),
    mIoU: mean(iou),
    mAcc: mean(acc),
    mPrecision: mean(precision),
    mDice: mean(dice),
    mF1: mean(dice),
    mFscore: mean(fscore),
    fwIoU,
    perClass: { iou, acc, precision, dice, fscore },
    areas,
    includedClasses,
    options: o,
  };
}

/** Mean of the non-NaN values; NaN when there are none (np.nanmean). */
export function nanMean(values: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? Number.NaN : s / n;
}

/** a / b, with the policy's value when b is 0. */
export function divider(policy: AbsentClassPolicy): (a: number, b: number) => number {
  const fallback = policy === 'zero' ? 0 : policy === 'one' ? 1 : Number.NaN;
  return (a, b) => (b === 0 ? fallback : a / b);
}
