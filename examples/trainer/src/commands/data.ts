import {
  computeMaskStats,
  convertPartMasks,
  formatMaskStats,
  writeSyntheticDataset,
} from '@facepar/celebamask-data';
import { int, num, str, UsageError } from '../args.js';
import { FLAGS, pick } from '../flags.js';
import { type Command, command } from './types.js';

const NAME = 'data';
const SUBCOMMANDS = ['stats', 'convert', 'synth'] as const;

const FLAG_TABLE = {
  ...pick(FLAGS, ['masks', 'json', 'workers']),
  'num-classes': { ...FLAGS['num-classes'], help: 'stats: classes (default 19)' },
  ...pick(FLAGS, ['ignore-index', 'skip-invalid']),
  root: str('DIR', 'convert: official CelebAMask-HQ folder'),
  out: str('DIR', 'convert/synth: output folder'),
  count: int('synth: samples (default 200)'),
  size: int('synth: image size (default 128)', { min: 32, max: 4096 }),
  seed: int('synth: seed (default 0)', { min: 0 }),
  'val-fraction': num('F', [0, 1], 'synth: share in val/', { openMax: true, default: 0.1 }),
};

export const createDataCommand = command(FLAG_TABLE, ({ out }) => ({
  name: NAME,
  summary: 'dataset tools: mask statistics, per-part mask conversion, synthetic faces',
  usage: [
    'facepar data stats --masks DIR [--json] [--num-classes N] [--ignore-index N] [--skip-invalid]',
    'facepar data convert --root DIR --out DIR [--skip-invalid]',
    'facepar data synth --out DIR [--count N] [--size N] [--seed N] [--val-fraction F]',
  ],
  description: `stats: per-class pixel counts, presence and share over every *.png label map in DIR.
convert: official per-part masks (CelebAMask-HQ-mask-anno/<k>/<idx>_<part>.png) into one
palette PNG per image. synth: synthetic faces in the course layout (<out>/<split>/...).`,
  positionals: true,
  async run({ values, positionals }) {
    const sub = positionals[0] as (typeof SUBCOMMANDS)[number];
    if (positionals.length !== 1 || !SUBCOMMANDS.includes(sub)) {
      throw new UsageError(
        `${NAME}: expected one subcommand (stats, convert, synth), got '${positionals.join(' ')}'`,
      );
    }
    const need = (flag: string, value: string | undefined, hint: string): string => {
      if (value !== undefined) return value;
      throw new UsageError(`${NAME} ${sub}: --${flag} is required (${hint})`);
    };
    const skipInvalid = values['skip-invalid'];
    if (sub === 'stats') {
      const masksDir = need('masks', values.masks, 'a folder of mask PNGs');
      const counting = { numClasses: values['num-classes'], ignoreIndex: values['ignore-index'] };
      const stats = await computeMaskStats({
        masksDir,
        ...counting,
        skipInvalid,
        workers: values.workers,
      });
      if (values.json) out(JSON.stringify(stats, null, 2));
      else for (const line of formatMaskStats(stats)) out(line);
      return 0;
    }
    const outDir = need('out', values.out, 'an output folder');
    if (sub === 'convert') {
      const root = need('root', values.root, 'the CelebAMask-HQ folder');
      const r = await convertPartMasks({ root, outDir, skipInvalid });
      out(`wrote ${r.written} label maps to ${outDir}`);
      for (const s of r.skipped) out(`skipped ${s.file}: ${s.problem}`);
      return 0;
    }
    const { count, size, seed, 'val-fraction': val } = values;
    const splits: Record<string, number> = val > 0 ? { train: 1 - val, val } : { train: 1 };
    const summary = await writeSyntheticDataset({ dir: outDir, count, size, seed, splits });
    for (const [split, ids] of Object.entries(summary.splits))
      out(`${split}: ${ids.length} samples in ${outDir}/${split}`);
    return 0;
  },
}));

export const dataCommand: Command = createDataCommand();
