import { type AbsentClassPolicy, computeMetrics, type MetricsResult } from './compute-metrics.js';
import type { ConfusionMatrix } from './confusion-matrix.js';
import {
  CELEBAMASK_CLASS_NAMES,
  CELEBAMASK_IGNORE_INDEX,
  CELEBAMASK_NUM_CLASSES,
} from './labels/index.js';

/** A dataset's evaluation convention, as data. */
export interface MetricPreset {
  name: string;
  description: string;
  numClasses: number;
  ignoreIndex: number | null;
  classNames: readonly string[];
  /** Classes left out of the headline mean F1 (e.g. background). */
  f1ExcludeClasses: readonly number[];
}

export const METRIC_PRESETS: Readonly<Record<'celebamask', MetricPreset>> = Object.freeze({
  celebamask: Object.freeze({
    name: 'celebamask',
    description:
      'CelebAMask-HQ face parsing: mean F1 over the 18 foreground classes from the dataset-level confusion ' +
      'matrix (FaRL / DML-CSR / SegFace convention), beside mmseg mIoU over all 19 classes',
    numClasses: CELEBAMASK_NUM_CLASSES,
    ignoreIndex: CELEBAMASK_IGNORE_INDEX,
    classNames: CELEBAMASK_CLASS_NAMES,
    f1ExcludeClasses: Object.freeze([0]),
  }),
});

export type MetricPresetName = keyof typeof METRIC_PRESETS;

/** Looks a preset up by name; the error lists the known names. */
export function getMetricPreset(name: string): MetricPreset {
  const preset = (METRIC_PRESETS as Record<string, MetricPreset>)[name];
  if (preset === undefined) {
    throw new RangeError(
      `unknown metric preset ${JSON.stringify(name)}; known presets: ${Object.keys(METRIC_PRESETS).join(', ')}`,
    );
  }
  return preset;
}

export interface PresetMetricsOptions {
  preset?: string;
  absentClass?: AbsentClassPolicy;
}

export interface PresetMetrics {
  preset: MetricPreset;
  /** mmseg mIoU over every class. */
  mIoU: number;
  /** Mean per-class F1 over the non-excluded classes (e.g. the 18 foreground classes). */
  meanF1: number;
  /** Every score over all classes. */
  all: MetricsResult;
  /** Every score with `f1ExcludeClasses` left out of the means. */
  foreground: MetricsResult;
}

/** The headline numbers of a dataset convention from one dataset-level confusion matrix. */
export function computePresetMetrics(
  cm: ConfusionMatrix,
  options: PresetMetricsOptions = {},
): PresetMetrics {
  const preset = getMetricPreset(options.preset ?? 'celebamask');
  if (cm.numClasses !== preset.numClasses) {
    throw new RangeError(
      `preset ${preset.name} needs numClasses ${preset.numClasses}, the matrix has ${cm.numClasses}`,
    );
  }
  const absentClass = options.absentClass ?? 'mmseg';
  const all = computeMetrics(cm, { absentClass });
  const foreground = computeMetrics(cm, { absentClass, excludeClasses: preset.f1ExcludeClasses });
  return { preset, mIoU: all.mIoU, meanF1: foreground.mF1, all, foreground };
}
