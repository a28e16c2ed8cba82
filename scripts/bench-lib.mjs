// Shared by every bench/*.bench.mjs: one JSON file per benchmark under bench/results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

/**
 * The CPU's SIMD flags (sse*, avx*, fma, f16c, amx*): oneDNN and XNNPACK pick their kernels by
 * them, so times from machines with different flags do not compare.
 */
export function cpuSimdFlags() {
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    const flags = (line?.split(':')[1] ?? '').trim().split(/\s+/);
    return flags.filter((f) => /^(sse|ssse|avx|fma|f16c|amx)/.test(f)).join(' ');
  } catch {
    return 'unknown';
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuFlags: cpuSimdFlags(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAvg1: Number(os.loadavg()[0].toFixed(2)),
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

/**
 * How many cores' worth of CPU this machine delivers right now: the work `threads` worker
 * threads get through in `ms` of the same arithmetic loop, over what one thread does alone.
 * 2.0 on two idle cores; lower when the cores are shared (other processes, a busy VM host).
 * Benchmarks that use several threads print it so their numbers can be read.
 */
export async function parallelCapacity({ threads = 2, ms = 800 } = {}) {
  const { Worker } = await import('node:worker_threads');
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const a = new Float64Array(4096); let n = 0; const end = Date.now() + workerData;
    while (Date.now() < end) { for (let i = 0; i < a.length; i++) a[i] = a[i] * 0.5 + i; n++; }
    parentPort.postMessage(n);`;
  const run = (k) =>
    Promise.all(
      Array.from(
        { length: k },
        () =>
          new Promise((resolve, reject) => {
            const w = new Worker(src, { eval: true, workerData: ms });
            w.once('message', (n) => {
              resolve(n);
              w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    ).then((ns) => ns.reduce((s, n) => s + n, 0));
  // one thread before and after: the larger is the reference (the first run also warms up)
  const before = await run(1);
  const many = await run(threads);
  const after = await run(1);
  return Number((many / Math.max(before, after)).toFixed(2));
}
