import fs from 'node:fs';
import path from 'node:path';
import { CELEBAMASK_IGNORE_INDEX, CELEBAMASK_NUM_CLASSES } from '@facepar/metrics';
import { DatasetError, type SkippedFile } from './dataset-error.js';
import {
  type DatasetEntry,
  RESIZE_MODES,
  type ReadSampleOptions,
  type ResizeMode,
  readSample,
} from './read-sample.js';
import type { Sample } from './sample.js';
import type { DecodeLimits } from './image-io.js';
import {
  parseCelebAHqMapping,
  parseCelebAPartition,
  officialSplits,
  type OfficialSplitRule,
} from './official-split.js';
import { CELEBAMASK_PART_NAMES } from './part-masks.js';

/**
 * - `course`: `<split>/images/<stem>.jpg` + `<split>/masks/<stem>.png` (2025/2026 courses);
 * - `course2022`: `<split>/<split>_image/<n>.jpg` + `<split>/<split>_mask/<n>.png`;
 * - `official`: `CelebA-HQ-img/<idx>.jpg` with `CelebAMask-HQ-mask-anno/<k>/<idx:05d>_<part>.png`
 *   per-part masks or pre-combined `CelebAMask-HQ-mask/<idx>.png`.
 */
export const DATASET_LAYOUTS = ['course', 'course2022', 'official'] as const;
export type DatasetLayout = (typeof DATASET_LAYOUTS)[number];

export interface OpenDatasetOptions extends DecodeLimits {
  root: string;
  /** `auto` detects the layout from the folder names. */
  layout?: DatasetLayout | 'auto';
  /** Split folder (course layouts) or CelebA partition (official); null = whole root. */
  split?: string | null;
  /** Skip (and list in `skipped`) orphan images/masks instead of failing. */
  skipInvalid?: boolean;
  /** Fail on images without masks (false: keep them with `mask: null`, e.g. a test split). */
  requireMasks?: boolean;
  /** Default: `image-to-mask` for the official layout (1024² images, 512² masks), else `none`. */
  resize?: ResizeMode;
  numClasses?: number;
  ignoreIndex?: number;
  /** Official layout: split files and rule (defaults: looked up in root). */
  mappingFile?: string;
  partitionFile?: string;
  splitRule?: OfficialSplitRule;
  /** Official layout: which masks to use when both exist (`auto` prefers pre-combined maps). */
  officialMasks?: 'auto' | 'parts' | 'combined';
}

export const DEFAULT_OPEN_DATASET_OPTIONS = {
  layout: 'auto',
  skipInvalid: false,
  requireMasks: true,
  numClasses: CELEBAMASK_NUM_CLASSES,
  ignoreIndex: CELEBAMASK_IGNORE_INDEX,
  splitRule: 'celeba',
} as const;

export interface Dataset {
  layout: DatasetLayout;
  root: string;
  split: string | null;
  entries: readonly DatasetEntry[];
  /** Orphans left out under `skipInvalid`. */
  skipped: readonly SkippedFile[];
  readOptions: ReadSampleOptions;
  readonly length: number;
  read(index: number): Promise<Sample>;
}

const IMAGE_EXTS = ['.jpg', '.jpeg', '.png'];
const OFFICIAL_IMG = ['CelebA-HQ-img'];
const OFFICIAL_ANNO = ['CelebAMask-HQ-mask-anno', 'CelebAMaskHQ-mask-anno'];
const OFFICIAL_COMBINED = ['CelebAMask-HQ-mask', 'CelebAMaskHQ-mask', 'CelebAMask-HQ-label'];

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function firstDir(root: string, names: readonly string[]): string | null {
  for (const n of names) if (isDir(path.join(root, n))) return path.join(root, n);
  return null;
}

/** Detects the layout of `root` from its folder names; null when none matches. */
export function detectLayout(options: { root: string }): DatasetLayout | null {
  const { root } = options;
  if (firstDir(root, OFFICIAL_IMG)) return 'official';
  if (isDir(path.join(root, 'images'))) return 'course';
  let subdirs: string[] = [];
  try {
    subdirs = fs.readdirSync(root).filter((d) => isDir(path.join(root, d)));
  } catch {
    return null;
  }
  for (const d of subdirs) if (isDir(path.join(root, d, `${d}_image`))) return 'course2022';
  for (const d of subdirs) if (isDir(path.join(root, d, 'images'))) return 'course';
  return null;
}

