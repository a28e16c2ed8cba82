import { DATASET_LAYOUTS } from '@facepar/celebamask-data';
import { BACKEND_NAMES, WEIGHT_DECAY_MODES } from '@facepar/core';
import { getSegmentorSpec } from '@facepar/heads';
import { PIXEL_REDUCTIONS } from '@facepar/losses';
import type { TrainConfig } from './config.js';

/** How one settable config key parses its text (mmseg `--cfg-options`, typed). */
export type ConfigKey = { nullable?: boolean } & (
  | { kind: 'int'; min: number }
  | { kind: 'number'; min: number; max?: number; openMin?: boolean }
  | { kind: 'boolean' }
  | { kind: 'string' }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'model' }
  | { kind: 'list'; item: 'int' | 'number'; length?: number; min: number }
  | { kind: 'object' }
);

const int = (min: number) => ({ kind: 'int', min }) as const;
const num = (min: number, max?: number) => ({ kind: 'number', min, max }) as const;
const pair = (item: 'int' | 'number', min: number) =>
  ({ kind: 'list', item, length: 2, min }) as const;
const text = { kind: 'string' } as const;
const nullable = <K extends ConfigKey>(k: K) => ({ ...k, nullable: true });

/**
 * Every key `--set key=value` may change, by dotted path; an `object` key takes JSON and each of
 * its entries is checked against the keys below it. Values are checked here for their kind;
 * `resolveTrainConfig` checks how they fit together.
 */
export const TRAIN_CONFIG_KEYS: Readonly<Record<string, ConfigKey>> = {
  name: text,
  description: text,
  model: { kind: 'object' },
  'model.name': { kind: 'model' },
  'model.numClasses': int(1),
  'model.cropSize': pair('int', 8),
  'model.pretrained': nullable(text),
  data: { kind: 'object' },
  'data.batchSize': int(1),
  'data.pipeline': { kind: 'object' },
  'data.pipeline.resize': nullable({ kind: 'object' }),
  'data.pipeline.resize.scale': pair('int', 1),
  'data.pipeline.resize.ratioRange': pair('number', 0),
  'data.pipeline.catMaxRatio': num(0, 1),
  'data.pipeline.flipProb': num(0, 1),
  'data.pipeline.photoMetric': nullable({ kind: 'object' }),
  'data.pipeline.photoMetric.brightnessDelta': num(0),
  'data.pipeline.photoMetric.contrastRange': pair('number', 0),
  'data.pipeline.photoMetric.saturationRange': pair('number', 0),
  'data.pipeline.photoMetric.hueDelta': num(0, 180),
  'data.pipeline.ignoreIndex': int(0),
  'data.source': { kind: 'object' },
  'data.source.root': text,
  'data.source.layout': { kind: 'choice', choices: ['auto', ...DATASET_LAYOUTS] },
  'data.source.split': text,
  loss: { kind: 'object' },
  'loss.classWeights': nullable({ kind: 'list', item: 'number', min: 0 }),
  'loss.reduction': { kind: 'choice', choices: PIXEL_REDUCTIONS },
  'loss.labelSmoothing': num(0, 1),
  optimizer: { kind: 'object' },
  'optimizer.lr': { kind: 'number', min: 0, openMin: true },
  'optimizer.momentum': num(0, 1),
  'optimizer.weightDecay': num(0),
  'optimizer.weightDecayMode': { kind: 'choice', choices: WEIGHT_DECAY_MODES },
  'optimizer.nesterov': { kind: 'boolean' },
  schedule: { kind: 'object' },
  'schedule.maxIters': int(1),
  'schedule.power': num(0),
  'schedule.minLr': num(0),
  logEvery: int(1),
  checkpointEvery: int(1),
  evalEvery: int(0),
  seed: int(0),
  loadFrom: nullable(text),
  backend: { kind: 'choice', choices: ['auto', ...BACKEND_NAMES] },
};

function childKeys(parent: string): string[] {
  const prefix = parent === '' ? '' : `${parent}.`;
  return Object.keys(TRAIN_CONFIG_KEYS)
    .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('.'))
    .map((k) => k.slice(prefix.length));
}

