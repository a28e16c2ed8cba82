import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { CELEBAMASK_FLIP_PAIRS } from '@facepar/metrics';
import { DatasetError } from './dataset-error.js';
import {
  type DatasetEntry,
  type ReadSampleOptions,
  readLabels,
  readSample,
} from './read-sample.js';
import { openImage } from './image-io.js';
import { maskImageSizeError } from './mask-png.js';
import type { Rng } from './rng.js';
import { DEFAULT_NORMALIZE_OPTIONS, normalizeImage, resizeCropBilinear } from '@facepar/image';
import { DEFAULT_RANDOM_CROP_OPTIONS, randomCropBox } from './crop.js';
import { normalizePadInto } from './normalize.js';
import {
  applyPhotoMetric,
  DEFAULT_PHOTO_METRIC_DISTORTION_OPTIONS,
  drawPhotoMetric,
  type PhotoMetricDistortionOptions,
  type PhotoMetricDraw,
  resolvePhotoMetricDistortionOptions,
} from './photo-metric.js';
import {
  cropLazyLabels,
  DEFAULT_RANDOM_RESIZE_OPTIONS,
  lazyResizeLabels,
  randomResizeSize,
  resizeSample,
} from './resize.js';
import type { SegSample, TrainSample } from './sample.js';

/** The mmseg face-parsing training pipeline, as plain (serialisable) options. */
export interface TrainPipelineOptions {
  /** RandomResize scale (long, short) and ratio range; null skips the resize. */
  resize?: { scale: readonly [number, number]; ratioRange: readonly [number, number] } | null;
  cropSize?: number | readonly [number, number];
  catMaxRatio?: number;
  /** Flip probability (0 = never). */
  flipProb?: number;
  /** L/R label pairs swapped on flip; `[]` = mmseg's plain flip. */
  flipPairs?: readonly (readonly [number, number])[];
  /** null = no photometric distortion. */
  photoMetric?: PhotoMetricDistortionOptions | null;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  ignoreIndex?: number;
}

export const DEFAULT_TRAIN_PIPELINE_OPTIONS = {
  resize: {
    scale: DEFAULT_RANDOM_RESIZE_OPTIONS.scale,
    ratioRange: DEFAULT_RANDOM_RESIZE_OPTIONS.ratioRange,
  },
  cropSize: DEFAULT_RANDOM_CROP_OPTIONS.cropSize as number | readonly [number, number],
  catMaxRatio: DEFAULT_RANDOM_CROP_OPTIONS.catMaxRatio,
  flipProb: 0.5,
  flipPairs: CELEBAMASK_FLIP_PAIRS,
  photoMetric: DEFAULT_PHOTO_METRIC_DISTORTION_OPTIONS as PhotoMetricDistortionOptions | null,
  mean: DEFAULT_NORMALIZE_OPTIONS.mean,
  std: DEFAULT_NORMALIZE_OPTIONS.std,
  ignoreIndex: DEFAULT_RANDOM_CROP_OPTIONS.ignoreIndex,
} as const;

export type ResolvedTrainPipelineOptions = {
  resize: { scale: readonly [number, number]; ratioRange: readonly [number, number] } | null;
  cropSize: [number, number];
  catMaxRatio: number;
  flipProb: number;
  flipPairs: readonly (readonly [number, number])[];
  photoMetric: Required<PhotoMetricDistortionOptions> | null;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  ignoreIndex: number;
};

