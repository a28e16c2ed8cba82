/** CelebA partition ids: 0 train, 1 val, 2 test. */
export const CELEBA_SPLITS = ['train', 'val', 'test'] as const;
export type CelebASplit = (typeof CELEBA_SPLITS)[number];

/**
 * Parses `CelebA-HQ-to-CelebA-mapping.txt` (header `idx orig_idx orig_file`, whitespace
 * columns) into CelebA-HQ idx → { origIdx (0-based CelebA index), origFile }.
 */
export function parseCelebAHqMapping(options: {
  text: string;
  source?: string;
}): Map<number, { origIdx: number; origFile: string }> {
  const source = options.source ?? 'CelebA-HQ-to-CelebA-mapping.txt';
  const out = new Map<number, { origIdx: number; origFile: string }>();
  const lines = options.text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 1 && cols[0] === '') return;
    if (i === 0 && cols[0] === 'idx') return;
    const idx = Number(cols[0]);
    const origIdx = Number(cols[1]);
    if (cols.length < 3 || !Number.isInteger(idx) || !Number.isInteger(origIdx)) {
      throw new Error(
        `${source}:${i + 1}: expected 'idx orig_idx orig_file', got '${line.trim()}'`,
      );
    }
    out.set(idx, { origIdx, origFile: cols[2]! });
  });
  return out;
}

/** Parses CelebA `list_eval_partition.txt` (`NNNNNN.jpg P`, P = 0/1/2) into file → split. */
export function parseCelebAPartition(options: {
  text: string;
  source?: string;
}): Map<string, CelebASplit> {
  const source = options.source ?? 'list_eval_partition.txt';
  const out = new Map<string, CelebASplit>();
  options.text.split(/\r?\n/).forEach((line, i) => {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 1 && cols[0] === '') return;
    const p = Number(cols[1]);
    if (cols.length !== 2 || !(p === 0 || p === 1 || p === 2)) {
      throw new Error(`${source}:${i + 1}: expected '<file>.jpg 0|1|2', got '${line.trim()}'`);
    }
    out.set(cols[0]!, CELEBA_SPLITS[p]!);
  });
  return out;
}

export type OfficialSplitRule = 'celeba' | 'g_partition';

/**
 * The split of each CelebA-HQ idx. `celeba` looks `orig_file` up in CelebA's partition (exact
 * CelebA semantics); `g_partition` reproduces the official `g_partition.py`, which compares the
 * 0-based `orig_idx` with 162771/182638 (so it differs from CelebA on two boundary files).
 */
export function officialSplits(options: {
  mapping: Map<number, { origIdx: number; origFile: string }>;
  partition?: Map<string, CelebASplit>;
  rule?: OfficialSplitRule;
}): Map<number, CelebASplit> {
  const rule = options.rule ?? 'celeba';
  if (rule !== 'celeba' && rule !== 'g_partition') {
    throw new Error(`officialSplits: rule '${rule}' is not one of celeba, g_partition`);
  }
  const out = new Map<number, CelebASplit>();
  for (const [idx, { origIdx, origFile }] of options.mapping) {
    if (rule === 'g_partition') {
      out.set(idx, origIdx >= 182638 ? 'test' : origIdx >= 162771 ? 'val' : 'train');
      continue;
    }
    const split = options.partition?.get(origFile);
    if (split === undefined) {
      throw new Error(
        `officialSplits: ${origFile} (CelebA-HQ idx ${idx}) is not in the CelebA partition list`,
      );
    }
    out.set(idx, split);
  }
  return out;
}