function resolveOpenDatasetOptions(options: OpenDatasetOptions) {
  const d = DEFAULT_OPEN_DATASET_OPTIONS;
  const layout = options.layout ?? d.layout;
  if (layout !== 'auto' && !DATASET_LAYOUTS.includes(layout)) {
    throw new Error(
      `openDataset: layout '${layout}' is not one of auto, ${DATASET_LAYOUTS.join(', ')}`,
    );
  }
  if (options.resize !== undefined && !RESIZE_MODES.includes(options.resize)) {
    throw new Error(
      `openDataset: resize '${options.resize}' is not one of ${RESIZE_MODES.join(', ')}`,
    );
  }
  const numClasses = options.numClasses ?? d.numClasses;
  const ignoreIndex = options.ignoreIndex ?? d.ignoreIndex;
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 255) {
    throw new Error(`openDataset: numClasses ${numClasses} must be an integer in 1..255`);
  }
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < 0 || ignoreIndex > 255) {
    throw new Error(`openDataset: ignoreIndex ${ignoreIndex} must be an integer in 0..255`);
  }
  if (!isDir(options.root)) {
    throw new DatasetError({ file: options.root, problem: 'dataset root is not a folder' });
  }
  return {
    root: options.root,
    layout,
    split: options.split,
    skipInvalid: options.skipInvalid ?? d.skipInvalid,
    requireMasks: options.requireMasks ?? d.requireMasks,
    resize: options.resize,
    numClasses,
    ignoreIndex,
    mappingFile: options.mappingFile,
    partitionFile: options.partitionFile,
    splitRule: options.splitRule ?? d.splitRule,
    officialMasks: options.officialMasks ?? 'auto',
  };
}

function stemsByExt(dir: string, exts: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir).sort()) {
    const ext = path.extname(f).toLowerCase();
    if (!exts.includes(ext)) continue;
    const stem = f.slice(0, f.length - ext.length);
    if (!out.has(stem)) out.set(stem, path.join(dir, f));
  }
  return out;
}

/** Pairs `imageDir/<stem>.{jpg,jpeg,png}` with `maskDir/<stem>.png`. */
function pairByStem(options: {
  imageDir: string;
  maskDir: string | null;
  skipInvalid: boolean;
  requireMasks: boolean;
}): { entries: DatasetEntry[]; skipped: SkippedFile[] } {
  const { imageDir, maskDir, skipInvalid, requireMasks } = options;
  if (!isDir(imageDir))
    throw new DatasetError({ file: imageDir, problem: 'image folder not found' });
  const images = stemsByExt(imageDir, IMAGE_EXTS);
  if (images.size === 0) {
    throw new DatasetError({
      file: imageDir,
      problem: `empty folder: no images (${IMAGE_EXTS.join(', ')})`,
    });
  }
  let masks = new Map<string, string>();
  if (maskDir !== null && isDir(maskDir)) masks = stemsByExt(maskDir, ['.png']);
  else if (requireMasks)
    throw new DatasetError({ file: maskDir ?? imageDir, problem: 'mask folder not found' });
  const entries: DatasetEntry[] = [];
  const skipped: SkippedFile[] = [];
  const problem = (file: string, what: string) => {
    if (!skipInvalid)
      throw new DatasetError({ file, problem: `${what} (pass skipInvalid to skip it)` });
    skipped.push({ file, problem: what });
  };
  for (const [stem, image] of images) {
    const mask = masks.get(stem) ?? null;
    if (mask === null && requireMasks) {
      problem(image, `orphan image: no mask ${path.join(maskDir!, `${stem}.png`)}`);
      continue;
    }
    entries.push({ id: stem, image, mask });
  }
  for (const [stem, mask] of masks) {
    if (!images.has(stem))
      problem(mask, `orphan mask: no image ${path.join(imageDir, `${stem}.jpg`)}`);
  }
  if (entries.length === 0) {
    throw new DatasetError({ file: imageDir, problem: 'no valid image/mask pairs' });
  }
  return { entries, skipped };
}

