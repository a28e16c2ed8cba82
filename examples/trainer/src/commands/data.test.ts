import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeLabelPng, encodeLabelPng } from '@facepar/metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { createDataCommand } from './data.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-data-cmd-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await createDataCommand({ out: (l) => lines.push(l) }).run(argv);
  return { code, lines };
}

describe('facepar data', () => {
  it('synth writes the course layout; stats counts its masks', async () => {
    const out = path.join(tmp, 'synth');
    const s = await run([
      'synth',
      '--out',
      out,
      '--count',
      '5',
      '--size',
      '32',
      '--val-fraction',
      '0.2',
    ]);
    expect(s.code).toBe(0);
    expect(s.lines).toEqual([`train: 4 samples in ${out}/train`, `val: 1 samples in ${out}/val`]);
    const j = await run(['stats', '--masks', path.join(out, 'train', 'masks'), '--json']);
    const stats = JSON.parse(j.lines.join('\n'));
    expect(stats.files).toBe(4);
    expect(stats.totalPixels).toBe(4 * 32 * 32);
    expect(stats.presence[1]).toBe(4);
  });

  it('stats prints a per-class table (hand-computed)', async () => {
    const dir = path.join(tmp, 'masks');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'a.png'),
      encodeLabelPng({ labels: Uint8Array.from([0, 1, 1, 13]), width: 2, height: 2 }),
    );
    const { code, lines } = await run(['stats', '--masks', dir]);
    expect(code).toBe(0);
    expect(lines[0]).toBe('1 masks, 4 labelled pixels, 0 ignored');
    expect(lines[3]).toMatch(/^\s+1\s+skin\s+2\s+50\.000\s+1$/);
    expect(lines[15]).toMatch(/^\s+13\s+hair\s+1\s+25\.000\s+1$/);
  });

  it('convert combines per-part masks (higher id wins) into palette PNGs', async () => {
    const root = path.join(tmp, 'official');
    fs.mkdirSync(path.join(root, 'CelebA-HQ-img'), { recursive: true });
    fs.mkdirSync(path.join(root, 'CelebAMask-HQ-mask-anno', '0'), { recursive: true });
    // convert reads only the masks; the image just has to exist
    fs.writeFileSync(path.join(root, 'CelebA-HQ-img', '3.jpg'), 'not decoded');
    const part = (name: string, m: number[]) =>
      fs.writeFileSync(
        path.join(root, 'CelebAMask-HQ-mask-anno', '0', `00003_${name}.png`),
        encodeLabelPng({ labels: Uint8Array.from(m), width: 4, height: 1 }),
      );
    part('skin', [255, 255, 255, 0]);
    part('hair', [255, 0, 0, 0]);
    part('nose', [0, 255, 0, 0]);
    const out = path.join(tmp, 'combined');
    const { code, lines } = await run(['convert', '--root', root, '--out', out]);
    expect(code).toBe(0);
    expect(lines).toEqual([`wrote 1 label maps to ${out}`]);
    const png = decodeLabelPng(fs.readFileSync(path.join(out, '3.png')));
    expect([png.colorType, ...png.labels]).toEqual([3, 13, 2, 1, 0]);
  });

  it('reports usage errors', async () => {
    await expect(run(['stats'])).rejects.toThrow(UsageError);
    await expect(run(['frobnicate'])).rejects.toThrow(
      /expected one subcommand \(stats, convert, synth\)/,
    );
    await expect(run(['synth', '--out', tmp, '--val-fraction', '2'])).rejects.toThrow(
      /--val-fraction/,
    );
  });
});
