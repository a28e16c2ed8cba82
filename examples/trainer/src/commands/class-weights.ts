import * as losses from '@facepar/losses';
import * as train from '@facepar/train';
import { choice, num, str, UsageError } from '../args.js';
import { FLAGS } from '../flags.js';
import { type Command, command } from './types.js';

const NAME = 'class-weights';

const FLAG_TABLE = {
  counts: str('FILE.json', 'a JSON array of counts, or { "pixelCounts" | "counts": [...] }'),
  masks: { ...FLAGS.masks, help: 'count the pixels of every *.png mask in DIR' },
  scheme: choice('S', losses.CLASS_WEIGHT_SCHEMES, 'weighting scheme', { default: 'log2-inverse' }),
  beta: num('B', [0, 1], 'effective-number beta (default 0.9999)', { openMax: true }),
  'zero-count-weight': str('W', "weight of classes with no pixels: >= 0 or 'max' (default 0)"),
  'num-classes': {
    ...FLAGS['num-classes'],
    help: 'classes to count with --masks (default 19)',
  },
  'ignore-index': FLAGS['ignore-index'],
  json: {
    ...FLAGS.json,
    help: 'print { scheme, counts, weights } as JSON instead of the table',
  },
};

export const createClassWeightsCommand = command(FLAG_TABLE, ({ out }) => ({
  name: NAME,
  summary: 'class weights (log2-inverse, median-frequency, ...) from pixel counts or masks',
  usage: [
    'facepar class-weights --counts FILE.json [flags]',
    'facepar class-weights --masks DIR [flags]',
  ],
  description: `Computes per-class loss weights from per-class pixel counts, read from a JSON file or counted
over a folder of label-map PNGs, and prints them (a table, then a line to paste into a config).`,
  async run({ values }) {
    if ((values.counts === undefined) === (values.masks === undefined)) {
      throw new UsageError(`${NAME}: pass exactly one of --counts FILE.json or --masks DIR`);
    }
    const { scheme, beta } = values;
    const z = values['zero-count-weight'];
    const zeroCountWeight = z === undefined ? undefined : z === 'max' ? 'max' : Number(z);
    if (typeof zeroCountWeight === 'number' && !(zeroCountWeight >= 0)) {
      throw new UsageError(
        `${NAME}: --zero-count-weight must be a number >= 0 or 'max', got '${z}'`,
      );
    }
    const input =
      values.counts !== undefined ? { counts: values.counts } : { masks: values.masks! };
    const options = { numClasses: values['num-classes'], ignoreIndex: values['ignore-index'] };
    const r = await train
      .classWeightsReport({ ...input, ...options, scheme, beta, zeroCountWeight })
      .catch((error: Error) => {
        throw error instanceof train.ClassWeightsInputError
          ? new UsageError(`${NAME}: ${error.message}`)
          : error;
      });
    if (values.json) {
      const { source, counts, weights } = r;
      out(JSON.stringify({ scheme, source, counts, weights }, null, 2));
    } else for (const line of r.lines) out(line);
    return 0;
  },
}));

export const classWeightsCommand: Command = createClassWeightsCommand();
