import { describe, expect, it } from 'vitest';
import * as vl from 'vega-lite';
import { curvesSpec, renderCurves } from './curves.js';
import type { LogRecord } from '@facepar/train';

describe('renderCurves', () => {
  it('renders an SVG with the axis titles and a PNG with text pixels', async () => {
    const records: LogRecord[] = [];
    for (let iter = 10; iter <= 100; iter += 10) {
      const loss = 2 / Math.sqrt(iter);
      records.push({
        kind: 'train',
        iter,
        loss,
        decodeLoss: loss * 0.7,
        auxLoss: loss * 0.75,
        lr: 0.01,
        pixelAcc: 0.5,
        time: 0,
      });
      if (iter % 50 === 0)
        records.push({ kind: 'eval', iter, mIoU: iter / 200, aAcc: 0.9, mAcc: 0.5, time: 0 });
    }
    const { svg, png } = await renderCurves({ records, title: 'demo run' });
    for (const text of [
      'Iteration',
      'Loss',
      'mIoU (%)',
      'Training loss',
      'Validation mIoU',
      'demo run',
    ]) {
      expect(svg).toContain(text);
    }
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR width at bytes 16..19: two 360-px panels at scale 2 -> well over 1000 px
    const width = new DataView(png.buffer, png.byteOffset).getUint32(16);
    expect(width).toBeGreaterThan(1000);
  });

  it('one evaluation: integer iteration ticks from 0, the loss legend beside the loss panel', async () => {
    const records: LogRecord[] = [
      ...[{ kind: 'train', iter: 40, loss: 2, decodeLoss: 1.4, auxLoss: 0.6 }].map((r) => ({
        ...(r as { kind: 'train'; iter: number; loss: number; decodeLoss: number }),
        lr: 0.01,
        pixelAcc: 0.5,
        time: 0,
      })),
      { kind: 'eval', iter: 40, mIoU: 0.2, aAcc: 0.5, mAcc: 0.3, time: 0 },
    ];
    const { svg } = await renderCurves({ records });
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    expect(texts.join('|')).not.toMatch(/40\.0+/);
    const ticks = texts.slice(0, texts.indexOf('Iteration'));
    expect(ticks[0]).toBe('0');
    expect(ticks.at(-1)).toBe('40');
    expect(ticks.every((t) => /^\d+$/.test(t))).toBe(true);
    // vega places a legend in the group of the panel it belongs to
    const vega = vl.compile(curvesSpec({ records })).spec as {
      legends?: unknown[];
      marks: { name: string; legends?: { title?: string }[] }[];
    };
    expect(vega.legends ?? []).toEqual([]);
    expect(vega.marks.map((m) => [m.name, m.legends?.map((l) => l.title) ?? []])).toEqual([
      ['concat_0_group', ['Loss']],
      ['concat_1_group', []],
    ]);
  });
});
