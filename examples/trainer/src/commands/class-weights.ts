import { readFile } from 'node:fs/promises';
import { computeMaskStats } from '@facepar/celebamask-data';
import { CLASS_WEIGHT_SCHEMES, classWeightsFromCounts, parseClassCounts } from '@facepar/losses';
import { CELEBAMASK_CLASS_NAMES } from '@facepar/metrics';
import { choice, num, str, UsageError } from '../args.js';
import { FLAGS } from '../flags.js';
import { writeLine } from './shared.js';
import { type Command, type CommandIo, defineCommand } from './types.js';

const NAME = 'class-weights';

export function createClassWeightsCommand(io: CommandIo = {}): Command {
  const out = io.out ?? writeLine;
  return defineCommand({
    name: NAME,
    summary: 'class weights (log2-inverse, median-frequency, ...) from pixel counts or masks',
    usage: [
      'facepar class-weights --counts FILE.json [flags]',
      'facepar class-weights --masks DIR [flags]',
    ],
    description: `Computes per-class loss weights from per-class pixel counts, read from a JSON file or counted
over a folder of label-map PNGs, and prints them (a table, then a line to paste into a config).`,
    flags: {
      counts: str('FILE.json', 'a JSON array of counts, or { "pixelCounts" | "counts": [...] }'),
      masks: { ...FLAGS.masks, help: 'count the pixels of every *.png mask in DIR' },
      scheme: choice('S', CLASS_WEIGHT_SCHEMES, 'weighting scheme', { default: 'log2-inverse' }),
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
    },
    out,
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
      let counts: number[];
      let source: string;
      if (values.counts !== undefined) {
        const file = values.counts;
        try {
          counts = parseClassCounts({
            json: JSON.parse(await readFile(file, 'utf8')),
            source: file,
          });
        } catch (err) {
          throw new UsageError(`${NAME}: --counts ${file}: ${(err as Error).message}`);
        }
        source = file;
      } else {
        const masksDir = values.masks!;
        const stats = await computeMaskStats({
          masksDir,
          numClasses: values['num-classes'],
          ignoreIndex: values['ignore-index'],
        });
        counts = stats.pixelCounts;
        source = `${masksDir} (${stats.files} masks, ${stats.ignoredPixels} ignored pixels)`;
      }
      let weights: number[];
      try {
        weights = classWeightsFromCounts(counts, { scheme, beta, zeroCountWeight });
      } catch (err) {
        throw new UsageError(`${NAME}: ${(err as Error).message}`);
      }
      if (values.json) {
        out(JSON.stringify({ scheme, source, counts, weights }, null, 2));
        return 0;
      }
      const names = counts.length === CELEBAMASK_CLASS_NAMES.length ? CELEBAMASK_CLASS_NAMES : null;
      out(`${scheme} class weights from ${source}`);
      out('| class | name | pixels | weight |');
      out('|---|---|---|---|');
      counts.forEach((c, i) => {
        out(`| ${i} | ${names?.[i] ?? `class_${i}`} | ${c} | ${weights[i]!.toFixed(4)} |`);
      });
      out(`classWeights: [${weights.map((w) => Number(w.toFixed(4))).join(', ')}]`);
      return 0;
    },
  });
}

export const classWeightsCommand: Command = createClassWeightsCommand();
