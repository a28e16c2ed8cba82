import { readFile } from 'node:fs/promises';
import { computeMaskStats } from '@facepar/celebamask-data';
import {
  CLASS_WEIGHT_SCHEMES,
  type ClassWeightScheme,
  classWeightsFromCounts,
} from '@facepar/losses';
import { CELEBAMASK_CLASS_NAMES } from '@facepar/metrics';
import { choiceFlag, intFlag, parseFlags, UsageError } from '../args.js';
import type { Command } from './types.js';
import { writeLine } from './shared.js';

const NAME = 'class-weights';

const USAGE = `Usage: facepar class-weights --counts FILE.json [flags]
       facepar class-weights --masks DIR [flags]

Computes per-class loss weights from per-class pixel counts, read from a JSON file or counted
over a folder of label-map PNGs, and prints them (a table, then a line to paste into a config).

Flags:
  --counts FILE.json    a JSON array of counts, or an object with "pixelCounts" or "counts"
  --masks DIR           count the pixels of every *.png mask in DIR
  --scheme S            ${CLASS_WEIGHT_SCHEMES.join(', ')} (default log2-inverse)
  --beta B              effective-number beta in [0, 1) (default 0.9999)
  --zero-count-weight W weight of classes with no pixels: a number >= 0 or 'max' (default 0)
  --num-classes N       classes to count with --masks (default 19)
  --ignore-index N      mask value to skip with --masks (default 255)
  --json                print { scheme, counts, weights } as JSON instead of the table`;

export interface ClassWeightsCommandOptions {
  out?: (line: string) => void;
}

export function createClassWeightsCommand(options: ClassWeightsCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'class weights (log2-inverse, median-frequency, ...) from pixel counts or masks',
    usage: USAGE,
    run: (argv) => runClassWeights({ argv, out }),
  };
}

export const classWeightsCommand: Command = createClassWeightsCommand();

/** Counts from `[..]`, `{ pixelCounts: [..] }` (a saved mask-stats result) or `{ counts: [..] }`. */
export function countsFromJson(json: unknown, file: string): number[] {
  const body =
    json !== null && typeof json === 'object' && !Array.isArray(json)
      ? ((json as { pixelCounts?: unknown; counts?: unknown }).pixelCounts ??
        (json as { counts?: unknown }).counts)
      : json;
  if (!Array.isArray(body) || body.length === 0 || !body.every((v) => typeof v === 'number')) {
    throw new UsageError(
      `${NAME}: ${file} must hold a non-empty array of numbers, or an object with "pixelCounts" or "counts"`,
    );
  }
  return body as number[];
}

async function runClassWeights(options: {
  argv: readonly string[];
  out: (line: string) => void;
}): Promise<number> {
  const { argv, out } = options;
  const { values } = parseFlags({
    command: NAME,
    argv,
    flags: {
      counts: { type: 'string' },
      masks: { type: 'string' },
      scheme: { type: 'string' },
      beta: { type: 'string' },
      'zero-count-weight': { type: 'string' },
      'num-classes': { type: 'string' },
      'ignore-index': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if ((values.counts === undefined) === (values.masks === undefined)) {
    throw new UsageError(`${NAME}: pass exactly one of --counts FILE.json or --masks DIR`);
  }
  const scheme: ClassWeightScheme =
    choiceFlag({
      command: NAME,
      flag: 'scheme',
      value: values.scheme,
      allowed: CLASS_WEIGHT_SCHEMES,
    }) ?? 'log2-inverse';
  const beta = values.beta === undefined ? undefined : Number(values.beta);
  if (beta !== undefined && !(beta >= 0 && beta < 1)) {
    throw new UsageError(`${NAME}: --beta must be a number in [0, 1), got '${values.beta}'`);
  }
  const z = values['zero-count-weight'];
  const zeroCountWeight = z === undefined ? undefined : z === 'max' ? 'max' : Number(z);
  if (typeof zeroCountWeight === 'number' && !(zeroCountWeight >= 0)) {
    throw new UsageError(`${NAME}: --zero-count-weight must be a number >= 0 or 'max', got '${z}'`);
  }

  let counts: number[];
  let source: string;
  if (values.counts !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(values.counts, 'utf8'));
    } catch (err) {
      throw new UsageError(
        `${NAME}: cannot read --counts ${values.counts}: ${(err as Error).message}`,
      );
    }
    counts = countsFromJson(json, values.counts);
    source = values.counts;
  } else {
    const stats = await computeMaskStats({
      masksDir: values.masks!,
      numClasses: intFlag({ command: NAME, flag: 'num-classes', value: values['num-classes'] }),
      ignoreIndex: intFlag({
        command: NAME,
        flag: 'ignore-index',
        value: values['ignore-index'],
        min: 0,
        max: 65535,
      }),
    });
    counts = stats.pixelCounts;
    source = `${values.masks} (${stats.files} masks, ${stats.ignoredPixels} ignored pixels)`;
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
}
