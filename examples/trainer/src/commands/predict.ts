import type { TestModeSpec } from '@facepar/heads';
import { CELEBAMASK_FLIP_PAIRS } from '@facepar/metrics';
import { openSegmentorWeights, writePredictions } from '@facepar/train';
import { choice, int, str, UsageError } from '../args.js';
import { FLAGS } from '../flags.js';
import { setupBackend } from './shared.js';
import { type Command, command } from './types.js';

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

export const createPredictCommand = command(FLAG_TABLE, ({ out }) => ({
  name: NAME,
  summary: 'run a (ported) segmentor on an image or .npy array; save logits, mask, overlay',
  usage: 'facepar predict --weights FILE --input X [--model NAME] [flags]',
  description: `Runs a segmentor on one input: FILE is an mmseg state dict (with --model), a facepar checkpoint
or a run folder; X an image (the test pipeline 'facepar eval' uses: the same masks) or a .npy
float32 array already normalised, NCHW or NHWC (detected from the shape).`,
  async run({ values }) {
    const { input } = values;
    const [logitsPath, maskPath, overlayPath] = [values['save-logits'], values.out, values.overlay];
    if (!logitsPath && !maskPath && !overlayPath) {
      throw new UsageError(`${NAME}: nothing to write; pass --save-logits, --out and/or --overlay`);
    }
    await setupBackend({ backend: values.backend, out: () => {} });
    const { weights: path, model } = values;
    const numClasses = values['num-classes'];
    const segmentor = await openSegmentorWeights({ path, model, numClasses });
    try {
      const { spec } = segmentor;
      const { crop, stride, mode } = values;
      const slide = { mode: 'slide', crop: [crop, crop], stride: [stride, stride] } as const;
      const test = {
        ...spec.test,
        ...(mode === 'slide' ? slide : mode ? { mode } : {}),
      } as TestModeSpec;
      // the CelebAMask-HQ left/right pairs only make sense for its 19 classes
      const flipPairs = spec.numClasses === 19 ? CELEBAMASK_FLIP_PAIRS : [];
      const tta = { segmentor, input, test, flip: values.flip, flipPairs };
      const outputs = { logits: logitsPath, mask: maskPath, overlay: overlayPath };
      for (const line of await writePredictions({ ...tta, ...outputs })) out(line);
      return 0;
    } finally {
      segmentor.dispose();
    }
  },
}));

export const predictCommand: Command = createPredictCommand();
