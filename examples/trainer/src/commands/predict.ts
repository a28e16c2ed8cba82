import { CELEBAMASK_FLIP_PAIRS } from '@facepar/metrics';
import * as train from '@facepar/train';
import { bool, choice, int, list, str } from '../args.js';
import { FLAGS } from '../flags.js';
import { setupBackend } from './shared.js';
import { type Command, command } from './types.js';

const W = 'a run or checkpoint folder, a .safetensors or a .pth file';
const FLAG_TABLE = {
  weights: str('W', W, { required: W }),
  input: list('X', 'photos or .npy arrays: files, folders, quoted globs (more X may follow)'),
  out: str('DIR', 'output folder: <stem>.png label maps', { required: 'an output folder' }),
  overlay: bool('also <stem>_overlay.png: the label colours over the photo'),
  logits: bool('also <stem>_logits.npy: whole-image decode logits, NCHW float32'),
  model: { ...FLAGS.model, help: `${FLAGS.model.help}, for a plain state dict` },
  'num-classes': { ...FLAGS['num-classes'], help: 'classes (default: from the weights)' },
  flip: { ...FLAGS['flip-tta'], help: 'flip test-time augmentation' },
  mode: choice('M', ['whole', 'slide'], "test mode (default: the model's)"),
  crop: int("slide window in pixels (default: the model's crop)"),
  stride: int('slide step in pixels (default: 2/3 of the window)'),
  backend: FLAGS.backend,
};

export const createPredictCommand = command(FLAG_TABLE, ({ out }) => ({
  name: 'predict',
  summary: 'label photos with a segmentor: <stem>.png masks (overlays, logits) into a folder',
  usage: 'facepar predict --weights W --input X [X ...] --out DIR [flags]',
  description: `Runs the test pipeline 'facepar eval' uses (rescale to the model's test scale, whole or slide,
flip TTA) on every input, so both give the same masks. W: a run folder (its best checkpoint), a
checkpoint folder, a facepar .safetensors, or an mmseg state dict (.safetensors or .pth, with
--model). X: photos, folders of them, globs, or .npy float32 arrays already normalised.`,
  positionals: true,
  async run({ values, positionals }) {
    const inputs = train.expandPredictInputs([...values.input, ...positionals]);
    await setupBackend({ backend: values.backend, out });
    const { weights: path, model, mode, crop, stride } = values;
    const numClasses = values['num-classes'];
    const segmentor = await train.openSegmentorWeights({ path, model, numClasses });
    try {
      const { spec } = segmentor;
      // the CelebAMask-HQ left/right pairs only make sense for its 19 classes
      const flipPairs = spec.numClasses === 19 ? CELEBAMASK_FLIP_PAIRS : [];
      const test = train.withTestMode({ spec, mode, crop, stride });
      await train.predictFiles({
        ...{ segmentor, inputs, outDir: values.out, test, flip: values.flip, flipPairs },
        ...{ overlay: values.overlay, logits: values.logits, onFile: ({ line }) => out(line) },
      });
      out(`${inputs.length} inputs -> ${values.out} (${spec.name}, test ${JSON.stringify(test)})`);
      return 0;
    } finally {
      segmentor.dispose();
    }
  },
}));

export const predictCommand: Command = createPredictCommand();
