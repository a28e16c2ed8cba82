import {
  computeMaskStats,
  convertPartMasks,
  type MaskStats,
  writeSyntheticDataset,
} from '@facepar/celebamask-data';
import { intFlag, parseFlags, requireFlag, UsageError } from '../args.js';
import type { Command } from './types.js';
import { writeLine } from './shared.js';

const NAME = 'data';

const USAGE = `Usage: facepar data stats --masks DIR [--json] [--num-classes N] [--ignore-index N] [--skip-invalid]
       facepar data convert --root DIR --out DIR [--skip-invalid]
       facepar data synth --out DIR [--count N] [--size N] [--seed N] [--val-fraction F]

Dataset tools for CelebAMask-HQ face parsing.

  stats    per-class pixel counts, presence (masks containing the class), total and share over
           every *.png label map in DIR (palette, grey or colour-coded)
  convert  combine official per-part masks (CelebAMask-HQ-mask-anno/<k>/<idx>_<part>.png) into
           one palette PNG per image in --out (later parts win: the higher class id)
  synth    write a synthetic face dataset in the course layout
           (<out>/train|val/images/<stem>.jpg + masks/<stem>.png)

Flags:
  --masks DIR          stats: folder of mask PNGs
  --json               stats: print the result as JSON
  --workers N          stats: decode in N worker threads (default 0: main thread)
  --num-classes N      stats: classes (default 19)
  --ignore-index N     stats: label skipped as ignore (default 255)
  --root DIR           convert: official CelebAMask-HQ folder
  --out DIR            convert/synth: output folder
  --skip-invalid       stats/convert: skip and count bad files instead of failing
  --count N            synth: samples (default 200)
  --size N             synth: image size (default 128)
  --seed N             synth: seed (default 0)
  --val-fraction F     synth: share of samples in val/ (default 0.1)`;

export interface DataCommandOptions {
  out?: (line: string) => void;
}

export function createDataCommand(options: DataCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'dataset tools: mask statistics, per-part mask conversion, synthetic faces',
    usage: USAGE,
    run: (argv) => runData({ argv, out }),
  };
}

export const dataCommand: Command = createDataCommand();

/** The stats table: class, pixels, share, presence. */
export function formatMaskStats(stats: MaskStats): string[] {
  const lines = [
    `${stats.files} masks, ${stats.totalPixels} labelled pixels, ${stats.ignoredPixels} ignored`,
  ];
  const w = Math.max(5, ...stats.classNames.map((n) => n.length));
  lines.push(
    `${'id'.padStart(3)}  ${'class'.padEnd(w)}  ${'pixels'.padStart(12)}  ${'share %'.padStart(8)}  ${'present'.padStart(7)}`,
  );
  stats.classNames.forEach((name, c) => {
    lines.push(
      `${String(c).padStart(3)}  ${name.padEnd(w)}  ${String(stats.pixelCounts[c]).padStart(12)}  ${(100 * stats.share[c]!).toFixed(3).padStart(8)}  ${String(stats.presence[c]).padStart(7)}`,
    );
  });
  for (const s of stats.skipped) lines.push(`skipped ${s.file}: ${s.problem}`);
  return lines;
}

async function runData(options: {
  argv: readonly string[];
  out: (line: string) => void;
}): Promise<number> {
  const { argv, out } = options;
  const { values, positionals } = parseFlags({
    command: NAME,
    argv,
    allowPositionals: true,
    flags: {
      masks: { type: 'string' },
      json: { type: 'boolean' },
      workers: { type: 'string' },
      'num-classes': { type: 'string' },
      'ignore-index': { type: 'string' },
      'skip-invalid': { type: 'boolean' },
      root: { type: 'string' },
      out: { type: 'string' },
      count: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      'val-fraction': { type: 'string' },
    },
  });
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const sub = positionals[0];
  if (positionals.length !== 1 || (sub !== 'stats' && sub !== 'convert' && sub !== 'synth')) {
    throw new UsageError(
      `${NAME}: expected one subcommand (stats, convert, synth), got '${positionals.join(' ')}'`,
    );
  }
  const skipInvalid = values['skip-invalid'] ?? false;
  if (sub === 'stats') {
    const masksDir = requireFlag({
      command: `${NAME} stats`,
      flag: 'masks',
      value: values.masks,
      hint: 'a folder of mask PNGs',
    });
    const stats = await computeMaskStats({
      masksDir,
      numClasses: intFlag({
        command: NAME,
        flag: 'num-classes',
        value: values['num-classes'],
        min: 1,
        max: 65535,
      }),
      ignoreIndex: intFlag({
        command: NAME,
        flag: 'ignore-index',
        value: values['ignore-index'],
        min: 0,
        max: 65535,
      }),
      skipInvalid,
      workers: intFlag({ command: NAME, flag: 'workers', value: values.workers, min: 0, max: 64 }),
    });
    if (values.json) out(JSON.stringify(stats, null, 2));
    else for (const line of formatMaskStats(stats)) out(line);
    return 0;
  }
  const outDir = requireFlag({
    command: `${NAME} ${sub}`,
    flag: 'out',
    value: values.out,
    hint: 'an output folder',
  });
  if (sub === 'convert') {
    const root = requireFlag({
      command: `${NAME} convert`,
      flag: 'root',
      value: values.root,
      hint: 'the CelebAMask-HQ folder',
    });
    const r = await convertPartMasks({ root, outDir, skipInvalid });
    out(`wrote ${r.written} label maps to ${outDir}`);
    for (const s of r.skipped) out(`skipped ${s.file}: ${s.problem}`);
    return 0;
  }
  const valText = values['val-fraction'] ?? '0.1';
  const val = Number(valText);
  if (!(val >= 0 && val < 1))
    throw new UsageError(`${NAME}: --val-fraction must be a number in [0, 1), got '${valText}'`);
  const summary = await writeSyntheticDataset({
    dir: outDir,
    count: intFlag({ command: NAME, flag: 'count', value: values.count, min: 1 }),
    size: intFlag({ command: NAME, flag: 'size', value: values.size, min: 32, max: 4096 }),
    seed: intFlag({ command: NAME, flag: 'seed', value: values.seed, min: 0 }),
    splits: val > 0 ? { train: 1 - val, val } : { train: 1 },
  });
  for (const [split, stems] of Object.entries(summary.splits))
    out(`${split}: ${stems.length} samples in ${outDir}/${split}`);
  return 0;
}