function describeKind(k: ConfigKey): string {
  const orNull = k.nullable ? ' or null' : '';
  switch (k.kind) {
    case 'int':
      return `an integer >= ${k.min}${orNull}`;
    case 'number':
      return `a number ${k.openMin ? '>' : '>='} ${k.min}${k.max === undefined ? '' : ` and <= ${k.max}`}${orNull}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return `text${orNull}`;
    case 'choice':
      return `one of ${k.choices.join(', ')}`;
    case 'model':
      return 'a registered segmentor';
    case 'list':
      return `a list of ${k.length === undefined ? '' : `${k.length} `}${k.item === 'int' ? 'integers' : 'numbers'} >= ${k.min} ([a,b] or a,b)${orNull}`;
    case 'object':
      return `a JSON object${orNull}`;
  }
}

/** Parses `text` for `key`; errors name the key, what it takes and what was given. */
function parseValue(key: string, spec: ConfigKey, raw: unknown): unknown {
  const fail = (why = describeKind(spec)): never => {
    throw new Error(`${key} must be ${why}, got ${JSON.stringify(raw)}`);
  };
  if (spec.nullable && (raw === null || raw === 'null' || raw === 'none')) return null;
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const number = (v: unknown, item: 'int' | 'number', min: number, max?: number) => {
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    const ok = Number.isFinite(n) && (item === 'number' || Number.isInteger(n));
    const open = spec.kind === 'number' && spec.openMin === true;
    if (!ok || (open ? n <= min : n < min) || (max !== undefined && n > max)) fail();
    return n;
  };
  switch (spec.kind) {
    case 'int':
      return number(text, 'int', spec.min);
    case 'number':
      return number(text, 'number', spec.min, spec.max);
    case 'boolean':
      if (text === true || text === 'true') return true;
      if (text === false || text === 'false') return false;
      return fail();
    case 'string':
      return typeof text === 'string' && text !== '' ? text : fail();
    case 'choice':
      return spec.choices.includes(String(text)) ? text : fail();
    case 'model':
      try {
        getSegmentorSpec(String(text));
      } catch (error) {
        fail(`a registered segmentor (${(error as Error).message})`);
      }
      return text;
    case 'list': {
      let items: unknown = text;
      if (typeof text === 'string') {
        const t = text.replace(/^\[(.*)\]$/s, '$1').trim();
        items = t === '' ? [] : t.split(',');
      }
      if (!Array.isArray(items) || (spec.length !== undefined && items.length !== spec.length))
        fail();
      return (items as unknown[]).map((v) => number(v, spec.item, spec.min));
    }
    case 'object': {
      let value = text;
      if (typeof text === 'string') {
        try {
          value = JSON.parse(text);
        } catch {
          fail(`a JSON object (keys: ${childKeys(key).join(', ')})`);
        }
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail();
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as object)) {
        out[k] = parseValue(`${key}.${k}`, lookupKey(`${key}.${k}`), v);
      }
      return out;
    }
  }
}

function lookupKey(key: string): ConfigKey {
  const spec = TRAIN_CONFIG_KEYS[key];
  if (spec) return spec;
  const parts = key.split('.');
  let parent = '';
  for (const part of parts.slice(0, -1)) {
    const next = parent === '' ? part : `${parent}.${part}`;
    if (!TRAIN_CONFIG_KEYS[next]) break;
    parent = next;
  }
  const where = parent === '' ? 'the config has' : `${parent} has`;
  throw new Error(`unknown key '${key}'; ${where} ${childKeys(parent).join(', ')}`);
}

/** One `key=value` as a key and its parsed value (not yet applied). */
export function parseConfigSet(assignment: string): { key: string; value: unknown } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    throw new Error(`'${assignment}' is not key=value (e.g. optimizer.lr=0.01)`);
  }
  const key = assignment.slice(0, eq).trim();
  return { key, value: parseValue(key, lookupKey(key), assignment.slice(eq + 1)) };
}

/**
 * Applies `key=value` assignments (mmseg `--cfg-options`: dotted keys, typed values, lists as
 * `[a,b]` or `a,b`, `null` where a key allows it) without mutating `config`. Errors name the
 * assignment, the key and what it takes (or the keys its parent has).
 */
export function applyConfigSets(options: {
  config: TrainConfig;
  sets: readonly string[];
}): TrainConfig {
  const config = structuredClone(options.config) as TrainConfig;
  for (const assignment of options.sets) {
    let parsed: { key: string; value: unknown };
    try {
      parsed = parseConfigSet(assignment);
    } catch (error) {
      throw new Error(`--set ${assignment}: ${(error as Error).message}`);
    }
    const parts = parsed.key.split('.');
    let node = config as unknown as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === null || typeof next !== 'object') node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    const last = parts.at(-1)!;
    const old = node[last];
    const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    // an object value merges into the existing object (mmseg's dict merge)
    node[last] =
      isObject(parsed.value) && isObject(old)
        ? { ...(old as object), ...(parsed.value as object) }
        : parsed.value;
  }
  return config;
}
