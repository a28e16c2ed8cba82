import { countSegmentorParams, formatParamCounts, getSegmentorSpec } from '@facepar/heads';
import { FLAGS } from '../flags.js';
import { type Command, command } from './types.js';

const FLAG_TABLE = {
  model: { ...FLAGS.model, required: 'a registered segmentor' },
  'num-classes': {
    ...FLAGS['num-classes'],
    help: "classes of the classifiers (default: the model's)",
  },
  json: FLAGS.json,
};

export const createParamsCommand = command(FLAG_TABLE, ({ out }) => ({
  name: 'params',
  summary: "print a segmentor's parameter counts by part",
  usage: 'facepar params --model NAME [--num-classes N] [--json]',
  description: `Prints a registered segmentor's parameter counts by part (backbone, decode head, auxiliary
head, total with and without the auxiliary head), counted as PyTorch does (conv weights and
biases, BatchNorm weight and bias; no running statistics). Nothing is built.`,
  async run({ values }) {
    const { model } = values;
    const numClasses = values['num-classes'] ?? getSegmentorSpec(model).numClasses;
    const counts = countSegmentorParams({ model, numClasses });
    if (values.json) out(JSON.stringify({ model, numClasses, ...counts }));
    else {
      out(`${model} (${numClasses} classes)`);
      out(formatParamCounts(counts));
    }
    return 0;
  },
}));

export const paramsCommand: Command = createParamsCommand();