function listCourse(
  o: ReturnType<typeof resolveOpenDatasetOptions>,
  layout: 'course' | 'course2022',
) {
  let split = o.split ?? null;
  let base = o.root;
  if (layout === 'course') {
    if (
      split === null &&
      !isDir(path.join(o.root, 'images')) &&
      isDir(path.join(o.root, 'train', 'images'))
    ) {
      split = 'train';
    }
    if (split !== null) base = path.join(o.root, split);
    return {
      split,
      ...pairByStem({
        imageDir: path.join(base, 'images'),
        maskDir: path.join(base, 'masks'),
        skipInvalid: o.skipInvalid,
        requireMasks: o.requireMasks,
      }),
    };
  }
  split ??= 'train';
  return {
    split,
    ...pairByStem({
      imageDir: path.join(o.root, split, `${split}_image`),
      maskDir: path.join(o.root, split, `${split}_mask`),
      skipInvalid: o.skipInvalid,
      requireMasks: o.requireMasks,
    }),
  };
}

function listOfficial(o: ReturnType<typeof resolveOpenDatasetOptions>) {
  const imgDir = firstDir(o.root, OFFICIAL_IMG)!;
  const images = stemsByExt(imgDir, ['.jpg', '.jpeg', '.png']);
  if (images.size === 0)
    throw new DatasetError({ file: imgDir, problem: 'empty folder: no images' });
  const combinedDir = o.officialMasks === 'parts' ? null : firstDir(o.root, OFFICIAL_COMBINED);
  const annoDir = o.officialMasks === 'combined' ? null : firstDir(o.root, OFFICIAL_ANNO);
  if (o.officialMasks === 'parts' && annoDir === null) {
    throw new DatasetError({
      file: o.root,
      problem: `no per-part mask folder (${OFFICIAL_ANNO.join(' or ')})`,
    });
  }
  if (o.officialMasks === 'combined' && combinedDir === null) {
    throw new DatasetError({
      file: o.root,
      problem: `no combined mask folder (${OFFICIAL_COMBINED.join(' or ')})`,
    });
  }
  const entries: DatasetEntry[] = [];
  const skipped: SkippedFile[] = [];
  const problem = (file: string, what: string) => {
    if (!o.skipInvalid)
      throw new DatasetError({ file, problem: `${what} (pass skipInvalid to skip it)` });
    skipped.push({ file, problem: what });
  };
  let splitOf: Map<number, string> | null = null;
  const split = o.split ?? null;
  if (split !== null) {
    const mappingFile = o.mappingFile ?? path.join(o.root, 'CelebA-HQ-to-CelebA-mapping.txt');
    if (!fs.existsSync(mappingFile)) {
      throw new DatasetError({
        file: mappingFile,
        problem: `split '${split}' needs the CelebA-HQ mapping file`,
      });
    }
    const mapping = parseCelebAHqMapping({
      text: fs.readFileSync(mappingFile, 'utf8'),
      source: mappingFile,
    });
    let partition: ReturnType<typeof parseCelebAPartition> | undefined;
    if (o.splitRule === 'celeba') {
      const partitionFile = o.partitionFile ?? path.join(o.root, 'list_eval_partition.txt');
      if (!fs.existsSync(partitionFile)) {
        throw new DatasetError({
          file: partitionFile,
          problem: `split '${split}' needs CelebA's list_eval_partition.txt (or splitRule 'g_partition')`,
        });
      }
      partition = parseCelebAPartition({
        text: fs.readFileSync(partitionFile, 'utf8'),
        source: partitionFile,
      });
    }
    splitOf = officialSplits({ mapping, partition, rule: o.splitRule });
    if (![...splitOf.values()].includes(split as 'train')) {
      throw new Error(`openDataset: official split '${split}' is not one of train, val, test`);
    }
  }
  // per-part files: idx -> parts
  const parts = new Map<number, { id: number; path: string }[]>();
  if (combinedDir === null && annoDir !== null) {
    const partId = new Map(CELEBAMASK_PART_NAMES.map((n, i) => [n, i + 1]));
    for (const k of fs.readdirSync(annoDir).sort()) {
      const sub = path.join(annoDir, k);
      if (!isDir(sub)) continue;
      for (const f of fs.readdirSync(sub).sort()) {
        const m = /^(\d+)_([a-z_]+)\.png$/.exec(f);
        const id = m ? partId.get(m[2]!) : undefined;
        if (!m || id === undefined) continue;
        const idx = Number(m[1]);
        if (!parts.has(idx)) parts.set(idx, []);
        parts.get(idx)!.push({ id, path: path.join(sub, f) });
      }
    }
  }
  const combined = combinedDir ? stemsByExt(combinedDir, ['.png']) : new Map<string, string>();
  const ids = [...images.keys()]
    .filter((s) => /^\d+$/.test(s))
    .sort((a, b) => Number(a) - Number(b));
  for (const stem of images.keys()) {
    if (!/^\d+$/.test(stem))
      problem(images.get(stem)!, 'image name is not a CelebA-HQ index (<idx>.jpg)');
  }
  for (const stem of ids) {
    const idx = Number(stem);
    if (splitOf !== null && splitOf.get(idx) !== split) continue;
    const image = images.get(stem)!;
    if (combinedDir !== null) {
      const mask = combined.get(stem) ?? null;
      if (mask === null && o.requireMasks) {
        problem(image, `orphan image: no mask ${path.join(combinedDir, `${stem}.png`)}`);
        continue;
      }
      entries.push({ id: stem, image, mask });
    } else {
      const p = parts.get(idx);
      if (!p && o.requireMasks) {
        problem(
          image,
          `orphan image: no per-part masks ${idx}/${String(idx).padStart(5, '0')}_*.png in ${annoDir ?? 'CelebAMask-HQ-mask-anno'}`,
        );
        continue;
      }
      entries.push({ id: stem, image, mask: null, ...(p ? { parts: p } : {}) });
    }
  }
  const imageIdx = new Set(ids.map(Number));
  for (const [stem, mask] of combined) {
    if (!imageIdx.has(Number(stem)))
      problem(mask, `orphan mask: no image ${path.join(imgDir, `${stem}.jpg`)}`);
  }
  for (const [idx, p] of parts) {
    if (!imageIdx.has(idx))
      problem(p[0]!.path, `orphan mask: no image ${path.join(imgDir, `${idx}.jpg`)}`);
  }
  if (entries.length === 0)
    throw new DatasetError({ file: imgDir, problem: 'no valid image/mask pairs' });
  return { split, entries, skipped };
}

