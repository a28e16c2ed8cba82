#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type GpuCheckOptions, runGpuCheck } from './gpu-check.js';

const USAGE = `usage: gpu-check --out RESULT.json [--size N] [--batch B] [--steps K] [--warmup W]
                 [--width F] [--parity-size N] [--budget SECONDS] [--model NAME]
                 [--torch-script torch_step.py] [--python python3]

Runs the WebGPU check of the report's training step and writes one JSON report (rewritten
after every step, so a run that is killed still says how far it got). Exit status 0 when every
step passed (PyTorch may be absent), 1 when one failed, 2 on bad arguments.`;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** Writes `text` to `file` atomically (temp file + rename). */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Numeric flags and the option each sets. */
const NUMBER_FLAGS = {
  size: 'size',
  batch: 'batchSize',
  steps: 'steps',
  warmup: 'warmup',
  width: 'width',
  'parity-size': 'paritySize',
  budget: 'budgetSeconds',
} as const satisfies Record<string, keyof GpuCheckOptions>;
const STRING_FLAGS = ['out', 'model', 'torch-script', 'python', ...Object.keys(NUMBER_FLAGS)];

export async function main(argv: string[]): Promise<number> {
  const fail = (why: unknown, usage = true) => {
    const text = why instanceof Error ? why.message : String(why);
    process.stderr.write(`gpu-check: ${text}\n${usage ? `${USAGE}\n` : ''}`);
    return 2;
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }]));
    ({ values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    return fail(e);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const s = (k: string) => values[k] as string | undefined;
  const out = s('out');
  if (!out) return fail('--out RESULT.json is required');
  const options: GpuCheckOptions = {};
  try {
    for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
      const v = int(flag, s(flag));
      if (v !== undefined) options[key] = v;
    }
    const model = s('model');
    if (model) options.model = model;
    const script = s('torch-script');
    const python = s('python');
    options.torch = script ? { script: path.resolve(script), ...(python ? { python } : {}) } : null;
  } catch (e) {
    return fail(e, false);
  }
  const file = path.resolve(out);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const write = (report: unknown) => writeAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
  const started = Date.now();
  const report = await runGpuCheck({
    ...options,
    onProgress: write,
    log: (line) =>
      process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`),
  }).catch((e: unknown) => {
    fail(e, false);
    return null;
  });
  if (report == null) return 2;
  process.stderr.write(`gpu-check: ${report.ok ? 'passed' : 'FAILED'}; report in ${file}\n`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  // Exit explicitly: Dawn can keep the event loop alive after the report is written.
  process.exit(await main(process.argv.slice(2)));
}