export function resolveTrainPipelineOptions(
  options: TrainPipelineOptions = {},
): ResolvedTrainPipelineOptions {
  const d = DEFAULT_TRAIN_PIPELINE_OPTIONS;
  const cs = options.cropSize ?? d.cropSize;
  const cropSize: [number, number] = typeof cs === 'number' ? [cs, cs] : [cs[0], cs[1]];
  if (!cropSize.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(
      `trainPipeline: cropSize ${JSON.stringify(cs)} must be a positive integer or [h, w]`,
    );
  }
  const flipProb = options.flipProb ?? d.flipProb;
  if (!(flipProb >= 0 && flipProb <= 1))
    throw new Error(`trainPipeline: flipProb ${flipProb} must be in [0, 1]`);
  const photo = options.photoMetric === undefined ? d.photoMetric : options.photoMetric;
  return {
    resize: options.resize === undefined ? d.resize : options.resize,
    cropSize,
    catMaxRatio: options.catMaxRatio ?? d.catMaxRatio,
    flipProb,
    flipPairs: options.flipPairs ?? d.flipPairs,
    photoMetric: photo === null ? null : resolvePhotoMetricDistortionOptions(photo),
    mean: options.mean ?? d.mean,
    std: options.std ?? d.std,
    ignoreIndex: options.ignoreIndex ?? d.ignoreIndex,
  };
}

/** The random geometry of one sample, drawn in a fixed order from the RNG. */
interface Geometry {
  /** Size after the random resize. */
  width: number;
  height: number;
  /** Labels of the crop (already flipped when `flip`). */
  cropLabels: Uint8Array;
  box: { x: number; y: number; width: number; height: number };
  flip: boolean;
}

function drawGeometry(
  labels: { labels: Uint8Array; width: number; height: number },
  o: ResolvedTrainPipelineOptions,
  rng: Rng,
): Geometry {
  let { width, height } = labels;
  if (o.resize !== null)
    ({ width, height } = randomResizeSize({ width, height, rng, ...o.resize }));
  const lazy = lazyResizeLabels({
    labels: labels.labels,
    width: labels.width,
    height: labels.height,
    outWidth: width,
    outHeight: height,
  });
  const box = randomCropBox({
    labels: lazy,
    width,
    height,
    rng,
    cropSize: o.cropSize,
    catMaxRatio: o.catMaxRatio,
    ignoreIndex: o.ignoreIndex,
  });
  const flip = o.flipProb > 0 && rng.random() < o.flipProb;
  const cropLabels = cropLazyLabels({ labels: lazy, box, flip, pairs: o.flipPairs });
  return { width, height, cropLabels, box, flip };
}

/** A crop before its photometric distortion, and the distortion drawn for it (null: off). */
export interface UndistortedCrop {
  sample: SegSample;
  photoMetric: PhotoMetricDraw | null;
}

/** The geometry's crop of an image: bilinear resize to the drawn size, crop, mirror. */
function cropImage(
  source: { image: Uint8Array; width: number; height: number },
  g: Geometry,
): Uint8Array {
  return resizeCropBilinear({
    ...source,
    outWidth: g.width,
    outHeight: g.height,
    box: g.box,
    flip: g.flip,
  });
}

/**
 * The cropped image with the geometry's labels, and the photometric distortion drawn for it
 * (after the geometry, in the RNG's fixed order).
 */
function withPhotoMetric(
  image: Uint8Array,
  g: Geometry,
  o: ResolvedTrainPipelineOptions,
  rng: Rng,
): UndistortedCrop {
  const sample = { image, labels: g.cropLabels, width: g.box.width, height: g.box.height };
  const photoMetric = o.photoMetric === null ? null : drawPhotoMetric({ rng, ...o.photoMetric });
  return { sample, photoMetric };
}

/** Applies the drawn distortion to the crop's bytes. */
function distort(c: UndistortedCrop): SegSample {
  if (c.photoMetric) applyPhotoMetric({ image: c.sample.image, draw: c.photoMetric });
  return c.sample;
}

/**
 * Writes a crop into sample position `at` of [B, H, W, 3] / [B, H, W] arrays: its drawn
 * photometric distortion applied, normalised and padded to the crop size, in one pass. What
 * every path to a training sample ends with (loader workers, the loader's main thread, and the
 * functions below).
 */
