/** Class-weight schemes computed from per-class pixel counts (plain numbers, no tensors). */
import { withDefaults } from './defaults.js';

export type ClassWeightScheme =
  | 'log2-inverse'
  | 'inverse'
  | 'median-frequency'
  | 'effective-number'
  | 'enet';

export const CLASS_WEIGHT_SCHEMES: readonly ClassWeightScheme[] = [
  'log2-inverse',
  'inverse',
  'median-frequency',
  'effective-number',
  'enet',
];

export interface ClassWeightsFromCountsOptions {
  /** Default `'log2-inverse'`. */
  scheme?: ClassWeightScheme;
  /** `effective-number` only: β in [0, 1) (Cui et al. 2019); default 0.9999. */
  beta?: number;
  /** `enet` only: the constant c in `1 / ln(c + p)` (Paszke et al. 2016); default 1.02. */
  enetC?: number;
  /**
   * `median-frequency` only: per class, the total pixels of the images where that class
   * appears (Eigen & Fergus' denominator). Null (default): every class uses the total of all
   * counts, so `freq_c = count_c / total`.
   */
  imagePixels?: readonly number[] | null;
  /**
   * Weight given to a class whose count is 0 (every scheme would divide by zero or take
   * log(∞)). Default 0: a class never seen contributes nothing, and stays finite. `'max'`
   * gives it the largest weight among the seen classes instead.
   */
  zeroCountWeight?: number | 'max';
}

export interface ResolvedClassWeightsFromCountsOptions {
  scheme: ClassWeightScheme;
  beta: number;
  enetC: number;
  imagePixels: readonly number[] | null;
  zeroCountWeight: number | 'max';
}

export const DEFAULT_CLASS_WEIGHTS_FROM_COUNTS_OPTIONS: Readonly<ResolvedClassWeightsFromCountsOptions> =
  Object.freeze({
    scheme: 'log2-inverse',
    beta: 0.9999,
    enetC: 1.02,
    imagePixels: null,
    zeroCountWeight: 0,
  });

const WHERE = 'classWeightsFromCounts';

