// mmseg `Normalize` / `data_preprocessor` on RGB bytes: (x - mean) / std per channel, by table.

export interface NormalizeOptions {
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

/** ImageNet RGB mean and std on the 0..255 scale (torchvision; mmseg's `data_preprocessor`). */
export const IMAGENET_MEAN: readonly [number, number, number] = [123.675, 116.28, 103.53];
export const IMAGENET_STD: readonly [number, number, number] = [58.395, 57.12, 57.375];

export const DEFAULT_NORMALIZE_OPTIONS = { mean: IMAGENET_MEAN, std: IMAGENET_STD } as const;

/** Per-channel tables byte -> (byte - mean) / std, after an optional per-value table `before`. */
export function normalizationLuts(
  mean: readonly number[],
  std: readonly number[],
  before?: Uint8Array,
): [Float32Array, Float32Array, Float32Array] {
  const luts = [0, 1, 2].map((c) => {
    const l = new Float32Array(256);
    for (let v = 0; v < 256; v++) l[v] = ((before ? before[v]! : v) - mean[c]!) / std[c]!;
    return l;
  });
  return luts as [Float32Array, Float32Array, Float32Array];
}

/** `(x - mean) / std` per RGB channel into float32 (optionally into `out` at `offset`). */
export function normalizeImage(
  options: { image: Uint8Array; out?: Float32Array; offset?: number } & NormalizeOptions,
): Float32Array {
  const mean = options.mean ?? DEFAULT_NORMALIZE_OPTIONS.mean;
  const std = options.std ?? DEFAULT_NORMALIZE_OPTIONS.std;
  if (mean.length !== 3 || std.length !== 3 || std.some((s) => !(s > 0))) {
    throw new Error(
      `normalizeImage: mean [${mean.join(', ')}] and std [${std.join(', ')}] must be 3 values, std > 0`,
    );
  }
  const { image } = options;
  const out = options.out ?? new Float32Array(image.length);
  const off = options.offset ?? 0;
  if (off + image.length > out.length) {
    throw new Error(`normalizeImage: out has ${out.length} values, needs ${off + image.length}`);
  }
  const [l0, l1, l2] = normalizationLuts(mean, std);
  for (let i = 0; i < image.length; i += 3) {
    out[off + i] = l0[image[i]!]!;
    out[off + i + 1] = l1[image[i + 1]!]!;
    out[off + i + 2] = l2[image[i + 2]!]!;
  }
  return out;
}
