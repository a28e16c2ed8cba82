import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from '@facepar/core';

/** Name of the JSON file every checkpoint folder holds. */
export const CHECKPOINT_STATE_FILE = 'state.json';
/**
 * `state.json` format of a run checkpoint folder: `weights.safetensors` is a heads segmentor
 * checkpoint (`facepar-segmentor/1`, opened by `openSegmentor`), `optimizer.safetensors` core's
 * SGD state by parameter name, `state.json` the loop's position.
 */
export const CHECKPOINT_FORMAT = 'facepar-run/2';
/** What trainer 0.1 wrote: weights without their spec, momentum by variable position. */
export const LEGACY_CHECKPOINT_FORMAT = 'facepar-checkpoint/1';

/** `checkpoints/latest.json` and `checkpoints/best.json`. */
export interface CheckpointPointer {
  name: string;
  iter: number;
  score?: number;
}

export interface SaveCheckpointOptions<S> {
  /** The run folder; checkpoints go to `<workDir>/checkpoints/iter_<n>/`. */
  workDir: string;
  iter: number;
  /** JSON-serialisable state (iteration, optimiser scalars, loader, RNG, config). */
  state: S;
  /** Binary or text payloads, e.g. `weights.safetensors`. */
  files: Record<string, Uint8Array | string>;
  /** Score for "best" tracking (higher is better, e.g. mIoU); omitted: not a candidate. */
  score?: number;
  /** Older checkpoints kept besides the latest and the best (default 1). */
  keepPrevious?: number;
  /** For tests: called after the files are written, before the folder is published. */
  beforePublish?: (tempDir: string) => void;
}

export interface SavedCheckpoint {
  dir: string;
  name: string;
  isBest: boolean;
}

export const DEFAULT_KEEP_PREVIOUS = 1;

function checkpointsDir(workDir: string): string {
  return join(workDir, 'checkpoints');
}

function readPointer(path: string): CheckpointPointer | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as CheckpointPointer;
}

function uniqueName(root: string, iter: number): string {
  const base = `iter_${String(iter).padStart(6, '0')}`;
  if (!existsSync(join(root, base))) return base;
  for (let k = 2; ; k++) {
    const name = `${base}-${k}`;
    if (!existsSync(join(root, name))) return name;
  }
}

/**
 * Writes a checkpoint folder atomically: every file goes to a hidden temp folder (each file
 * fsynced), the folder is renamed into place under a fresh name, and only then are
 * `latest.json` (and `best.json` when `score` beats it) switched over, each by temp + rename.
 * A crash at any point leaves the previous latest/best checkpoints complete and pointed to.
 */
