import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * URL of a compiled worker script beside this module. Running from src/ (tests through the
 * `facepar-source` condition) there is no .js there, so the built dist/ copy is used.
 */
export function compiledWorkerUrl(options: { name: string; caller: string }): URL {
  const here = new URL(`./${options.name}`, import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here;
  const dist = new URL(`../dist/${options.name}`, import.meta.url);
  if (fs.existsSync(fileURLToPath(dist))) return dist;
  throw new Error(
    `${options.caller}: workers need the compiled ${fileURLToPath(here)}; build the package (tsc -b) or pass workers: 0`,
  );
}

/**
 * The parent's Node flags minus the workspace `facepar-source` condition: the worker is compiled
 * JS, and that condition would point workspace packages at .ts sources (as under vitest).
 */
export function workerExecArgv(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    if ((a[i] === '--conditions' || a[i] === '-C') && a[i + 1] === 'facepar-source') {
      i++;
      continue;
    }
    if (a[i] === '--conditions=facepar-source') continue;
    out.push(a[i]!);
  }
  return out;
}
