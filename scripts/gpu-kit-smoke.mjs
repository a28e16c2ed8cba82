#!/usr/bin/env node
// `pnpm gpu-kit:smoke`: the GPU kit end to end, cheaply (what CI runs). Builds the kit, copies
// it into an empty folder (no node_modules, no pnpm), runs it there with the kit's own Node and
// Vulkan loader at a small size on whatever adapter exists (llvmpipe in CI), and checks the
// JSON: every step passed and the numbers are finite.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './bench-lib.mjs';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-kit-smoke-'));
const kit = path.join(work, 'built');
const empty = path.join(work, 'empty');
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...opts });

sh('node', [path.join(REPO_ROOT, 'scripts', 'gpu-kit.mjs'), '--out', kit, '--xz-level', '0']);
fs.mkdirSync(empty);
sh('cp', ['-R', kit, path.join(empty, 'kit')]);
const result = path.join(empty, 'result.json');
const args = ['--out', result, '--size', '64', '--batch', '2', '--steps', '3', '--warmup', '1'];
args.push('--width', '0.0625', '--parity-size', '64', '--budget', '300');
let status = 0;
try {
  sh(path.join(empty, 'kit', 'run.sh'), args, {
    cwd: empty,
    env: { ...process.env, FACEPAR_KIT_OWN_NODE: '1', FACEPAR_KIT_OWN_LOADER: '1' },
  });
} catch (e) {
  status = e.status ?? 1;
}
const report = JSON.parse(fs.readFileSync(result, 'utf8'));
const train = report.steps?.train?.result ?? {};
const parity = report.steps?.parity?.result ?? {};
const finite = (v) => typeof v === 'number' && Number.isFinite(v);
const problems = [];
if (status !== 0 || report.ok !== true) problems.push(`run.sh exited ${status}, ok ${report.ok}`);
if (!report.environment?.FACEPAR_KIT_NODE?.startsWith('kit ')) problems.push('not the kit Node');
if (!String(report.environment?.FACEPAR_KIT_VULKAN_LOADER).startsWith('kit'))
  problems.push('not the kit Vulkan loader');
for (const [k, v] of Object.entries({
  secondsPerIter: train.secondsPerIter,
  peakGpuBytesAllocated: train.peakGpuBytesAllocated,
  maxAbsErr: parity.maxAbsErr,
})) {
  if (!finite(v)) problems.push(`${k} is ${v}`);
}
if (!(Array.isArray(train.losses) && train.losses.length >= 4 && train.losses.every(finite)))
  problems.push(`losses ${JSON.stringify(train.losses)}`);
for (const [name, s] of Object.entries(report.steps ?? {})) {
  console.log(`${name}: ${s.ok ? 'ok' : (s.skipped ?? s.error)} (${s.seconds.toFixed(1)} s)`);
}
if (problems.length > 0) {
  console.error(`gpu-kit smoke: FAILED: ${problems.join('; ')} (report: ${result})`);
  process.exit(1);
}
console.log(
  `gpu-kit smoke: passed from an empty folder: ${train.secondsPerIter.toFixed(2)} s/iteration, parity ${parity.maxAbsErr.toExponential(1)}`,
);
fs.rmSync(work, { recursive: true, force: true });