export function resolveClassWeightsFromCountsOptions(
  options: ClassWeightsFromCountsOptions = {},
): ResolvedClassWeightsFromCountsOptions {
  const o = withDefaults(DEFAULT_CLASS_WEIGHTS_FROM_COUNTS_OPTIONS, options);
  if (!CLASS_WEIGHT_SCHEMES.includes(o.scheme)) {
    throw new Error(
      `${WHERE}: scheme ${JSON.stringify(o.scheme)} is not one of ${CLASS_WEIGHT_SCHEMES.map((s) => `'${s}'`).join(', ')}`,
    );
  }
  if (typeof o.beta !== 'number' || !(o.beta >= 0 && o.beta < 1)) {
    throw new Error(`${WHERE}: beta must be in [0, 1), got ${String(o.beta)}`);
  }
  if (typeof o.enetC !== 'number' || !(o.enetC > 1)) {
    throw new Error(`${WHERE}: enetC must be > 1 (so ln(c + p) > 0), got ${String(o.enetC)}`);
  }
  const z = o.zeroCountWeight;
  if (z !== 'max' && !(typeof z === 'number' && Number.isFinite(z) && z >= 0)) {
    throw new Error(
      `${WHERE}: zeroCountWeight must be a finite number >= 0 or 'max', got ${String(z)}`,
    );
  }
  return {
    scheme: o.scheme,
    beta: o.beta,
    enetC: o.enetC,
    imagePixels: o.imagePixels == null ? null : [...o.imagePixels],
    zeroCountWeight: z,
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Per-class loss weights from per-class pixel counts (index = class id). With
 * `total = Σ counts` and `f_c = count_c / total`:
 * - `log2-inverse`: `log2(total / count_c)` (the face-parsing report's Table 2 scheme);
 * - `inverse`: `total / count_c`;
 * - `median-frequency`: `median(f) / f_c` over seen classes (Eigen & Fergus 2015; pass
 *   `imagePixels` for their per-class image-pixel denominators);
 * - `effective-number`: `(1 - β) / (1 - β^count_c)`, rescaled so the seen classes' weights
 *   sum to their number (Cui et al. 2019);
 * - `enet`: `1 / ln(enetC + f_c)` (Paszke et al. 2016).
 * Classes with count 0 get `zeroCountWeight` (default 0); the result never holds Infinity/NaN.
 */
export function classWeightsFromCounts(
  counts: readonly number[] | ArrayLike<number>,
  options: ClassWeightsFromCountsOptions = {},
): number[] {
  const o = resolveClassWeightsFromCountsOptions(options);
  const c = Array.from(counts);
  if (c.length === 0) throw new Error(`${WHERE}: counts is empty`);
  const bad = c.findIndex((v) => !Number.isFinite(v) || v < 0);
  if (bad >= 0) throw new Error(`${WHERE}: counts[${bad}] = ${c[bad]} is not a finite count >= 0`);
  if (o.imagePixels != null && o.imagePixels.length !== c.length) {
    throw new Error(
      `${WHERE}: imagePixels has ${o.imagePixels.length} entries, counts has ${c.length}`,
    );
  }
  const total = c.reduce((a, b) => a + b, 0);
  if (total === 0) throw new Error(`${WHERE}: all counts are 0`);
  const seen = c.map((v) => v > 0);
  let w: number[];
  switch (o.scheme) {
    case 'log2-inverse':
      w = c.map((v) => Math.log2(total / v));
      break;
    case 'inverse':
      w = c.map((v) => total / v);
      break;
    case 'median-frequency': {
      const freq = c.map((v, i) => v / (o.imagePixels == null ? total : o.imagePixels[i]!));
      const med = median(freq.filter((_, i) => seen[i]));
      w = freq.map((f) => med / f);
      break;
    }
    case 'effective-number': {
      // 1 - β^n computed as -expm1(n·ln β): exact for the large n of pixel counts.
      const raw = c.map((v) => (1 - o.beta) / -Math.expm1(v * Math.log(o.beta)));
      const nSeen = seen.filter(Boolean).length;
      const sum = raw.reduce((a, v, i) => (seen[i] ? a + v : a), 0);
      w = raw.map((v) => (v * nSeen) / sum);
      break;
    }
    case 'enet':
      w = c.map((v) => 1 / Math.log(o.enetC + v / total));
      break;
  }
  const maxSeen = Math.max(...w.filter((_, i) => seen[i]));
  const zero = o.zeroCountWeight === 'max' ? maxSeen : o.zeroCountWeight;
  return w.map((v, i) => (seen[i] ? v : zero));
}

/**
 * Per-class pixel counts (classes 0..18, CelebAMask-HQ order) from the face-parsing project
 * report whose Table 2 lists {@link REPORT_CLASS_WEIGHTS} (as quoted in facepar issue 5). They
 * sum to exactly 5000 × 512 × 512 = 1 310 720 000 pixels: 5000 masks of 512×512, which fits the
 * NTU AI6126 course release of CelebAMask-HQ with 5000 training pairs.
 */
export const REPORT_PIXEL_COUNTS: readonly number[] = Object.freeze([
  375099645, 333172471, 27015905, 3467864, 2937773, 2928618, 5572580, 5433404, 6164110, 5049695,
  3896683, 5417555, 8898431, 411175974, 12651045, 3102372, 196952, 54031542, 44507381,
]);

/**
 * The report's Table 2 class weights (classes 0..18, CelebAMask-HQ order): `log2(total /
 * count_c)` of {@link REPORT_PIXEL_COUNTS}, rounded to 4 decimals with trailing zeros
 * dropped, exactly as printed. `classWeightsFromCounts(REPORT_PIXEL_COUNTS)` reproduces
 * them unrounded.
 */
export const REPORT_CLASS_WEIGHTS: readonly number[] = Object.freeze([
  1.805, 1.976, 5.6004, 8.5621, 8.8014, 8.8059, 7.8778, 7.9143, 7.7323, 8.0199, 8.3939, 7.9185,
  7.2026, 1.6725, 6.695, 8.7228, 12.7002, 4.6004, 4.8802,
]);

/**
 * Per-class pixel counts from parsed JSON: a plain array, or an object with `pixelCounts` (a
 * saved `computeMaskStats` result) or `counts`. Errors name `source`.
 */
export function parseClassCounts(options: { json: unknown; source: string }): number[] {
  const { json, source } = options;
  const doc = json !== null && typeof json === 'object' && !Array.isArray(json);
  const fields = json as { pixelCounts?: unknown; counts?: unknown };
  const body = doc ? (fields.pixelCounts ?? fields.counts) : json;
  if (!Array.isArray(body) || body.length === 0 || !body.every((v) => typeof v === 'number')) {
    throw new Error(
      `${source} must hold a non-empty array of numbers, or an object with "pixelCounts" or "counts"`,
    );
  }
  return body as number[];
}

/**
 * Class weights as a markdown table (class, name, pixels, weight) and a line to paste into a
 * config (`classWeights: [...]`, 4 decimals).
 */
export function formatClassWeights(options: {
  counts: readonly number[];
  weights: readonly number[];
  classNames?: readonly string[];
}): string[] {
  const { counts, weights, classNames } = options;
  const rows = counts.map(
    (c, i) => `| ${i} | ${classNames?.[i] ?? `class_${i}`} | ${c} | ${weights[i]!.toFixed(4)} |`,
  );
  const paste = `classWeights: [${weights.map((w) => Number(w.toFixed(4))).join(', ')}]`;
  return ['| class | name | pixels | weight |', '|---|---|---|---|', ...rows, paste];
}
