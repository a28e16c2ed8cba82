import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, readCheckpointPointers, saveCheckpoint } from './run-checkpoint.js';

function runDir(): string {
  return mkdtempSync(join(tmpdir(), 'facepar-ckpt-'));
}

describe('checkpoints', () => {
  it('round-trips state and files, and follows latest.json', async () => {
    const workDir = runDir();
    await saveCheckpoint({
      workDir,
      iter: 10,
      state: { lr: 0.5, rng: [1, 2] },
      files: { 'weights.bin': new Uint8Array([9, 8, 7]) },
    });
    const loaded = loadCheckpoint<{ lr: number; rng: number[] }>({ path: workDir });
    expect(loaded.iter).toBe(10);
    expect(loaded.state).toEqual({ lr: 0.5, rng: [1, 2] });
    expect([...loaded.readFile('weights.bin')]).toEqual([9, 8, 7]);
    expect(() => loaded.readFile('nope.bin')).toThrow(/nope\.bin' is missing/);
    // the checkpoint folder itself loads too
    expect(loadCheckpoint({ path: loaded.dir }).iter).toBe(10);
  });

  it('a crash mid-save leaves the previous checkpoint intact and pointed to', async () => {
    const workDir = runDir();
    await saveCheckpoint({
      workDir,
      iter: 1,
      state: { v: 'old' },
      files: { 'w.bin': 'old-weights' },
    });
    await expect(
      saveCheckpoint({
        workDir,
        iter: 2,
        state: { v: 'new' },
        files: { 'w.bin': 'new-weights' },
        beforePublish: () => {
          throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const loaded = loadCheckpoint<{ v: string }>({ path: workDir });
    expect(loaded.iter).toBe(1);
    expect(loaded.state.v).toBe('old');
    expect(new TextDecoder().decode(loaded.readFile('w.bin'))).toBe('old-weights');
    expect(readdirSync(join(workDir, 'checkpoints')).sort()).toEqual([
      'iter_000001',
      'latest.json',
    ]);
  });

  it('a stale temp folder from a killed process is ignored and cleaned', async () => {
    const workDir = runDir();
    await saveCheckpoint({ workDir, iter: 1, state: {}, files: {} });
    const stale = join(workDir, 'checkpoints', '.iter_000002.tmp-99999');
    writeFileSync(`${stale}`, 'half');
    expect(loadCheckpoint({ path: workDir }).iter).toBe(1);
    await saveCheckpoint({ workDir, iter: 3, state: {}, files: {} });
    expect(existsSync(stale)).toBe(false);
  });

  it('keeps the best by score plus the latest, pruning others', async () => {
    const workDir = runDir();
    const scores = [0.2, 0.5, 0.4, 0.3, undefined];
    for (const [i, score] of scores.entries()) {
      await saveCheckpoint({
        workDir,
        iter: (i + 1) * 10,
        state: {},
        files: {},
        score,
        keepPrevious: 0,
      });
    }
    const { latest, best } = readCheckpointPointers({ workDir });
    expect(latest?.iter).toBe(50);
    expect(best).toEqual({ name: 'iter_000020', iter: 20, score: 0.5 });
    expect(readdirSync(join(workDir, 'checkpoints')).sort()).toEqual([
      'best.json',
      'iter_000020',
      'iter_000050',
      'latest.json',
    ]);
    expect(loadCheckpoint({ path: workDir, which: 'best' }).score).toBe(0.5);
  });

  it('saving the same iteration twice keeps both folders distinct', async () => {
    const workDir = runDir();
    await saveCheckpoint({ workDir, iter: 5, state: { k: 1 }, files: {} });
    const second = await saveCheckpoint({ workDir, iter: 5, state: { k: 2 }, files: {} });
    expect(second.name).toBe('iter_000005-2');
    expect(loadCheckpoint<{ k: number }>({ path: workDir }).state.k).toBe(2);
  });

  it('names the missing path and the fix', async () => {
    const workDir = runDir();
    expect(() => loadCheckpoint({ path: join(workDir, 'nope') })).toThrow(/does not exist/);
    expect(() => loadCheckpoint({ path: workDir })).toThrow(
      /no checkpoint in .*expected state\.json or checkpoints\/latest\.json/,
    );
  });

  it('an old trainer checkpoint folder gives a clear error naming what still works', () => {
    const dir = join(runDir(), 'iter_000010');
    mkdirSync(dir, { recursive: true });
    const state = { config: { model: 'deeplabv3plus_r18-d16-thin' } };
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({ format: 'facepar-checkpoint/1', iter: 10, state }),
    );
    expect(() => loadCheckpoint({ path: dir })).toThrow(
      /facepar 0\.1 .*facepar predict --model deeplabv3plus_r18-d16-thin --weights .*iter_000010\/weights\.safetensors/,
    );
  });
});