export function writeTrainSample(options: {
  crop: UndistortedCrop;
  pipe: ResolvedTrainPipelineOptions;
  images: Float32Array;
  labels: Uint8Array | Int32Array;
  at: number;
}): void {
  const { crop, pipe, at } = options;
  const [H, W] = pipe.cropSize;
  normalizePadInto({
    image: crop.sample.image,
    labels: crop.sample.labels,
    width: crop.sample.width,
    height: crop.sample.height,
    photoMetric: crop.photoMetric,
    outImage: options.images,
    outLabels: options.labels,
    outWidth: W,
    outHeight: H,
    imageOffset: at * H * W * 3,
    labelOffset: at * H * W,
    mean: pipe.mean,
    std: pipe.std,
    padValue: 0,
    segPadValue: pipe.ignoreIndex,
  });
}

/** One sample's arrays at the crop size, filled by `writeTrainSample`. */
function trainSample(crop: UndistortedCrop, pipe: ResolvedTrainPipelineOptions): TrainSample {
  const [H, W] = pipe.cropSize;
  const image = new Float32Array(W * H * 3);
  const labels = new Uint8Array(W * H);
  writeTrainSample({ crop, pipe, images: image, labels, at: 0 });
  return { image, labels, width: W, height: H };
}

/** Normalises and pads an augmented crop to the crop size (what batches hold). */
export function normalizeTrainCrop(
  options: { sample: SegSample } & Pick<
    TrainPipelineOptions,
    'cropSize' | 'mean' | 'std' | 'ignoreIndex'
  >,
): TrainSample {
  const crop = { sample: options.sample, photoMetric: null };
  return trainSample(crop, resolveTrainPipelineOptions(options));
}

/**
 * The augmentation steps on a decoded sample, in mmseg order: RandomResize → RandomCrop
 * (catMaxRatio) → RandomFlip (swapping L/R labels) → PhotoMetricDistortion. Returns the crop as
 * bytes (not yet normalised or padded).
 */
export function trainCrop(
  options: { sample: SegSample; rng: Rng } & TrainPipelineOptions,
): SegSample {
  return distort(trainCropUndistorted(options));
}

/** `trainCrop` up to, not including, its photometric distortion (drawn, not applied). */
function trainCropUndistorted(
  options: { sample: SegSample; rng: Rng } & TrainPipelineOptions,
): UndistortedCrop {
  const o = resolveTrainPipelineOptions(options);
  const { sample, rng } = options;
  const g = drawGeometry(sample, o, rng);
  return withPhotoMetric(cropImage(sample, g), g, o, rng);
}

/** The whole training pipeline on a decoded sample: `trainCrop`, then normalise and pad. */
export function trainTransform(
  options: { sample: SegSample; rng: Rng } & TrainPipelineOptions,
): TrainSample {
  return trainSample(trainCropUndistorted(options), resolveTrainPipelineOptions(options));
}

/**
 * `trainCrop` straight from files: labels are decoded first to choose the crop, then sharp
 * decodes, resizes, crops and mirrors only the needed part of the JPEG. Same RNG draws and
 * geometry as `trainCrop`; image pixels differ only by the resize kernel.
 */
export async function loadTrainCrop(
  options: Parameters<typeof loadTrainCropUndistorted>[0],
): Promise<SegSample> {
  return distort(await loadTrainCropUndistorted(options));
}

/**
 * `loadTrainCrop` up to, not including, its photometric distortion: the loader applies the
 * drawn distortion while normalising (`normalizePadInto({ photoMetric })`), in one pass.
 */