/** Opens a dataset folder (layout auto-detected unless given) and lists its image/mask pairs. */
export async function openDataset(options: OpenDatasetOptions): Promise<Dataset> {
  const o = resolveOpenDatasetOptions(options);
  let layout: DatasetLayout;
  if (o.layout === 'auto') {
    const found = detectLayout({ root: o.root });
    if (found === null) {
      throw new DatasetError({
        file: o.root,
        problem:
          'cannot detect the dataset layout: expected <split>/images + <split>/masks (course), <split>/<split>_image (course2022) or CelebA-HQ-img (official); pass layout',
      });
    }
    layout = found;
  } else layout = o.layout;
  const listed = layout === 'official' ? listOfficial(o) : listCourse(o, layout);
  const readOptions: ReadSampleOptions = {
    resize: o.resize ?? (layout === 'official' ? 'image-to-mask' : 'none'),
    numClasses: o.numClasses,
    ignoreIndex: o.ignoreIndex,
    maxImagePixels: options.maxImagePixels,
    maxMaskPixels: options.maxMaskPixels,
  };
  const entries = listed.entries;
  return {
    layout,
    root: o.root,
    split: listed.split,
    entries,
    skipped: listed.skipped,
    readOptions,
    get length() {
      return entries.length;
    },
    read(index: number) {
      const entry = entries[index];
      if (entry === undefined) {
        return Promise.reject(
          new RangeError(`Dataset.read: index ${index} is outside 0..${entries.length - 1}`),
        );
      }
      return readSample({ entry, ...readOptions });
    },
  };
}