export async function saveCheckpoint<S>(
  options: SaveCheckpointOptions<S>,
): Promise<SavedCheckpoint> {
  const { workDir, iter, state, files, score, beforePublish } = options;
  const keepPrevious = options.keepPrevious ?? DEFAULT_KEEP_PREVIOUS;
  if (!Number.isInteger(keepPrevious) || keepPrevious < 0) {
    throw new Error(`keepPrevious must be an integer >= 0, got ${keepPrevious}`);
  }
  if (CHECKPOINT_STATE_FILE in files) {
    throw new Error(`files must not contain '${CHECKPOINT_STATE_FILE}'; pass it as state`);
  }
  const root = checkpointsDir(workDir);
  mkdirSync(root, { recursive: true });
  removeStaleTemps(root);
  const name = uniqueName(root, iter);
  const temp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  try {
    for (const [file, data] of Object.entries(files)) {
      await writeFileAtomic({ path: join(temp, file), data });
    }
    const body = { format: CHECKPOINT_FORMAT, iter, score, state };
    await writeFileAtomic({ path: join(temp, CHECKPOINT_STATE_FILE), data: JSON.stringify(body) });
    beforePublish?.(temp);
    renameSync(temp, join(root, name));
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(root);

  await writeFileAtomic({
    path: join(root, 'latest.json'),
    data: JSON.stringify({ name, iter, score } satisfies CheckpointPointer),
  });
  const best = readPointer(join(root, 'best.json'));
  const isBest =
    score !== undefined &&
    Number.isFinite(score) &&
    (best === undefined || best.score === undefined || score > best.score);
  if (isBest) {
    await writeFileAtomic({
      path: join(root, 'best.json'),
      data: JSON.stringify({ name, iter, score } satisfies CheckpointPointer),
    });
  }
  pruneCheckpoints({ root, keepPrevious });
  return { dir: join(root, name), name, isBest };
}

function removeStaleTemps(root: string): void {
  for (const entry of readdirSync(root)) {
    if (entry.startsWith('.') && entry.includes('.tmp-')) {
      rmSync(join(root, entry), { recursive: true, force: true });
    }
  }
}

/** Deletes checkpoint folders other than latest, best and the `keepPrevious` newest others. */
function pruneCheckpoints(options: { root: string; keepPrevious: number }): void {
  const { root, keepPrevious } = options;
  const keep = new Set<string>();
  const latest = readPointer(join(root, 'latest.json'));
  const best = readPointer(join(root, 'best.json'));
  if (latest) keep.add(latest.name);
  if (best) keep.add(best.name);
  const others = readdirSync(root)
    .filter((e) => e.startsWith('iter_') && !keep.has(e))
    .map((e) => ({ e, t: statSync(join(root, e)).mtimeMs, iter: Number.parseInt(e.slice(5), 10) }))
    .sort((a, b) => b.iter - a.iter || b.t - a.t);
  for (const { e } of others.slice(keepPrevious)) {
    rmSync(join(root, e), { recursive: true, force: true });
  }
}

export interface LoadedCheckpoint<S> {
  dir: string;
  iter: number;
  score?: number;
  state: S;
  /** Reads one of the checkpoint's files; a missing file throws an error naming it. */
  readFile(name: string): Uint8Array;
}

export interface LoadCheckpointOptions {
  /** A checkpoint folder, a run folder, or a run's `checkpoints/` folder. */
  path: string;
  /** Which pointer to follow when `path` is not itself a checkpoint (default 'latest'). */
  which?: 'latest' | 'best';
}

/** Finds the checkpoint folder `path` refers to; errors name what was looked for. */
export function resolveCheckpointDir(options: LoadCheckpointOptions): string {
  const { path, which = 'latest' } = options;
  if (!existsSync(path)) {
    throw new Error(
      `checkpoint path '${path}' does not exist; pass a run folder or a checkpoint folder`,
    );
  }
  if (existsSync(join(path, CHECKPOINT_STATE_FILE))) return path;
  for (const root of [join(path, 'checkpoints'), path]) {
    const pointer = readPointer(join(root, `${which}.json`));
    if (pointer) {
      const dir = join(root, pointer.name);
      if (!existsSync(join(dir, CHECKPOINT_STATE_FILE))) {
        throw new Error(
          `${join(root, `${which}.json`)} points to '${dir}', which has no ${CHECKPOINT_STATE_FILE}`,
        );
      }
      return dir;
    }
  }
  throw new Error(
    `no checkpoint in '${path}': expected ${CHECKPOINT_STATE_FILE} or checkpoints/${which}.json (train first, or pass a checkpoint folder)`,
  );
}

export function loadCheckpoint<S>(options: LoadCheckpointOptions): LoadedCheckpoint<S> {
  const dir = resolveCheckpointDir(options);
  const file = join(dir, CHECKPOINT_STATE_FILE);
  const body = JSON.parse(readFileSync(file, 'utf8')) as {
    format: string;
    iter: number;
    score?: number;
    state: S;
  };
  if (body.format === LEGACY_CHECKPOINT_FORMAT) {
    const model = (body.state as { config?: { model?: unknown } })?.config?.model;
    const name = typeof model === 'string' ? model : '<model>';
    const weights = join(dir, 'weights.safetensors');
    throw new Error(
      `${file}: written by facepar 0.1 (format '${LEGACY_CHECKPOINT_FORMAT}': weights without their spec, optimiser state by position), which this version can neither resume nor evaluate. Its weights are a plain mmseg state dict: predict with \`facepar predict --model ${name} --weights ${weights}\`, or start a new run from them with \`facepar train --load-from ${weights}\``,
    );
  }
  if (body.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${file}: format '${body.format}' is not '${CHECKPOINT_FORMAT}'`);
  }
  return {
    dir,
    iter: body.iter,
    score: body.score,
    state: body.state,
    readFile(name: string): Uint8Array {
      const p = join(dir, name);
      if (!existsSync(p)) throw new Error(`checkpoint file '${p}' is missing`);
      return new Uint8Array(readFileSync(p));
    },
  };
}

/** Reads `checkpoints/latest.json` / `best.json` of a run folder, if present. */
export function readCheckpointPointers(options: { workDir: string }): {
  latest?: CheckpointPointer;
  best?: CheckpointPointer;
} {
  const root = checkpointsDir(options.workDir);
  return {
    latest: readPointer(join(root, 'latest.json')),
    best: readPointer(join(root, 'best.json')),
  };
}
