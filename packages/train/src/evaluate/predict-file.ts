import { statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, encodeRgbPng } from '@facepar/celebamask-data';
import { readNpyFile, readWeightsFile, writeFileAtomic, writeNpyFile } from '@facepar/core';
import {
  arrayToNhwc,
  modelPredictor,
  nhwcToNchwDataAsync,
  openSegmentor,
  overlayLabels,
  predictLabels,
  predictSample,
  type Segmentor,
  type SegmentorSpec,
  type TestModeSpec,
  type TestPipelineOptions,
  wholeInference,
} from '@facepar/heads';
import { normalizeImage } from '@facepar/image';
import { CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { openRunCheckpoint } from '../checkpoint/model-state.js';
import { predictionStem } from './predict-inputs.js';

/**
 * Opens weights for inference: a run folder (its best checkpoint) or a checkpoint folder
 * (`openRunCheckpoint`), or a file, `.safetensors` or `.pth` by content: a facepar segmentor
 * checkpoint names its model; an mmseg state dict needs the registered `model`.
 */
export async function openSegmentorWeights(options: {
  path: string;
  model?: string;
  numClasses?: number;
}): Promise<Segmentor> {
  const { path, model, numClasses } = options;
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) {
    throw new Error(
      `weights ${path} do not exist (pass a run or checkpoint folder, a .safetensors or a .pth file)`,
    );
  }
  if (stat.isDirectory()) return openRunCheckpoint({ path }).segmentor;
  const file = await readWeightsFile(path);
  try {
    return openSegmentor(file, { model, numClasses, source: path });
  } catch (error) {
    const message = (error as Error).message;
    if (model === undefined && /needs the model name/.test(message)) {
      throw new Error(
        `${message}: pass --model NAME (the file is a plain ${file.kind} state dict)`,
      );
    }
    throw error;
  }
}

/** A spec's test pipeline with a mode chosen by hand (`slide` windows default to its crop). */
export function withTestMode(options: {
  spec: SegmentorSpec;
  mode?: 'whole' | 'slide';
  crop?: number;
  stride?: number;
}): TestModeSpec {
  const { spec, mode } = options;
  const base = spec.test;
  if (mode === undefined || (mode === 'whole' && base.mode === 'whole')) {
    if (options.crop !== undefined || options.stride !== undefined) {
      if (base.mode !== 'slide') throw new Error('crop and stride need the slide test mode');
    } else return base;
  }
  const scale = base.scale ? { scale: base.scale } : {};
  if (mode === 'whole') return { mode: 'whole', ...scale };
  const [h, w] = base.mode === 'slide' ? base.crop : spec.cropSize;
  const crop = options.crop ?? Math.max(h, w);
  const stride = options.stride ?? Math.max(1, Math.round((crop * 2) / 3));
  return { mode: 'slide', crop: [crop, crop], stride: [stride, stride], ...scale };
}

export interface PredictFileResult {
  width: number;
  height: number;
  /** The photo's RGB bytes (absent for a `.npy` input). */
  rgb?: Uint8Array;
  /** One class id per pixel (when `labels` was asked for). */
  labels?: Uint8Array;
  /** Whole-image decode-head logits at the input size, NCHW (when `logits` was asked for). */
  logits?: { data: Float32Array; shape: number[] };
}

/**
 * `facepar predict`'s work on one input file: a photo goes through heads' `predictSample`
 * (the pipeline `evaluate` uses, so both give the same masks); a `.npy` array (already
 * normalised, NCHW or NHWC) is the network input as it is. `logits` are the whole-image
 * decode logits of the input as given (no test resize), for parity checks against PyTorch.
 */
export async function predictFile(
  options: TestPipelineOptions & {
    segmentor: Segmentor;
    input: string;
    labels?: boolean;
    logits?: boolean;
  },
): Promise<PredictFileResult> {
  const { segmentor, input } = options;
  const { spec } = segmentor;
  let x: tf.Tensor4D;
  let photo: { image: Uint8Array; width: number; height: number } | undefined;
  if (input.toLowerCase().endsWith('.npy')) {
    const arr = await readNpyFile(input);
    if (arr.dtype !== '<f4' && arr.dtype !== '<f8') {
      throw new Error(`${input}: the array must be float32 (or float64), got ${arr.dtype}`);
    }
    x = arrayToNhwc({ data: Float32Array.from(arr.data as Float32Array), shape: arr.shape });
  } else {
    const d = await decodeImage({ bytes: input });
    photo = { image: d.data, width: d.width, height: d.height };
    const normalised = normalizeImage({ image: d.data, mean: spec.mean, std: spec.std });
    x = tf.tensor4d(normalised, [1, d.height, d.width, 3]);
  }
  const [n, height, width] = x.shape;
  const predict = modelPredictor(segmentor.model);
  try {
    const result: PredictFileResult = { width, height, rgb: photo?.image };
    if (options.logits) {
      const logits = wholeInference({ predict, images: x });
      try {
        result.logits = await nhwcToNchwDataAsync(logits);
      } finally {
        logits.dispose();
      }
    }
    if (!options.labels) return result;
    if (n !== 1) throw new Error(`${input}: a mask needs a single image, got a batch of ${n}`);
    const tta = {
      test: options.test ?? spec.test,
      flip: options.flip,
      flipPairs: options.flipPairs,
    };
    if (photo) result.labels = await predictSample({ segmentor, image: photo, ...tta });
    else {
      const labels = predictLabels({ predict, images: x, ...tta });
      result.labels = Uint8Array.from(await labels.data());
      labels.dispose();
    }
    return result;
  } finally {
    x.dispose();
  }
}

/**
 * `predict` over many inputs into one folder: per input `<stem>.png` (the labels as a palette
 * PNG), with `overlay` also `<stem>_overlay.png` (the palette blended over the photo), with
 * `logits` also `<stem>_logits.npy` (whole-image NCHW float32). Each file is written
 * atomically; `onFile` hears of each input once written. Returns one line per input.
 */
export async function predictFiles(
  options: Omit<Parameters<typeof predictFile>[0], 'labels' | 'logits' | 'input'> & {
    inputs: readonly string[];
    outDir: string;
    overlay?: boolean;
    logits?: boolean;
    onFile?: (info: { input: string; line: string; index: number }) => void;
  },
): Promise<string[]> {
  const { inputs, outDir } = options;
  const lines: string[] = [];
  for (const [index, input] of inputs.entries()) {
    const stem = predictionStem(input);
    const r = await predictFile({ ...options, input, labels: true, logits: options.logits });
    const { width: w, height: h } = r;
    const written: string[] = [];
    const write = async (name: string, data: Uint8Array) => {
      await writeFileAtomic({ path: join(outDir, name), data });
      written.push(name);
    };
    const palette = CELEBAMASK_PALETTE;
    await write(`${stem}.png`, encodeLabelPng({ labels: r.labels!, width: w, height: h, palette }));
    if (options.overlay && r.rgb) {
      const rgb = overlayLabels({ rgb: r.rgb, labels: r.labels!, palette });
      await write(`${stem}_overlay.png`, encodeRgbPng({ rgb, width: w, height: h }));
    }
    if (r.logits) {
      await writeNpyFile(join(outDir, `${stem}_logits.npy`), r.logits);
      written.push(`${stem}_logits.npy`);
    }
    const line = `${input} (${w}x${h}) -> ${written.map((f) => join(outDir, f)).join(', ')}`;
    lines.push(line);
    options.onFile?.({ input, line, index });
  }
  return lines;
}
