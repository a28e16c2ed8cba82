import {
  countSegmentorParams,
  formatParamCounts,
  getSegmentorSpec,
  listSegmentors,
} from '@facepar/heads';
import { choiceFlag, intFlag, parseFlags, requireFlag } from '../args.js';
import type { Command } from './types.js';
import { writeLine } from './shared.js';

const NAME = 'params';

const USAGE = `Usage: facepar params --model NAME [--num-classes N] [--json]

Prints a registered segmentor's parameter counts by part (backbone, decode head, auxiliary
head, total with and without the auxiliary head), counted as PyTorch does (conv weights and
biases, BatchNorm weight and bias; no running statistics). Nothing is built.

Flags:
  --model NAME        registered segmentor (${listSegmentors().join(', ')})
  --num-classes N     classes of the classifiers (default: the model's)
  --json              print one JSON object instead of the table`;

export interface ParamsCommandOptions {
  out?: (line: string) => void;
}

export function createParamsCommand(options: ParamsCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: "print a segmentor's parameter counts by part",
    usage: USAGE,
    async run(argv) {
      const { values } = parseFlags({
        command: NAME,
        argv,
        flags: {
          model: { type: 'string' },
          'num-classes': { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      if (values.help) {
        out(USAGE);
        return 0;
      }
      const model = choiceFlag({
        command: NAME,
        flag: 'model',
        value: requireFlag({
          command: NAME,
          flag: 'model',
          value: values.model,
          hint: 'a registered segmentor',
        }),
        allowed: listSegmentors(),
      })!;
      const numClasses =
        intFlag({ command: NAME, flag: 'num-classes', value: values['num-classes'] }) ??
        getSegmentorSpec(model).numClasses;
      const counts = countSegmentorParams({ model, numClasses });
      if (values.json) {
        out(JSON.stringify({ model, numClasses, ...counts }));
      } else {
        out(`${model} (${numClasses} classes)`);
        out(formatParamCounts(counts));
      }
      return 0;
    },
  };
}

export const paramsCommand: Command = createParamsCommand();
