import fs from 'node:fs/promises';
import path from 'node:path';
import { CELEBAMASK_PALETTE, encodeLabelPng } from '@facepar/metrics';
import sharp from 'sharp';
import { mixSeed } from './rng.js';
import { generateSyntheticFace, resolveSyntheticFaceOptions } from './synthetic-face.js';

export interface WriteSyntheticDatasetOptions {
  /** Output root; `<dir>/<split>/images/<stem>.jpg` and `<dir>/<split>/masks/<stem>.png`. */
  dir: string;
  /** Total number of pairs over all splits. */
  count?: number;
  /** Image size in pixels (square). */
  size?: number;
  seed?: number;
  /** Split name → fraction of `count` (fractions sum to 1; the first split takes the rounding). */
  splits?: Readonly<Record<string, number>>;
  /** JPEG quality 1..100. */
  jpegQuality?: number;
}

export const DEFAULT_WRITE_SYNTHETIC_DATASET_OPTIONS = {
  count: 200,
  size: 128,
  seed: 0,
  splits: { train: 0.9, val: 0.1 } as Readonly<Record<string, number>>,
  jpegQuality: 92,
} as const;

export interface SyntheticDatasetSummary {
  dir: string;
  /** Split name → stems written, in order. */
  splits: Record<string, string[]>;
}

export function resolveWriteSyntheticDatasetOptions(
  options: WriteSyntheticDatasetOptions,
): Required<WriteSyntheticDatasetOptions> {
  const d = DEFAULT_WRITE_SYNTHETIC_DATASET_OPTIONS;
  const r = {
    dir: options.dir,
    count: options.count ?? d.count,
    size: options.size ?? d.size,
    seed: options.seed ?? d.seed,
    splits: options.splits ?? d.splits,
    jpegQuality: options.jpegQuality ?? d.jpegQuality,
  };
  if (typeof r.dir !== 'string' || r.dir.length === 0) {
    throw new Error(`writeSyntheticDataset: dir ${String(r.dir)} must be a non-empty path`);
  }
  if (!Number.isInteger(r.count) || r.count < 1) {
    throw new Error(`writeSyntheticDataset: count ${r.count} must be a positive integer`);
  }
  resolveSyntheticFaceOptions({ seed: r.seed, size: r.size });
  const names = Object.keys(r.splits);
  const fractions = Object.values(r.splits);
  const sum = fractions.reduce((x, y) => x + y, 0);
  if (names.length === 0 || fractions.some((f) => !(f >= 0)) || Math.abs(sum - 1) > 1e-6) {
    throw new Error(
      `writeSyntheticDataset: splits ${JSON.stringify(r.splits)} must map split names to fractions >= 0 summing to 1`,
    );
  }
  for (const name of names) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new Error(`writeSyntheticDataset: split name '${name}' must match [A-Za-z0-9_-]+`);
    }
  }
  if (!Number.isInteger(r.jpegQuality) || r.jpegQuality < 1 || r.jpegQuality > 100) {
    throw new Error(
      `writeSyntheticDataset: jpegQuality ${r.jpegQuality} must be an integer in 1..100`,
    );
  }
  return r;
}

/** How many of `count` samples each split gets (floor; the first split takes the remainder). */
export function splitCounts(
  count: number,
  splits: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  const names = Object.keys(splits);
  let used = 0;
  for (const name of names) {
    out[name] = Math.floor(count * splits[name]!);
    used += out[name]!;
  }
  out[names[0]!]! += count - used;
  return out;
}

/** Stem of synthetic sample `index` (global over splits). */
export function syntheticStem(index: number): string {
  return `synth-${String(index).padStart(6, '0')}`;
}

/**
 * Writes `count` synthetic faces in the course layout (JPEG images, palette-PNG masks with the
 * official palette). Sample `i` is `generateSyntheticFace({ seed: mixSeed(seed, i), size })`,
 * so the same options always give the same files.
 */
export async function writeSyntheticDataset(
  options: WriteSyntheticDatasetOptions,
): Promise<SyntheticDatasetSummary> {
  const o = resolveWriteSyntheticDatasetOptions(options);
  const counts = splitCounts(o.count, o.splits);
  const summary: SyntheticDatasetSummary = { dir: o.dir, splits: {} };
  let index = 0;
  for (const [split, n] of Object.entries(counts)) {
    const imageDir = path.join(o.dir, split, 'images');
    const maskDir = path.join(o.dir, split, 'masks');
    await fs.mkdir(imageDir, { recursive: true });
    await fs.mkdir(maskDir, { recursive: true });
    const stems: string[] = [];
    const pending: Promise<void>[] = [];
    for (let k = 0; k < n; k++, index++) {
      const stem = syntheticStem(index);
      stems.push(stem);
      const face = generateSyntheticFace({ seed: mixSeed(o.seed, index), size: o.size });
      const png = encodeLabelPng({
        labels: face.labels,
        width: face.width,
        height: face.height,
        palette: CELEBAMASK_PALETTE,
      });
      pending.push(
        (async () => {
          const jpg = await sharp(face.image, {
            raw: { width: face.width, height: face.height, channels: 3 },
          })
            .jpeg({ quality: o.jpegQuality })
            .toBuffer();
          await Promise.all([
            fs.writeFile(path.join(imageDir, `${stem}.jpg`), jpg),
            fs.writeFile(path.join(maskDir, `${stem}.png`), png),
          ]);
        })(),
      );
      // keep a few encodes in flight while generating the next faces
      if (pending.length >= 8) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    summary.splits[split] = stems;
  }
  return summary;
}
