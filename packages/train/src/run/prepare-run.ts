import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { resolve } from 'node:path';
import type { BackendChoice } from '@facepar/core';
import {
  applyConfigOverrides,
  type DataSource,
  resolveTrainConfig,
  type TrainConfig,
  type TrainConfigOverrides,
} from '../config.js';
import { applyConfigSets } from '../config-set.js';
import { dataSourceFor } from '../data/train-data.js';
import { readRunConfig, resolveRunFolder, TrainRunError } from './run-folder.js';

/**
 * What a training command asks for, field by field as its flags name them (`holdout` is
 * `--holdout`, `valSplit` `--val-split`): a new run from `base` with these changes, or with
 * `resume` the run in `workDir`, which these may only restate.
 */
export interface TrainRunRequest {
  /** The named config a new run starts from; on resume, only its name is compared. */
  base?: TrainConfig;
  workDir?: string;
  resume?: boolean;
  /** A dataset root, or `synthetic`. */
  data?: string;
  layout?: DataSource['layout'];
  split?: string;
  valSplit?: string;
  holdout?: number;
  iters?: number;
  batch?: number;
  crop?: number;
  evalEvery?: number;
  logEvery?: number;
  /** `key=value` changes of the typed config (`applyConfigSets`), after the flags above. */
  set?: readonly string[];
  backend?: BackendChoice;
  loadFrom?: string;
  backboneWeights?: string;
}

export interface PreparedTrainRun {
  /** The resolved config (data source, backend and weight files included): `config.json`. */
  config: TrainConfig;
  workDir: string;
  resume: boolean;
  /** What was chosen on the caller's behalf (e.g. training without evaluation). */
  notes: string[];
}

const OVERRIDES = ['iters', 'batch', 'crop', 'evalEvery', 'logEvery'] as const;
const flag = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The dotted keys where `a` and `b` differ, with both values. */
function differences(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((k) =>
      differences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        prefix ? `${prefix}.${k}` : k,
      ),
    );
  }
  return isDeepStrictEqual(a, b) ? [] : [`${prefix} is ${show(a)}, this makes it ${show(b)}`];
}

/**
 * The config a training command trains, and its run folder. A new run: `base` with the flags'
 * changes, then `set`, the data source (a root made absolute, the val split or a holdout), the
 * backend and the weight files, checked by `resolveTrainConfig`. A resume: the run folder's
 * `config.json` as it is; a flag that would change it is refused, naming the flag, the key and
 * both values, so the resume command needs nothing but `--resume --work-dir W`. Nothing is
 * written.
 */
export function prepareTrainRun(request: TrainRunRequest): PreparedTrainRun {
  const resume = request.resume === true;
  const name = request.base?.name ?? 'run';
  const workDir = resolveRunFolder({ command: 'train', name, workDir: request.workDir, resume });
  if (resume) return { config: checkResume(request, workDir), workDir, resume, notes: [] };
  const { base } = request;
  if (!base) throw new TrainRunError('train: a new run needs a config (--config NAME)');
  if (request.data === undefined)
    throw new TrainRunError("train: a new run needs data (--data DIR or 'synthetic')");
  const exists = (field: keyof TrainRunRequest, path: string | undefined, hint: string) => {
    if (path !== undefined && !existsSync(path))
      throw new TrainRunError(`train: ${flag(field)} '${path}' does not exist (${hint})`);
  };
  if (request.data !== 'synthetic')
    exists('data', request.data, "pass a dataset root, or 'synthetic'");
  exists('loadFrom', request.loadFrom, 'pass a .safetensors or .pth file');
  exists('backboneWeights', request.backboneWeights, 'pass a .safetensors or .pth file');
  const overrides: TrainConfigOverrides = Object.fromEntries(
    OVERRIDES.filter((k) => request[k] !== undefined).map((k) => [k, request[k]]),
  );
  const sets = request.set ?? [];
  const config = asked(() =>
    applyConfigSets({ config: applyConfigOverrides({ config: base, overrides }), sets }),
  );
  const { source, note } = dataSourceFor({
    ...{ data: request.data, workDir, config, layout: request.layout, split: request.split },
    ...{ valSplit: request.valSplit, holdout: request.holdout },
  });
  config.data.source = source;
  if (request.backend !== undefined) config.backend = request.backend;
  if (request.loadFrom !== undefined) config.loadFrom = resolve(request.loadFrom);
  if (request.backboneWeights !== undefined)
    config.model.pretrained = resolve(request.backboneWeights);
  asked(() => resolveTrainConfig(config));
  return { config, workDir, resume, notes: note ? [note] : [] };
}

/** `fn`, its errors (a bad override or `--set`) as the caller's: `TrainRunError`. */
function asked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new TrainRunError(`train: ${(error as Error).message}`);
  }
}

function checkResume(request: TrainRunRequest, workDir: string): TrainConfig {
  const stored = readRunConfig({ workDir });
  const conflicts: string[] = [];
  const compare = (given: string, changed: TrainConfig) => {
    const diff = differences(stored, changed);
    if (diff.length > 0) conflicts.push(`${given}: ${diff.join('; ')}`);
  };
  if (request.base && request.base.name !== stored.name) {
    conflicts.push(`--config ${request.base.name}: the run's config is ${stored.name}`);
  }
  for (const k of OVERRIDES) {
    const v = request[k];
    const overrides = { [k]: v };
    if (v !== undefined)
      compare(
        `${flag(k)} ${v}`,
        asked(() => applyConfigOverrides({ config: stored, overrides })),
      );
  }
  for (const a of request.set ?? [])
    compare(
      `--set ${a}`,
      asked(() => applyConfigSets({ config: stored, sets: [a] })),
    );
  // the other flags each restate one key: the flag's value (paths resolved) must be the key's
  const same = (field: keyof TrainRunRequest, given: unknown, key: string, value: unknown) => {
    if (given !== undefined && !isDeepStrictEqual(given, value ?? null))
      conflicts.push(`${flag(field)} ${show(request[field])}: ${key} is ${show(value ?? null)}`);
  };
  const src = stored.data.source;
  const { data: root, holdout, valSplit, loadFrom, backboneWeights } = request;
  const dir = root === 'synthetic' ? resolve(workDir, 'data') : root && resolve(root);
  same('data', dir, 'data.source.root', src?.root);
  same('layout', request.layout, 'data.source.layout', src?.layout ?? 'auto');
  same('split', request.split, 'data.source.split', src?.split ?? 'train');
  same('valSplit', valSplit && { split: valSplit }, 'data.source.val', src?.val);
  if (src?.synthetic) same('holdout', holdout, 'data.source.synthetic.val', src.synthetic.val);
  else same('holdout', holdout && { holdout }, 'data.source.val', src?.val);
  same('backend', request.backend, 'backend', stored.backend ?? 'auto');
  same('loadFrom', loadFrom && resolve(loadFrom), 'loadFrom', stored.loadFrom);
  const pretrained = backboneWeights && resolve(backboneWeights);
  same('backboneWeights', pretrained, 'model.pretrained', stored.model.pretrained);
  if (conflicts.length > 0) {
    throw new TrainRunError(
      `train --resume: the run in ${workDir} is continued as its config.json says; these flags would change it: ${conflicts.join(' | ')}. Drop them (--resume --work-dir ${workDir} is enough), or start a new run in another --work-dir`,
    );
  }
  return stored;
}
