import {
  accumulateBytePairs,
  accumulateGeneric,
  findOutOfRange,
  foldBytePairs,
  JOINT_FLUSH_LIMIT,
  type LabelArray,
} from './functional.js';

export interface ConfusionMatrixOptions {
  /** Number of classes C; labels are 0..C-1. */
  numClasses: number;
  /** Ground-truth value whose pixels are skipped (mmseg `ignore_index`); null ignores nothing. */
  ignoreIndex?: number | null;
  /**
   * false (default): labels outside [0, C) are dropped from the areas like mmseg's `histc`
   * and counted in `outOfRange`; true: `update` throws naming the first such value.
   */
  strict?: boolean;
}

export type ResolvedConfusionMatrixOptions = Required<ConfusionMatrixOptions>;

export const DEFAULT_CONFUSION_MATRIX_OPTIONS = {
  ignoreIndex: 255,
  strict: false,
} as const;

/** Copies, fills and validates; throws naming the bad value and what is allowed. */
export function resolveConfusionMatrixOptions(
  options: ConfusionMatrixOptions,
): ResolvedConfusionMatrixOptions {
  const { numClasses } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 65535) {
    throw new RangeError(`numClasses must be an integer in 1..65535, got ${String(numClasses)}`);
  }
  const ignoreIndex =
    options.ignoreIndex === undefined
      ? DEFAULT_CONFUSION_MATRIX_OPTIONS.ignoreIndex
      : options.ignoreIndex;
  if (ignoreIndex !== null && !Number.isInteger(ignoreIndex)) {
    throw new RangeError(`ignoreIndex must be an integer or null, got ${String(ignoreIndex)}`);
  }
  const strict = options.strict ?? DEFAULT_CONFUSION_MATRIX_OPTIONS.strict;
  if (typeof strict !== 'boolean') {
    throw new TypeError(`strict must be true or false, got ${String(strict)}`);
  }
  return { numClasses, ignoreIndex, strict };
}

/** Per-class areas in mmseg's vocabulary (`intersect_and_union`), summed over all updates. */
export interface ClassAreas {
  intersect: Float64Array;
  union: Float64Array;
  predArea: Float64Array;
  labelArea: Float64Array;
}

/** Pixels that were dropped, by reason. */
export interface DroppedCounts {
  /** Ground truth equal to `ignoreIndex`. */
  ignored: number;
  /** Ground truth in range, prediction out of range (the pixel still counts in the GT area). */
  predOutOfRange: number;
  /** Prediction in range, ground truth out of range (the pixel still counts in the pred area). */
  gtOutOfRange: number;
  /** Both out of range: counted nowhere. */
  bothOutOfRange: number;
}

/** The JSON form written by `toJSON()` and read by `fromJSON()`; all counts are exact integers. */
export interface ConfusionMatrixConfig {
  format: 'facepar-confusion-matrix';
  version: 1;
  numClasses: number;
  ignoreIndex: number | null;
  /** C rows (ground truth) of C columns (prediction). */
  matrix: number[][];
  /** Index c: pixels with ground truth c and an out-of-range prediction. */
  predOutOfRange: number[];
  /** Index c: pixels with prediction c and an out-of-range ground truth. */
  gtOutOfRange: number[];
  bothOutOfRange: number;
  ignored: number;
}

export interface UpdateOptions {
  pred: LabelArray;
  gt: LabelArray;
}

/** Minimal structural view of a tfjs tensor, so that this file never imports tfjs. */
export interface TensorLike {
  readonly shape: number[];
  readonly dtype: string;
}

export interface TensorUpdateOptions {
  /** Integer labels with gt's shape, or logits/probabilities with one extra last axis (NHWC). */
  pred: TensorLike;
  /** Integer labels (any rank). */
  gt: TensorLike;
}

/**
 * Streaming confusion matrix over label maps. Counts are exact up to 2^53 pixels per cell.
 * Rows are ground truth, columns prediction.
 */
