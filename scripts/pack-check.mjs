#!/usr/bin/env node
// How users consume us: `pnpm pack` every published package (its prepack builds dist/, so a
// fresh clone needs only `pnpm install` first), `npm install` the tarballs into an empty folder
// outside the workspace, type-check and run each package README's first ```ts example there
// against the installed tarballs (not the workspace sources). Each README's install line must
// be the one scripts/pack-tarballs.mjs derives from the package.json files.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './bench-lib.mjs';
import { installCommand, packPackage, publishedPackages } from './pack-tarballs.mjs';

const keep = process.argv.includes('--keep');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-pack-check-'));
const tarDir = path.join(scratch, 'tarballs');
const app = path.join(scratch, 'app');
fs.mkdirSync(tarDir);
fs.mkdirSync(app);

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
}

const published = publishedPackages();

const failures = [];
const tarballs = [];
for (const { dir, pj } of published) {
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  const install = installCommand(pj.name, published);
  if (!readme.includes(install))
    failures.push(`${pj.name}: README.md lacks its install line:\n  ${install}`);
  const tgz = packPackage({ dir, dest: tarDir });
  tarballs.push(tgz);
  const listing = run('tar', ['-tzf', tgz], scratch).split('\n').filter(Boolean);
  const bad = listing.filter((f) => /\.test\.|\/src\/|__golden__|tsbuildinfo/.test(f));
  if (bad.length)
    failures.push(`${pj.name}: tarball ships files it should not: ${bad.slice(0, 5).join(', ')}`);
  if (!listing.includes('package/dist/index.js'))
    failures.push(`${pj.name}: tarball lacks dist/index.js (its prepack script builds it)`);
  const packed = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json'], scratch));
  if (JSON.stringify(packed).includes('workspace:'))
    failures.push(`${pj.name}: packed package.json still has workspace: ranges`);
  if (JSON.stringify(packed.exports ?? {}).includes('facepar-source'))
    failures.push(`${pj.name}: packed exports still point at src/`);
  console.log(
    `packed ${pj.name}@${pj.version}: ${listing.length} files, ${(fs.statSync(tgz).size / 1024).toFixed(0)} KiB`,
  );
}

fs.writeFileSync(
  path.join(app, 'package.json'),
  JSON.stringify({ name: 'pack-check-app', private: true, type: 'module' }, null, 2),
);
console.log(`npm install ${tarballs.length} tarballs into ${app}`);
run(
  'npm',
  ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, '@types/node@20.19.27'],
  app,
);

// Each README's first ```ts block becomes a module of the consumer app.
const examples = [];
for (const { dir, pj } of published) {
  const readme = path.join(dir, 'README.md');
  const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : '';
  const m = text.match(/```ts\n([\s\S]*?)```/);
  if (!m) {
    failures.push(`${pj.name}: README.md has no \`\`\`ts example`);
    continue;
  }
  const file = `${path.basename(dir)}.ts`;
  fs.writeFileSync(path.join(app, file), m[1]);
  examples.push({ name: pj.name, file });
}
fs.writeFileSync(
  path.join(app, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      outDir: 'out',
      types: ['node'],
    },
    include: examples.map((e) => e.file),
  }),
);
try {
  run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
} catch (e) {
  failures.push(
    `README examples do not type-check against the installed tarballs:\n${e.stdout ?? e.message}`,
  );
}
for (const ex of examples) {
  const js = path.join(app, 'out', ex.file.replace(/\.ts$/, '.js'));
  if (!fs.existsSync(js)) continue;
  try {
    const out = run(process.execPath, [js], app);
    console.log(
      `ran ${ex.name} README example: ok${out.trim() ? `\n  ${out.trim().split('\n').join('\n  ')}` : ''}`,
    );
  } catch (e) {
    failures.push(
      `${ex.name}: README example failed when run from the installed tarball: ${e.message}`,
    );
  }
}

if (!keep) fs.rmSync(scratch, { recursive: true, force: true });
else console.log(`kept ${scratch}`);
if (failures.length) {
  console.error(`\npack check FAILED:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`\npack check passed for ${published.length} packages`);
