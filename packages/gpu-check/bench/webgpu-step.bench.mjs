// Where a WebGPU training step's wall time goes on this machine's adapter (llvmpipe here):
// pipeline compilation on a cold and a warm Mesa shader cache, recording (JS dispatch), the
// wait for the queue, and the CPU the main thread burns while it waits, with facepar's gentle
// Dawn polling and with Dawn's own busy polling. Each case is a fresh process
// (webgpu-profile.mjs). Env: BENCH_MODEL, BENCH_WIDTH, BENCH_SIZE, BENCH_BATCH, BENCH_STEPS.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchResult } from '../../../scripts/bench-lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cfg = {
  PROFILE_MODEL: process.env.BENCH_MODEL ?? 'deeplabv3plus_r18-d16-thin',
  PROFILE_WIDTH: process.env.BENCH_WIDTH ?? '1',
  PROFILE_SIZE: process.env.BENCH_SIZE ?? '128',
  PROFILE_BATCH: process.env.BENCH_BATCH ?? '2',
  PROFILE_STEPS: process.env.BENCH_STEPS ?? '6',
};
const load = os.loadavg()[0].toFixed(1);
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-mesa-cache-'));
const profile = (extra) => {
  const out = execFileSync(process.execPath, [path.join(here, 'webgpu-profile.mjs')], {
    env: { ...process.env, ...cfg, MESA_SHADER_CACHE_DIR: cache, ...extra },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out.trim().split('\n').at(-1));
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const steady = (run, key) => median(run.rows.slice(2).map((r) => r[key]));

const cold = profile({});
const warm = profile({});
const spin = profile({ PROFILE_POLL_MS: '0' });
fs.rmSync(cache, { recursive: true, force: true });
let adapter = 'unknown adapter';
try {
  const vk = execFileSync('sh', ['-c', 'ls /usr/share/vulkan/icd.d'], { encoding: 'utf8' });
  adapter = vk.includes('lvp') ? 'llvmpipe (Mesa lavapipe)' : vk.trim().replace(/\s+/g, ' ');
} catch {
  // no ICD folder
}
const what = `${cold.model} ${cold.size}² batch ${cold.batchSize} on ${adapter}`;
const rows = [
  {
    case: `${what}: first step, cold shader cache`,
    value: cold.rows[0].wallMs / 1000,
    unit: 's',
    note: `${cold.rows[0].compiles} pipelines, ${(cold.rows[0].compileMs / 1000).toFixed(1)} s compiling`,
  },
  {
    case: `${what}: first step, warm shader cache`,
    value: warm.rows[0].wallMs / 1000,
    unit: 's',
    note: `${(warm.rows[0].compileMs / 1000).toFixed(1)} s compiling`,
  },
  {
    case: `${what}: step (median, steps 3+)`,
    value: steady(warm, 'wallMs') / 1000,
    unit: 's',
    note: `load average ${load} on ${os.cpus().length} cores (shared machine)`,
  },
  {
    case: `${what}: recording (JS dispatch, uploads, submits)`,
    value: steady(warm, 'recordMs'),
    unit: 'ms',
    note: `${steady(warm, 'submits')} submits, ${steady(warm, 'buffers')} buffers created per step`,
  },
  { case: `${what}: waiting for the queue (GPU work)`, value: steady(warm, 'waitMs'), unit: 'ms' },
  {
    case: `${what}: process CPU / wall per step`,
    value: steady(warm, 'cpuMs') / steady(warm, 'wallMs'),
    unit: 'cores',
  },
  {
    case: `${what}: main-thread CPU while waiting, gentle polling`,
    value: steady(warm, 'waitMainCpuMs'),
    unit: 'ms',
    note: `of ${steady(warm, 'waitMs').toFixed(0)} ms waited`,
  },
  {
    case: `${what}: main-thread CPU while waiting, Dawn busy polling`,
    value: steady(spin, 'waitMainCpuMs'),
    unit: 'ms',
    note: `of ${steady(spin, 'waitMs').toFixed(0)} ms waited; step ${(steady(spin, 'wallMs') / 1000).toFixed(2)} s`,
  },
];
writeBenchResult({ pkg: 'gpu-check', name: 'webgpu-step', rows, extra: { cold, warm, spin } });
for (const r of rows) console.log(`${r.case}: ${r.value.toFixed(2)} ${r.unit} ${r.note ?? ''}`);