export class ConfusionMatrix {
  readonly numClasses: number;
  readonly ignoreIndex: number | null;
  readonly strict: boolean;
  /** (C+1)×(C+1), index C = out of range. */
  private readonly counts: Float64Array;
  private ignoredCount = 0;
  /** Byte-pair histogram of the Uint8 path, folded lazily (allocated on first use). */
  private joint: Uint32Array | null = null;
  private pending = 0;

  constructor(options: ConfusionMatrixOptions) {
    const o = resolveConfusionMatrixOptions(options);
    this.numClasses = o.numClasses;
    this.ignoreIndex = o.ignoreIndex;
    this.strict = o.strict;
    this.counts = new Float64Array((o.numClasses + 1) * (o.numClasses + 1));
  }

  /** Adds one label map pair (any equal-length typed arrays). Returns this. */
  update({ pred, gt }: UpdateOptions): this {
    if (!isLabelArray(pred) || !isLabelArray(gt)) {
      throw new TypeError(
        `pred and gt must be Uint8Array, Uint16Array or Int32Array, got ${typeName(pred)} and ${typeName(gt)}`,
      );
    }
    if (pred.length !== gt.length) {
      throw new RangeError(
        `pred and gt differ in length: pred has ${pred.length} pixels, gt has ${gt.length}`,
      );
    }
    if (this.strict) {
      const bad = findOutOfRange(pred, gt, this.numClasses, this.ignoreIndex);
      if (bad !== null) {
        throw new RangeError(
          `${bad.which} label ${bad.value} at pixel ${bad.index} is outside 0..${this.numClasses - 1}` +
            ` (ignoreIndex ${String(this.ignoreIndex)}); strict mode rejects out-of-range labels`,
        );
      }
    }
    if (pred instanceof Uint8Array && gt instanceof Uint8Array) {
      this.joint ??= new Uint32Array(65536);
      for (let start = 0; start < gt.length; start += JOINT_FLUSH_LIMIT) {
        const end = Math.min(gt.length, start + JOINT_FLUSH_LIMIT);
        if (this.pending + (end - start) > JOINT_FLUSH_LIMIT) this.flush();
        const whole = start === 0 && end === gt.length;
        accumulateBytePairs(
          whole ? pred : pred.subarray(start, end),
          whole ? gt : gt.subarray(start, end),
          this.joint,
        );
        this.pending += end - start;
      }
    } else {
      this.ignoredCount += accumulateGeneric(
        pred,
        gt,
        this.counts,
        this.numClasses,
        this.ignoreIndex,
      );
    }
    return this;
  }

