import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { resizeBilinear } from '../ops/resize-bilinear.js';
import { type Kwargs, type LayerArgs, nhwcShape } from './common.js';

export interface ResizeBilinearArgs extends LayerArgs {
  /** Fixed output `[h, w]`; omit it to resize to the spatial size of a second input. */
  size?: [number, number];
  /** PyTorch `align_corners` (default false = half-pixel centres). */
  alignCorners?: boolean;
}

export const DEFAULT_RESIZE_BILINEAR_ARGS = { alignCorners: false } as const;

export interface ResolvedResizeBilinearArgs {
  size: [number, number] | null;
  alignCorners: boolean;
}

export function resolveResizeBilinearArgs(args: ResizeBilinearArgs): ResolvedResizeBilinearArgs {
  const layer = `ResizeBilinear ${args.name ?? ''}`.trim();
  const size = args.size ?? null;
  if (
    size != null &&
    !(Array.isArray(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v >= 1))
  ) {
    throw new Error(
      `${layer}: size must be [h, w] with integers >= 1, got ${JSON.stringify(size)}`,
    );
  }
  const alignCorners = args.alignCorners ?? DEFAULT_RESIZE_BILINEAR_ARGS.alignCorners;
  if (typeof alignCorners !== 'boolean') {
    throw new Error(`${layer}: alignCorners must be true or false, got ${String(alignCorners)}`);
  }
  return { size: size == null ? null : [size[0], size[1]], alignCorners };
}

/**
 * Bilinear resize with PyTorch `F.interpolate(mode='bilinear')` semantics. `apply(x)` resizes
 * to the fixed `size`; `apply([x, ref])` resizes `x` to `ref`'s H, W (any input size).
 */
export class ResizeBilinear extends tfl.layers.Layer {
  static className = 'ResizeBilinear';
  readonly size: [number, number] | null;
  readonly alignCorners: boolean;

  constructor(args: ResizeBilinearArgs = {}) {
    super(args);
    const r = resolveResizeBilinearArgs(args);
    this.size = r.size;
    this.alignCorners = r.alignCorners;
  }

  private targetSize(refHw: [number | null, number | null] | null): [number | null, number | null] {
    if (refHw != null) return refHw;
    if (this.size == null) {
      throw new Error(
        `layer ${this.name}: no size given; pass [x, ref] to resize x to ref's spatial size`,
      );
    }
    return this.size;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const list = Array.isArray(inputShape[0]) ? (inputShape as tfl.Shape[]) : null;
    const x = nhwcShape(list ? list[0]! : (inputShape as tfl.Shape), this.name);
    const ref = list && list.length > 1 ? list[1]! : null;
    const [h, w] = this.targetSize(ref ? [ref[1] ?? null, ref[2] ?? null] : null);
    return [x[0] ?? null, h, w, x[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length < 1 || list.length > 2) {
        throw new Error(`layer ${this.name} expects x or [x, ref], got ${list.length} inputs`);
      }
      const x = list[0] as tf.Tensor4D;
      const ref = list[1];
      const size = this.targetSize(ref ? [ref.shape[1]!, ref.shape[2]!] : null) as [number, number];
      if (x.shape[1] === size[0] && x.shape[2] === size[1]) return tf.clone(x);
      return resizeBilinear({ x, size, alignCorners: this.alignCorners });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, alignCorners: this.alignCorners };
  }
}
