import { writeFileAtomic, writeNpyFile } from '@facepar/core';
import { overlayLabels, type TestModeSpec } from '@facepar/heads';
import { CELEBAMASK_FLIP_PAIRS, CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
import { openSegmentorWeights, predictFile } from '@facepar/train';
import { encode } from 'fast-png';
import { choice, int, str, UsageError } from '../args.js';
import { FLAGS } from '../flags.js';
import { setupBackend, writeLine } from './shared.js';
import { type Command, type CommandIo, defineCommand } from './types.js';

const NAME = 'predict';

const FLAG_TABLE = {
  model: { ...FLAGS.model, help: `${FLAGS.model.help}; not needed for facepar checkpoints` },
  weights: str('FILE', '.safetensors weights, or a facepar run or checkpoint folder', {
    required: 'a .safetensors file or a run/checkpoint folder',
  }),
  input: str('X', 'image or .npy array', { required: 'an image or a .npy array' }),
  'num-classes': {
    ...FLAGS['num-classes'],
    help: 'classes (default: decode_head.conv_seg.weight)',
  },
  'save-logits': str('OUT.npy', 'whole-image seg logits at the input size, NCHW float32'),
  out: str('MASK.png', 'label map as a palette PNG (CelebAMask-HQ colours)'),
  overlay: str('OUT.png', 'the palette colours blended over the input image'),
  flip: { ...FLAGS['flip-tta'], help: 'flip test-time augmentation for --out/--overlay' },
  mode: choice('M', ['whole', 'slide'], "test mode (default: the model's)"),
  crop: int('slide window in pixels', { default: 512 }),
  stride: int('slide step in pixels', { default: 341 }),
  backend: { ...FLAGS.backend, default: 'cpu' },
};

/** 8-bit RGB PNG of the overlay (label maps use metrics' encodeLabelPng). */
export function encodeRgbPng(options: {
  rgb: Uint8Array;
  width: number;
  height: number;
}): Uint8Array {
  const { rgb, width, height } = options;
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}

export function createPredictCommand(io: CommandIo = {}): Command {
  const out = io.out ?? writeLine;
  return defineCommand({
    name: NAME,
    summary: 'run a (ported) segmentor on an image or .npy array; save logits, mask, overlay',
    usage: 'facepar predict --weights FILE --input X [--model NAME] [flags]',
    description: `Runs a segmentor on one input: FILE is an mmseg state dict (with --model), a facepar checkpoint
or a run folder; X an image (the test pipeline 'facepar eval' uses: the same masks) or a .npy
float32 array already normalised, NCHW or NHWC (detected from the shape).`,
    flags: FLAG_TABLE,
    out,
    async run({ values }) {
      const { input } = values;
      const [logitsPath, maskPath, overlayPath] = [
        values['save-logits'],
        values.out,
        values.overlay,
      ];
      if (!logitsPath && !maskPath && !overlayPath) {
        throw new UsageError(
          `${NAME}: nothing to write; pass --save-logits, --out and/or --overlay`,
        );
      }
      await setupBackend({ backend: values.backend, out: () => {} });
      const { weights: path, model } = values;
      const segmentor = await openSegmentorWeights({
        path,
        model,
        numClasses: values['num-classes'],
      });
      try {
        const { spec } = segmentor;
        const { crop, stride } = values;
        const slide = { mode: 'slide', crop: [crop, crop], stride: [stride, stride] } as const;
        const mode =
          values.mode === 'slide' ? slide : values.mode === 'whole' ? { mode: 'whole' } : {};
        const test = { ...spec.test, ...mode } as TestModeSpec;
        // the CelebAMask-HQ left/right pairs only make sense for its 19 classes
        const flipPairs = spec.numClasses === 19 ? CELEBAMASK_FLIP_PAIRS : [];
        const labels = maskPath !== undefined || overlayPath !== undefined;
        const r = await predictFile({
          segmentor,
          input,
          test,
          flip: values.flip,
          flipPairs,
          labels,
          logits: !!logitsPath,
        });
        const { width, height } = r;
        if (logitsPath && r.logits) {
          await writeNpyFile(logitsPath, r.logits);
          out(`logits ${JSON.stringify(r.logits.shape)} -> ${logitsPath}`);
        }
        if (maskPath && r.labels) {
          const png = encodeLabelPng({
            labels: r.labels,
            width,
            height,
            palette: CELEBAMASK_PALETTE,
          });
          await writeFileAtomic({ path: maskPath, data: png });
          out(`mask ${width}x${height} -> ${maskPath}`);
        }
        if (overlayPath && r.labels) {
          if (!r.rgb)
            throw new UsageError(`${NAME}: --overlay needs an image --input, not a .npy array`);
          const rgb = overlayLabels({ rgb: r.rgb, labels: r.labels, palette: CELEBAMASK_PALETTE });
          await writeFileAtomic({ path: overlayPath, data: encodeRgbPng({ rgb, width, height }) });
          out(`overlay ${width}x${height} -> ${overlayPath}`);
        }
        return 0;
      } finally {
        segmentor.dispose();
      }
    },
  });
}

export const predictCommand: Command = createPredictCommand();