export async function loadTrainCropUndistorted(
  options: {
    entry: DatasetEntry;
    rng: Rng;
    read: ReadSampleOptions;
    /**
     * Read files with blocking calls: cheaper (measured 0.06 vs 0.25 ms CPU per file) where
     * nothing else waits on the thread, as in the loader's workers.
     */
    syncIo?: boolean;
  } & TrainPipelineOptions,
): Promise<UndistortedCrop> {
  const o = resolveTrainPipelineOptions(options);
  const { entry, rng, read } = options;
  if (read.resize === 'mask-to-image') {
    // sizes come from the image: use the generic path
    const s = await readSample({ entry, ...read });
    if (s.labels === null)
      throw new DatasetError({ file: entry.image, problem: 'training needs a mask' });
    return trainCropUndistorted({ ...options, sample: { ...s, labels: s.labels } });
  }
  const lab = await readLabels({
    entry,
    syncIo: options.syncIo,
    numClasses: read.numClasses,
    ignoreIndex: read.ignoreIndex,
    maxMaskPixels: read.maxMaskPixels,
  });
  if (lab === null) throw new DatasetError({ file: entry.image, problem: 'training needs a mask' });
  const g = drawGeometry(lab, o, rng);
  let bytes: Uint8Array;
  try {
    bytes = options.syncIo ? fs.readFileSync(entry.image) : await fsp.readFile(entry.image);
  } catch (err) {
    throw new DatasetError({
      file: entry.image,
      problem: `cannot read image: ${(err as Error).message}`,
    });
  }
  let image: Uint8Array;
  try {
    // the size from the header, checked (limit, the mask's size) before anything is decoded
    const { image: opened, header } = await openImage({
      bytes,
      source: entry.image,
      maxPixels: read.maxImagePixels,
      sequentialRead: true,
    });
    const decoder = () => opened.removeAlpha().toColourspace('srgb');
    const sizeError = (imageSize: { width: number; height: number }) =>
      maskImageSizeError({
        mask: entry.mask ?? entry.image,
        image: entry.image,
        maskSize: lab,
        imageSize,
      });
    const sameSize = header.width === lab.width && header.height === lab.height;
    if (!sameSize && read.resize === 'none') throw sizeError(header);
    if (sameSize) {
      // decode, then resize, crop and mirror the crop in JS: cv2's INTER_LINEAR arithmetic,
      // the same bytes as `trainCrop` on the decoded image (and cheaper than libvips' enlarge)
      const { data, info } = await decoder().raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
      if (info.width !== lab.width || info.height !== lab.height) throw sizeError(info);
      const decoded = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      image = cropImage({ image: decoded, width: info.width, height: info.height }, g);
    } else {
      // image-to-mask with another image size (the official 1024² images): libvips resizes
      // straight from the image (antialiased when shrinking); it mirrors before it extracts,
      // so a flipped crop is taken at the mirrored position
      let s = decoder()
        .resize(g.width, g.height, { kernel: 'linear', fit: 'fill' })
        .extract({
          left: g.flip ? g.width - g.box.x - g.box.width : g.box.x,
          top: g.box.y,
          width: g.box.width,
          height: g.box.height,
        });
      if (g.flip) s = s.flop();
      const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
      image = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError({
      file: entry.image,
      problem: `cannot decode image: ${(err as Error).message}`,
    });
  }
  return withPhotoMetric(image, g, o, rng);
}

/** `loadTrainCrop`, then normalise and pad: one training sample from files. */
export async function loadTrainSample(
  options: { entry: DatasetEntry; rng: Rng; read: ReadSampleOptions } & TrainPipelineOptions,
): Promise<TrainSample> {
  return trainSample(await loadTrainCropUndistorted(options), resolveTrainPipelineOptions(options));
}

/** Evaluation: optional resize to a fixed size (bilinear image, nearest labels), normalise. */
export function evalTransform(options: {
  sample: SegSample;
  size?: { width: number; height: number } | null;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}): TrainSample {
  let s = options.sample;
  if (options.size)
    s = resizeSample({ sample: s, width: options.size.width, height: options.size.height });
  const image = normalizeImage({ image: s.image, mean: options.mean, std: options.std });
  return { image, labels: s.labels, width: s.width, height: s.height };
}
