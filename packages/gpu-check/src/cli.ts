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

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        size: { type: 'string' },
        batch: { type: 'string' },
        steps: { type: 'string' },
        warmup: { type: 'string' },
        width: { type: 'string' },
        'parity-size': { type: 'string' },
        budget: { type: 'string' },
        model: { type: 'string' },
        'torch-script': { type: 'string' },
        python: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`gpu-check: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const out = values.out as string | undefined;
  if (!out) {
    process.stderr.write(`gpu-check: --out RESULT.json is required\n${USAGE}\n`);
    return 2;
  }
  let options: GpuCheckOptions;
  try {
    const s = (k: string) => values[k] as string | undefined;
    const torchScript = s('torch-script');
    options = {
      ...(s('model') ? { model: s('model') } : {}),
      size: int('size', s('size')),
      batchSize: int('batch', s('batch')),
      steps: int('steps', s('steps')),
      warmup: int('warmup', s('warmup')),
      width: int('width', s('width')),
      paritySize: int('parity-size', s('parity-size')),
      budgetSeconds: int('budget', s('budget')),
      torch: torchScript
        ? { script: path.resolve(torchScript), ...(s('python') ? { python: s('python') } : {}) }
        : null,
    };
    for (const k of Object.keys(options) as (keyof GpuCheckOptions)[]) {
      if (options[k] === undefined) delete options[k];
    }
  } catch (e) {
    process.stderr.write(`gpu-check: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
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
    process.stderr.write(`gpu-check: ${e instanceof Error ? e.message : String(e)}\n`);
    return null;
  });
  if (report == null) return 2;
  process.stderr.write(`gpu-check: ${report.ok ? 'passed' : 'FAILED'}; report in ${file}\n`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  process.exitCode = await main(process.argv.slice(2));
}
