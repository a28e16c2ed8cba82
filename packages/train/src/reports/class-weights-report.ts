import { readFile } from 'node:fs/promises';
import { computeMaskStats } from '@facepar/celebamask-data';
import {
  type ClassWeightsFromCountsOptions,
  classWeightsFromCounts,
  formatClassWeights,
  parseClassCounts,
} from '@facepar/losses';
import { CELEBAMASK_CLASS_NAMES } from '@facepar/metrics';

/** Why a class-weights report failed: the caller's input (a bad counts file or option). */
export class ClassWeightsInputError extends Error {
  override name = 'ClassWeightsInputError';
}

/**
 * Class weights from per-class pixel counts, read from a JSON file (`counts`: an array, or
 * `{ pixelCounts | counts }`) or counted over a folder of label-map PNGs (`masks`, the data
 * package's `computeMaskStats`). `lines`: a title, the table (CelebAMask-HQ names for 19
 * classes) and a line to paste into a config. A bad counts file or option throws
 * `ClassWeightsInputError`; unreadable masks throw the data package's errors.
 */
export async function classWeightsReport(
  options: ({ counts: string; masks?: undefined } | { masks: string; counts?: undefined }) &
    ClassWeightsFromCountsOptions & { numClasses?: number; ignoreIndex?: number },
): Promise<{ source: string; counts: number[]; weights: number[]; lines: string[] }> {
  const { counts: _file, masks: _dir, numClasses: _n, ignoreIndex: _i, ...weighting } = options;
  const scheme = weighting.scheme ?? 'log2-inverse';
  let source: string;
  let counts: number[];
  if (options.counts !== undefined) {
    source = options.counts;
    try {
      const json = JSON.parse(await readFile(source, 'utf8'));
      counts = parseClassCounts({ json, source });
    } catch (error) {
      throw new ClassWeightsInputError(`--counts ${source}: ${(error as Error).message}`);
    }
  } else {
    const { masks: masksDir, numClasses, ignoreIndex } = options;
    const stats = await computeMaskStats({ masksDir, numClasses, ignoreIndex });
    counts = stats.pixelCounts;
    source = `${masksDir} (${stats.files} masks, ${stats.ignoredPixels} ignored pixels)`;
  }
  let weights: number[];
  try {
    weights = classWeightsFromCounts(counts, weighting);
  } catch (error) {
    throw new ClassWeightsInputError((error as Error).message);
  }
  const classNames = counts.length === 19 ? CELEBAMASK_CLASS_NAMES : undefined;
  const table = formatClassWeights({ counts, weights, classNames });
  return { source, counts, weights, lines: [`${scheme} class weights from ${source}`, ...table] };
}
