// Shared by every bench/*.bench.mjs: one JSON file per benchmark under bench/results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/**
 * rows: [{ case: string, value: number, unit: string, goal?: string, note?: string }]
 * Written atomically (temp file + rename) so a crashed bench never leaves half a file.
 */
export function writeBenchResult({ pkg, name, rows, extra }) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${pkg}-${name}.json`);
  const body = {
    package: pkg,
    name,
    date: new Date().toISOString(),
    machine: machineInfo(),
    rows,
    ...(extra ? { extra } : {}),
  };
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`);
  fs.renameSync(tmp, file);
  for (const r of rows)
    console.log(
      `${pkg}/${name}  ${r.case}: ${r.value} ${r.unit}${r.goal ? `  (goal ${r.goal})` : ''}`,
    );
  return file;
}

/** Median wall time in ms of `fn` over `reps` runs after `warmup` runs. */
export async function timeIt(fn, { warmup = 1, reps = 5 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
