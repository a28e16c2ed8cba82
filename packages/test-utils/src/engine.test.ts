import fs from 'node:fs';
import path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from './index.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('workspace invariants', () => {
  it('pins every @tensorflow/* dependency to one version (one engine)', () => {
    const dirs = ['packages', 'examples'].flatMap((d) =>
      fs.readdirSync(path.join(root, d)).map((n) => path.join(root, d, n, 'package.json')),
    );
    const seen = new Map<string, Set<string>>();
    for (const file of dirs.filter((f) => fs.existsSync(f))) {
      const pj = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
        for (const [name, range] of Object.entries<string>(pj[field] ?? {})) {
          if (!name.startsWith('@tensorflow/')) continue;
          if (!seen.has(name)) seen.set(name, new Set());
          seen.get(name)!.add(range);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(2);
    for (const [name, ranges] of seen) expect([name, [...ranges]]).toEqual([name, ['4.22.0']]);
  });

  it('resolves one installed copy of tfjs-core', () => {
    const store = path.join(root, 'node_modules', '.pnpm');
    const copies = fs.readdirSync(store).filter((n) => n.startsWith('@tensorflow+tfjs-core@'));
    expect(copies).toEqual(['@tensorflow+tfjs-core@4.22.0']);
    expect(tf.version_core).toBe('4.22.0');
  });

  it('expectNoTensorLeak catches a leak and passes a clean function', async () => {
    await tf.setBackend('cpu');
    const kept: tf.Tensor[] = [];
    await expect(
      expectNoTensorLeak(() => {
        kept.push(tf.ones([2]));
      }),
    ).rejects.toThrow(/leaked 1 tensor/);
    tf.dispose(kept);
    await expectNoTensorLeak(() => tf.tidy(() => tf.sum(tf.add(tf.ones([2]), 1))));
  });
});
