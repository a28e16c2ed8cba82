import { describe, expect, it } from 'vitest';
import { renderCurves } from './curves.js';
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
});
