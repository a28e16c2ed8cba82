#!/usr/bin/env node
// Until @facepar/* is on npm, users install tarballs: `pnpm pack-tarballs [DIR]` packs every
// published package into DIR (default tarballs/; each package's `prepack` builds its dist/
// first) and prints, per package, the `npm install` line that installs it: its tarball, the
// tarballs of the facepar packages it depends on, and the tfjs peers, pinned. The package
// READMEs carry those lines; scripts/pack-check.mjs checks that they still match.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bench-lib.mjs';

/** Where the READMEs' install lines expect the tarballs: a clone named facepar, beside. */
export const TARBALL_DIR = 'facepar/tarballs';

/** Every published (non-private) package: `{ dir, pj }`, in folder order. */
export function publishedPackages() {
  const pkgsDir = path.join(REPO_ROOT, 'packages');
  return fs
    .readdirSync(pkgsDir)
    .map((d) => path.join(pkgsDir, d))
    .filter((d) => fs.existsSync(path.join(d, 'package.json')))
    .map((dir) => ({
      dir,
      pj: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')),
    }))
    .filter(({ pj }) => !pj.private);
}

/** `pnpm pack` of one package into `dest` (its prepack builds it); returns the tarball. */
export function packPackage({ dir, dest }) {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', dest], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const last = out.trim().split('\n').at(-1);
  return path.isAbsolute(last) ? last : path.join(dest, path.basename(last));
}

/**
 * The `npm install` line of a package: its tarball and those of its facepar dependencies
 * (transitively), then every non-optional peer of all of them at its pinned version.
 */
export function installCommand(name, packages = publishedPackages()) {
  const byName = new Map(packages.map((p) => [p.pj.name, p.pj]));
  const order = [];
  const visit = (n) => {
    if (order.includes(n)) return;
    order.push(n);
    for (const dep of Object.keys(byName.get(n).dependencies ?? {}))
      if (byName.has(dep)) visit(dep);
  };
  visit(name);
  const peers = new Map();
  for (const n of order) {
    const pj = byName.get(n);
    for (const [peer, range] of Object.entries(pj.peerDependencies ?? {})) {
      if (!pj.peerDependenciesMeta?.[peer]?.optional) peers.set(peer, range);
    }
  }
  const tarball = (n) => `${TARBALL_DIR}/${n.replace('@', '').replace('/', '-')}-*.tgz`;
  const peerArgs = [...peers].sort().map(([p, v]) => `${p}@${v}`);
  return ['npm install', ...order.map(tarball), ...peerArgs].join(' ');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dest = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'tarballs'));
  fs.mkdirSync(dest, { recursive: true });
  const packages = publishedPackages();
  for (const p of packages)
    console.log(`packed ${path.relative(process.cwd(), packPackage({ ...p, dest }))}`);
  console.log(`\nInstall one (run beside the clone; the README of each package has its line):`);
  for (const p of packages) console.log(`  ${installCommand(p.pj.name, packages)}`);
}
