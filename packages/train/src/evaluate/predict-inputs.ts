import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, sep } from 'node:path';

/** What `predict` reads from a folder: photos, and `.npy` arrays already normalised. */
export const PREDICT_INPUT_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.npy'] as const;

const isGlob = (s: string) => /[*?[]/.test(s);

function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${segment
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a glob (`*`, `?`, `[...]` within a segment; `**` any depth), sorted. */
function globFiles(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  const first = parts.findIndex(isGlob);
  const base = parts.slice(0, first).join('/') || (absolute ? '/' : '.');
  const rest = parts.slice(first);
  const out: string[] = [];
  const walk = (dir: string, k: number): void => {
    const seg = rest[k]!;
    let entries: { name: string; dir: boolean }[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).map((e) => ({
        name: e.name,
        dir: e.isDirectory() || (e.isSymbolicLink() && statSync(join(dir, e.name)).isDirectory()),
      }));
    } catch {
      return;
    }
    if (seg === '**') {
      if (k + 1 < rest.length) walk(dir, k + 1);
      for (const e of entries) if (e.dir && !e.name.startsWith('.')) walk(join(dir, e.name), k);
      return;
    }
    const re = segmentRegExp(seg);
    for (const e of entries) {
      if (!re.test(e.name) || (e.name.startsWith('.') && !seg.startsWith('.'))) continue;
      const path = join(dir, e.name);
      if (k === rest.length - 1) {
        if (!e.dir) out.push(path);
      } else if (e.dir) walk(path, k + 1);
    }
  };
  walk(base, 0);
  return out.sort();
}

/**
 * The files `predict` runs on, in order: a file as given, a folder's photos and `.npy` arrays
 * (sorted; not its subfolders), a glob's matches (quoted so the shell leaves it, e.g.
 * `'photos/*.jpg'`). Anything that names nothing is an error naming it; so are two inputs with
 * the same stem (their outputs would collide).
 */
export function expandPredictInputs(inputs: readonly string[]): string[] {
  if (inputs.length === 0) throw new Error('predict: no input (pass --input FILE|DIR|GLOB ...)');
  const files: string[] = [];
  const exts: readonly string[] = PREDICT_INPUT_EXTENSIONS;
  for (const input of inputs) {
    const stat = statSync(input, { throwIfNoEntry: false });
    let found: string[];
    if (stat?.isDirectory()) {
      found = readdirSync(input)
        .filter((f) => exts.includes(extname(f).toLowerCase()) && !f.startsWith('.'))
        .sort()
        .map((f) => join(input, f));
      found = found.filter((f) => statSync(f).isFile());
      if (found.length === 0)
        throw new Error(`predict: folder ${input} holds no ${exts.join('/')} file`);
    } else if (stat) found = [input];
    else if (isGlob(input)) {
      found = globFiles(input.split(sep).join('/'));
      if (found.length === 0) throw new Error(`predict: no file matches ${input}`);
    } else throw new Error(`predict: input ${input} does not exist`);
    files.push(...found);
  }
  const byStem = new Map<string, string>();
  for (const f of files) {
    const stem = predictionStem(f);
    const other = byStem.get(stem);
    if (other !== undefined && other !== f) {
      throw new Error(`predict: ${other} and ${f} have the same stem '${stem}' (one output each)`);
    }
    byStem.set(stem, f);
  }
  return [...new Set(files)];
}

/** The name `predict` and `eval --save-pred` give an input's outputs: its file name's stem. */
export function predictionStem(file: string): string {
  const name = basename(file);
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}
