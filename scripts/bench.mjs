#!/usr/bin/env node
// Runs every packages/*/bench/*.bench.mjs and examples/*/bench/*.bench.mjs (or those whose
// path contains one of the CLI arguments), then rewrites the README benchmark table from
// bench/results/*.json. Each bench writes its own JSON through scripts/bench-lib.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, RESULTS_DIR } from './bench-lib.mjs';

const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const tableOnly = process.argv.includes('--table-only');

function findBenches() {
  const out = [];
  for (const group of ['packages', 'examples']) {
    const groupDir = path.join(REPO_ROOT, group);
    for (const pkg of fs.readdirSync(groupDir).sort()) {
      const dir = path.join(groupDir, pkg, 'bench');
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir).sort()) {
        if (f.endsWith('.bench.mjs')) out.push(path.join(dir, f));
      }
    }
  }
  return out.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
}

function fmt(v) {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function renderTable(results) {
  const lines = [
    '| package | benchmark | case | value | goal | note |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const row of r.rows) {
      lines.push(
        `| ${r.package} | ${r.name} | ${row.case} | ${fmt(row.value)} ${row.unit} | ${row.goal ?? ''} | ${row.note ?? ''} |`,
      );
    }
  }
  const dates = results.map((r) => r.date).sort();
  const m = results[0]?.machine;
  if (m) {
    lines.push('');
    lines.push(
      `Measured ${dates[0]?.slice(0, 10)}..${dates.at(-1)?.slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}${m.cpuFlags ? `; CPU SIMD flags: ${m.cpuFlags}` : ''}. Raw JSON: \`bench/results/\`.`,
    );
  }
  return lines.join('\n');
}

function updateReadme() {
  if (!fs.existsSync(RESULTS_DIR)) return;
  const results = fs
    .readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), 'utf8')));
  const readme = path.join(REPO_ROOT, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
  const next = `${text.slice(0, i + start.length)}\n${renderTable(results)}\n${text.slice(j)}`;
  fs.writeFileSync(readme, next);
  // keep the README in the formatter's shape so `pnpm lint` stays green after a bench run
  spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', readme], {
    stdio: 'ignore',
  });
  console.log(`README.md benchmark table: ${results.length} result file(s)`);
}

if (!tableOnly) {
  const benches = findBenches();
  if (benches.length === 0) console.log('no benchmark matched');
  let failed = 0;
  for (const file of benches) {
    console.log(`\n=== ${path.relative(REPO_ROOT, file)}`);
    const r = spawnSync(process.execPath, [file], {
      stdio: 'inherit',
      cwd: path.dirname(path.dirname(file)),
    });
    if (r.status !== 0) {
      failed++;
      console.error(`bench failed: ${path.relative(REPO_ROOT, file)} (exit ${r.status})`);
    }
  }
  updateReadme();
  if (failed) process.exit(1);
} else {
  updateReadme();
}