  /**
   * Adds tfjs tensors (needs `@tensorflow/tfjs-core`, loaded only here). `pred` may be integer
   * labels or scores with one extra last axis, reduced by argmax. The inputs stay owned by
   * the caller; every intermediate tensor is disposed.
   */
  async updateFromTensors({ pred, gt }: TensorUpdateOptions): Promise<this> {
    let tf: typeof import('@tensorflow/tfjs-core');
    try {
      tf = await import('@tensorflow/tfjs-core');
    } catch (err) {
      throw new Error(
        `updateFromTensors needs @tensorflow/tfjs-core, an optional peer dependency of @facepar/metrics: ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
    const p = pred as unknown as import('@tensorflow/tfjs-core').Tensor;
    const g = gt as unknown as import('@tensorflow/tfjs-core').Tensor;
    // Labels of the same shape; logits with one more (class) axis; or labels that differ only
    // by a trailing axis of size 1 ([N,H,W,1] against [N,H,W]), which does not change the order.
    const logits =
      p.rank === g.rank + 1 &&
      p.shape[p.rank - 1] !== 1 &&
      sameShape(p.shape.slice(0, -1), g.shape);
    if (!logits && !sameShape(squeezeLast(p.shape), squeezeLast(g.shape))) {
      throw new RangeError(
        `pred shape [${p.shape.join(',')}] must equal gt shape [${g.shape.join(',')}] or add one class axis`,
      );
    }
    if (g.dtype !== 'int32' && g.dtype !== 'float32') {
      throw new TypeError(`gt must be an int32 or float32 tensor of labels, got ${g.dtype}`);
    }
    const [labels, truth] = tf.tidy((): import('@tensorflow/tfjs-core').Tensor[] => [
      logits ? tf.argMax(p, -1) : tf.cast(p, 'int32'),
      tf.cast(g, 'int32'),
    ]);
    try {
      const [pd, gd] = await Promise.all([labels.data(), truth.data()]);
      return this.update({ pred: pd as Int32Array, gt: gd as Int32Array });
    } finally {
      tf.dispose([labels, truth]);
    }
  }

  /** Adds another matrix with the same numClasses and ignoreIndex (sharded evaluation). */
  merge(other: ConfusionMatrix): this {
    if (other.numClasses !== this.numClasses || other.ignoreIndex !== this.ignoreIndex) {
      throw new RangeError(
        `cannot merge a matrix with numClasses ${other.numClasses}, ignoreIndex ${String(other.ignoreIndex)}` +
          ` into one with numClasses ${this.numClasses}, ignoreIndex ${String(this.ignoreIndex)}`,
      );
    }
    this.flush();
    other.flush();
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.ignoredCount += other.ignoredCount;
    return this;
  }

  /** Zeroes every count. */
  reset(): this {
    this.counts.fill(0);
    this.joint?.fill(0);
    this.pending = 0;
    this.ignoredCount = 0;
    return this;
  }

  clone(): ConfusionMatrix {
    const c = new ConfusionMatrix({
      numClasses: this.numClasses,
      ignoreIndex: this.ignoreIndex,
      strict: this.strict,
    });
    return c.merge(this);
  }

  /** Pixels with ground truth `gt` and prediction `pred` (both in 0..C-1). */
  get(gt: number, pred: number): number {
    this.flush();
    return this.counts[gt * (this.numClasses + 1) + pred];
  }

  /** C×C row-major copy (rows ground truth, columns prediction). */
  toMatrix(): Float64Array {
    this.flush();
    const c = this.numClasses;
    const out = new Float64Array(c * c);
    for (let g = 0; g < c; g++) out.set(this.counts.subarray(g * (c + 1), g * (c + 1) + c), g * c);
    return out;
  }

  /** mmseg's four areas per class. */
  areas(): ClassAreas {
    this.flush();
    const c = this.numClasses;
    const k = c + 1;
    const intersect = new Float64Array(c);
    const predArea = new Float64Array(c);
    const labelArea = new Float64Array(c);
    for (let g = 0; g <= c; g++) {
      for (let p = 0; p <= c; p++) {
        const v = this.counts[g * k + p];
        if (v === 0) continue;
        if (g < c) labelArea[g] += v;
        if (p < c) predArea[p] += v;
        if (g === p && g < c) intersect[g] += v;
      }
    }
    const union = new Float64Array(c);
    for (let i = 0; i < c; i++) union[i] = predArea[i] + labelArea[i] - intersect[i];
    return { intersect, union, predArea, labelArea };
  }

  /** Dropped pixels by reason (see {@link DroppedCounts}). */
  dropped(): DroppedCounts {
    this.flush();
    const c = this.numClasses;
    const k = c + 1;
    let predOutOfRange = 0;
    let gtOutOfRange = 0;
    for (let i = 0; i < c; i++) {
      predOutOfRange += this.counts[i * k + c];
      gtOutOfRange += this.counts[c * k + i];
    }
    return {
      ignored: this.ignoredCount,
      predOutOfRange,
      gtOutOfRange,
      bothOutOfRange: this.counts[c * k + c],
    };
  }

  /** Every pixel seen, ignored and out-of-range ones included. */
  get totalPixels(): number {
    this.flush();
    let s = this.ignoredCount;
    for (let i = 0; i < this.counts.length; i++) s += this.counts[i];
    return s;
  }

  toJSON(): ConfusionMatrixConfig {
    this.flush();
    const c = this.numClasses;
    const k = c + 1;
    const matrix: number[][] = [];
    for (let g = 0; g < c; g++) matrix.push(Array.from(this.counts.subarray(g * k, g * k + c)));
    return {
      format: 'facepar-confusion-matrix',
      version: 1,
      numClasses: c,
      ignoreIndex: this.ignoreIndex,
      matrix,
      predOutOfRange: Array.from({ length: c }, (_, g) => this.counts[g * k + c]),
      gtOutOfRange: Array.from({ length: c }, (_, p) => this.counts[c * k + p]),
      bothOutOfRange: this.counts[c * k + c],
      ignored: this.ignoredCount,
    };
  }

  /** Rebuilds a matrix from `toJSON()` output, validating every field. */
  static fromJSON(json: unknown, options: { strict?: boolean } = {}): ConfusionMatrix {
    const j = json as Partial<ConfusionMatrixConfig> | null;
    if (
      j === null ||
      typeof j !== 'object' ||
      j.format !== 'facepar-confusion-matrix' ||
      j.version !== 1
    ) {
      throw new TypeError(
        `not a confusion matrix: expected format 'facepar-confusion-matrix' version 1, got ${JSON.stringify(
          j === null || typeof j !== 'object' ? j : { format: j.format, version: j.version },
        )}`,
      );
    }
    const cm = new ConfusionMatrix({
      numClasses: j.numClasses as number,
      ignoreIndex: j.ignoreIndex === undefined ? null : j.ignoreIndex,
      strict: options.strict ?? false,
    });
    const c = cm.numClasses;
    const k = c + 1;
    const count = (v: unknown, where: string): number => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new RangeError(
          `${where} must be a non-negative safe integer, got ${JSON.stringify(v)}`,
        );
      }
      return v;
    };
    if (!Array.isArray(j.matrix) || j.matrix.length !== c) {
      throw new RangeError(
        `matrix must have ${c} rows, got ${Array.isArray(j.matrix) ? j.matrix.length : typeof j.matrix}`,
      );
    }
    j.matrix.forEach((row, g) => {
      if (!Array.isArray(row) || row.length !== c) {
        throw new RangeError(
          `matrix row ${g} must have ${c} entries, got ${Array.isArray(row) ? row.length : typeof row}`,
        );
      }
      row.forEach((v, p) => {
        cm.counts[g * k + p] = count(v, `matrix[${g}][${p}]`);
      });
    });
    for (const key of ['predOutOfRange', 'gtOutOfRange'] as const) {
      const arr = j[key];
      if (!Array.isArray(arr) || arr.length !== c) {
        throw new RangeError(
          `${key} must have ${c} entries, got ${Array.isArray(arr) ? arr.length : typeof arr}`,
        );
      }
      arr.forEach((v, i) => {
        const idx = key === 'predOutOfRange' ? i * k + c : c * k + i;
        cm.counts[idx] = count(v, `${key}[${i}]`);
      });
    }
    cm.counts[c * k + c] = count(j.bothOutOfRange, 'bothOutOfRange');
    cm.ignoredCount = count(j.ignored, 'ignored');
    return cm;
  }

  private flush(): void {
    if (this.joint === null || this.pending === 0) return;
    this.ignoredCount += foldBytePairs(this.joint, this.counts, this.numClasses, this.ignoreIndex);
    this.pending = 0;
  }
}

/** Same as `new ConfusionMatrix(options)`. */
export function createConfusionMatrix(options: ConfusionMatrixOptions): ConfusionMatrix {
  return new ConfusionMatrix(options);
}

function isLabelArray(a: unknown): a is LabelArray {
  return a instanceof Uint8Array || a instanceof Uint16Array || a instanceof Int32Array;
}

function typeName(a: unknown): string {
  return a === null ? 'null' : typeof a === 'object' ? (a.constructor?.name ?? 'object') : typeof a;
}

function squeezeLast(shape: readonly number[]): readonly number[] {
  return shape.length > 1 && shape[shape.length - 1] === 1 ? shape.slice(0, -1) : shape;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
