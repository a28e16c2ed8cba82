import { readFile } from 'node:fs/promises';
import { encode } from 'fast-png';
import { readNpyFile, writeFileAtomic, writeNpyFile } from '@facepar/core';
import { decodeImage } from '@facepar/celebamask-data';
import {
  arrayToNhwc,
  listSegmentors,
  modelPredictor,
  nhwcToNchwData,
  openSegmentor,
  overlayLabels,
  predictLabels,
  predictSample,
  wholeInference,
} from '@facepar/heads';
import { normalizeImage } from '@facepar/image';
import { CELEBAMASK_FLIP_PAIRS, CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { choiceFlag, intFlag, parseFlags, requireFlag, UsageError } from '../args.js';
import type { Command } from './types.js';
import { writeLine } from './shared.js';

const NAME = 'predict';

const USAGE = `Usage: facepar predict --model NAME --weights FILE.safetensors --input X [flags]

Runs a segmentor on one input. FILE is an mmseg EncoderDecoder state dict (PyTorch names and
layout, e.g. a ported deeplabv3plus_r50-d8) or a facepar checkpoint. X is an image (PNG/JPEG,
normalised with the model's mean/std) or a .npy float32 array already normalised, NCHW as
PyTorch writes it or NHWC (detected from the shape).

Flags:
  --model NAME          registered segmentor (${listSegmentors().join(', ')}); optional
                        for facepar checkpoints
  --weights FILE        .safetensors weights
  --input X             image or .npy array
  --num-classes N       classes (default: from decode_head.conv_seg.weight)
  --save-logits OUT.npy whole-image seg logits (decode head resized to the input), NCHW float32
  --out MASK.png        label map as a palette PNG (CelebAMask-HQ colours)
  --overlay OUT.png     the palette colours blended over the input image
  --flip                flip test-time augmentation for --out/--overlay (swaps the left/right
                        CelebAMask-HQ classes 4/5, 6/7, 8/9 on the flipped prediction)
  --mode M              whole (default) or slide
  --crop N --stride N   slide window and step in pixels (default 512 and 341)
  --backend B           cpu (default) or wasm`;

export interface PredictCommandOptions {
  out?: (line: string) => void;
}

/** 8-bit RGB PNG of the overlay (label maps use metrics' encodeLabelPng). */
export function encodeRgbPng(options: {
  rgb: Uint8Array;
  width: number;
  height: number;
}): Uint8Array {
  const { rgb, width, height } = options;
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}

export function createPredictCommand(options: PredictCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'run a (ported) segmentor on an image or .npy array; save logits, mask, overlay',
    usage: USAGE,
    async run(argv) {
      const { values } = parseFlags({
        command: NAME,
        argv,
        flags: {
          model: { type: 'string' },
          weights: { type: 'string' },
          input: { type: 'string' },
          'num-classes': { type: 'string' },
          'save-logits': { type: 'string' },
          out: { type: 'string' },
          overlay: { type: 'string' },
          flip: { type: 'boolean' },
          mode: { type: 'string' },
          crop: { type: 'string' },
          stride: { type: 'string' },
          backend: { type: 'string' },
        },
      });
      if (values.help) {
        out(USAGE);
        return 0;
      }
      const model = choiceFlag({
        command: NAME,
        flag: 'model',
        value: values.model,
        allowed: listSegmentors(),
      });
      const weights = requireFlag({
        command: NAME,
        flag: 'weights',
        value: values.weights,
        hint: 'a .safetensors file',
      });
      const input = requireFlag({
        command: NAME,
        flag: 'input',
        value: values.input,
        hint: 'an image or a .npy array',
      });
      const numClasses = intFlag({
        command: NAME,
        flag: 'num-classes',
        value: values['num-classes'],
      });
      const mode =
        choiceFlag({
          command: NAME,
          flag: 'mode',
          value: values.mode,
          allowed: ['whole', 'slide'] as const,
        }) ?? 'whole';
      const crop = intFlag({ command: NAME, flag: 'crop', value: values.crop }) ?? 512;
      const stride = intFlag({ command: NAME, flag: 'stride', value: values.stride }) ?? 341;
      const backend =
        choiceFlag({
          command: NAME,
          flag: 'backend',
          value: values.backend,
          allowed: ['cpu', 'wasm'] as const,
        }) ?? 'cpu';
      if (!values['save-logits'] && !values.out && !values.overlay) {
        throw new UsageError(
          `${NAME}: nothing to write; pass --save-logits, --out and/or --overlay`,
        );
      }
      if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
      else await import('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend(backend);

      const segmentor = openSegmentor(new Uint8Array(await readFile(weights)), {
        model,
        numClasses,
      });
      let image: { rgb: Uint8Array; width: number; height: number } | null = null;
      let x: tf.Tensor4D;
      if (input.toLowerCase().endsWith('.npy')) {
        const arr = await readNpyFile(input);
        if (arr.dtype !== '<f4' && arr.dtype !== '<f8') {
          throw new UsageError(
            `${NAME}: --input array must be float32 (or float64), got ${arr.dtype}`,
          );
        }
        const data =
          arr.dtype === '<f4'
            ? (arr.data as Float32Array)
            : Float32Array.from(arr.data as Float64Array);
        x = arrayToNhwc({ data, shape: arr.shape });
      } else {
        const decoded = await decodeImage({ bytes: input });
        image = { rgb: decoded.data, width: decoded.width, height: decoded.height };
        const { mean, std } = segmentor.spec;
        const normalised = normalizeImage({ image: image.rgb, mean, std });
        x = tf.tensor4d(normalised, [1, image.height, image.width, 3]);
      }
      const [n, h, w] = x.shape;
      const predict = modelPredictor(segmentor.model);
      try {
        if (values['save-logits']) {
          const logits = wholeInference({ predict, images: x });
          const nchw = nhwcToNchwData(logits);
          logits.dispose();
          await writeNpyFile(values['save-logits'], nchw);
          out(`logits ${JSON.stringify(nchw.shape)} -> ${values['save-logits']}`);
        }
        if (values.out || values.overlay) {
          if (n !== 1)
            throw new UsageError(
              `${NAME}: --out/--overlay need a single image, got a batch of ${n}`,
            );
          const test =
            mode === 'slide'
              ? ({ mode, crop: [crop, crop], stride: [stride, stride] } as const)
              : ({ mode } as const);
          const tta = {
            test: { ...segmentor.spec.test, ...test } as typeof segmentor.spec.test,
            flip: values.flip ?? false,
            // the CelebAMask-HQ left/right pairs only make sense for its 19 classes
            flipPairs: segmentor.spec.numClasses === 19 ? CELEBAMASK_FLIP_PAIRS : [],
          };
          let ids: Uint8Array;
          if (image) {
            const photo = { image: image.rgb, width: image.width, height: image.height };
            ids = await predictSample({ segmentor, image: photo, ...tta });
          } else {
            const labels = predictLabels({ predict, images: x, ...tta });
            ids = Uint8Array.from(await labels.data());
            labels.dispose();
          }
          if (values.out) {
            await writeFileAtomic(
              values.out,
              encodeLabelPng({ labels: ids, width: w, height: h, palette: CELEBAMASK_PALETTE }),
            );
            out(`mask ${w}x${h} -> ${values.out}`);
          }
          if (values.overlay) {
            if (image == null)
              throw new UsageError(`${NAME}: --overlay needs an image --input, not a .npy array`);
            const rgb = overlayLabels({ rgb: image.rgb, labels: ids, palette: CELEBAMASK_PALETTE });
            await writeFileAtomic(values.overlay, encodeRgbPng({ rgb, width: w, height: h }));
            out(`overlay ${w}x${h} -> ${values.overlay}`);
          }
        }
      } finally {
        x.dispose();
        segmentor.dispose();
      }
      return 0;
    },
  };
}

export const predictCommand: Command = createPredictCommand();
