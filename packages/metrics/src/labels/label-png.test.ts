import fs from 'node:fs';
import path from 'node:path';
import { describeWithSharedData } from '@facepar/test-utils';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { CELEBAMASK_PALETTE } from './celebamask.js';
import { decodeLabelPng, encodeLabelPng } from './label-png.js';

function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

function histogram(labels: ArrayLike<number>): Record<string, number> {
  const h: Record<string, number> = {};
  for (let i = 0; i < labels.length; i++) {
    const k = String(labels[i]);
    h[k] = (h[k] ?? 0) + 1;
  }
  return h;
}

// A 4×3 label map using every kind of value we care about.
const W = 4;
const H = 3;
const SMALL = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 17, 18, 13]);

describe('encodeLabelPng / decodeLabelPng round trip', () => {
  it('palette PNG keeps the indices and writes a PLTE', () => {
    const png = encodeLabelPng({ labels: SMALL, width: W, height: H, palette: CELEBAMASK_PALETTE });
    const out = decodeLabelPng(png);
    expect(out.colorType).toBe(3);
    expect(out.bitDepth).toBe(8);
    expect([out.width, out.height]).toEqual([W, H]);
    expect([...out.labels]).toEqual([...SMALL]);
  });

  it('palette PNG with 255 (ignore) extends the palette with a grey ramp', () => {
    const labels = Uint8Array.from([0, 255, 18, 1]);
    const out = decodeLabelPng(
      encodeLabelPng({ labels, width: 2, height: 2, palette: CELEBAMASK_PALETTE }),
    );
    expect([...out.labels]).toEqual([0, 255, 18, 1]);
  });

  it('grey 8 and 16 bit', () => {
    const g8 = decodeLabelPng(encodeLabelPng({ labels: SMALL, width: W, height: H }));
    expect([g8.colorType, g8.bitDepth]).toEqual([0, 8]);
    expect(g8.labels).toBeInstanceOf(Uint8Array);
    expect([...g8.labels]).toEqual([...SMALL]);
    const l16 = Uint16Array.from([0, 300, 65535, 18]);
    const g16 = decodeLabelPng(encodeLabelPng({ labels: l16, width: 2, height: 2 }));
    expect([g16.colorType, g16.bitDepth]).toEqual([0, 16]);
    expect(g16.labels).toBeInstanceOf(Uint16Array);
    expect([...g16.labels]).toEqual([0, 300, 65535, 18]);
  });

  it('rejects a bad size and a palette PNG label above 255', () => {
    expect(() => encodeLabelPng({ labels: SMALL, width: 5, height: 3 })).toThrow(
      /12 values, expected width\*height = 15/,
    );
    expect(() =>
      encodeLabelPng({ labels: Uint16Array.from([256]), width: 1, height: 1, palette: [0, 0, 0] }),
    ).toThrow(/label 256/);
  });
});

describe('decodeLabelPng other colour types', () => {
  it('grey+alpha (type 4) reads the grey channel', () => {
    const data = Uint8Array.from([3, 255, 7, 0, 18, 128, 0, 255]);
    const out = decodeLabelPng(encode({ width: 2, height: 2, data, channels: 2, depth: 8 }));
    expect(out.colorType).toBe(4);
    expect([...out.labels]).toEqual([3, 7, 18, 0]);
  });

  it('4-bit palette and 2-bit grey are unpacked per pixel', () => {
    // 3 px wide, 4-bit: row bytes [0x12, 0x30] -> 1,2,3 ; [0x45, 0x60] -> 4,5,6
    const data = Uint8Array.from([0x12, 0x30, 0x45, 0x60]);
    const pal = Array.from({ length: 16 }, (_, i) => [i, i, i]);
    const out = decodeLabelPng(
      encode({ width: 3, height: 2, data, channels: 1, depth: 4, palette: pal }),
    );
    expect([out.colorType, out.bitDepth]).toEqual([3, 4]);
    expect([...out.labels]).toEqual([1, 2, 3, 4, 5, 6]);
    // 5 px wide 2-bit grey: 0b00011011 0b10000000 -> 0,1,2,3,2
    const g = decodeLabelPng(
      encode({ width: 5, height: 1, data: Uint8Array.from([0x1b, 0x80]), channels: 1, depth: 2 }),
    );
    expect([...g.labels]).toEqual([0, 1, 2, 3, 2]);
  });

  it('RGB colour masks map back through the palette, class 7 in both variants', () => {
    const ids = [0, 7, 13, 7, 18, 4];
    const rgb: number[] = [];
    ids.forEach((id, i) => {
      // pixel 3 uses the utils.py colour for r_brow
      if (i === 3) rgb.push(51, 255, 255);
      else
        rgb.push(
          CELEBAMASK_PALETTE[3 * id]!,
          CELEBAMASK_PALETTE[3 * id + 1]!,
          CELEBAMASK_PALETTE[3 * id + 2]!,
        );
    });
    const out = decodeLabelPng(
      encode({ width: 3, height: 2, data: Uint8Array.from(rgb), channels: 3, depth: 8 }),
    );
    expect(out.colorType).toBe(2);
    expect([...out.labels]).toEqual(ids);
    const rgba: number[] = [];
    for (let i = 0; i < ids.length; i++)
      rgba.push(rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 255);
    const out6 = decodeLabelPng(
      encode({ width: 3, height: 2, data: Uint8Array.from(rgba), channels: 4, depth: 8 }),
    );
    expect(out6.colorType).toBe(6);
    expect([...out6.labels]).toEqual(ids);
  });

  it('a custom palette replaces the default one (no alternative colours)', () => {
    const data = Uint8Array.from([10, 20, 30, 1, 2, 3, 10, 20, 30]);
    const png = encode({ width: 3, height: 1, data, channels: 3, depth: 8 });
    expect([...decodeLabelPng(png, { palette: [1, 2, 3, 10, 20, 30] }).labels]).toEqual([1, 0, 1]);
  });

  it('an unknown colour names the file, pixel and colour', () => {
    const data = Uint8Array.from([0, 0, 0, 204, 0, 0, 0, 0, 0, 1, 2, 3]);
    const png = encode({ width: 2, height: 2, data, channels: 3, depth: 8 });
    expect(() => decodeLabelPng(png, { source: 'masks/abc.png' })).toThrow(
      'masks/abc.png: unknown colour (1, 2, 3) at pixel (x=1, y=1); not in the 19-entry palette',
    );
  });

  it('names the source for a non-PNG, a truncated PNG and a bad palette option', () => {
    expect(() => decodeLabelPng(new Uint8Array([1, 2, 3]), { source: 'x.png' })).toThrow(
      /^x\.png: not a PNG file/,
    );
    const png = encodeLabelPng({ labels: SMALL, width: W, height: H });
    expect(() => decodeLabelPng(png.subarray(0, 40), { source: 'y.png' })).toThrow(
      /^y\.png: truncated PNG/,
    );
    expect(() => decodeLabelPng(png, { palette: [1, 2] })).toThrow(/palette length 2/);
  });
});

interface ManifestFile {
  path: string;
  format: string;
  width: number;
  height: number;
  color_type: number;
  palette_entries?: number;
  value_pixel_counts: Record<string, number>;
}

describeWithSharedData('decodeLabelPng on the real fixtures', 'fixtures', (dir) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'MANIFEST.json'), 'utf8')) as {
    files: ManifestFile[];
  };
  const pngs = manifest.files.filter((f) => f.format === 'PNG');

  it('covers both palette (19 and 256 entries) and grey masks', () => {
    expect(pngs.filter((f) => f.color_type === 3).length).toBe(8);
    expect(pngs.filter((f) => f.color_type === 0).length).toBe(4);
    expect(new Set(pngs.map((f) => f.palette_entries).filter(Boolean))).toEqual(new Set([19, 256]));
  });

  for (const f of pngs) {
    it(`matches the MANIFEST histogram of ${path.basename(f.path)} (type ${f.color_type})`, () => {
      const out = decodeLabelPng(fs.readFileSync(path.join(dir, f.path)), { source: f.path });
      expect(out.colorType).toBe(f.color_type);
      expect([out.width, out.height]).toEqual([f.width, f.height]);
      expect(histogram(out.labels)).toEqual(f.value_pixel_counts);
    });
  }

  it('a palette fixture re-encoded as RGB colours decodes to the same labels', () => {
    const f = pngs.find((p) => p.color_type === 3)!;
    const { labels, width, height } = decodeLabelPng(fs.readFileSync(path.join(dir, f.path)));
    const rgb = new Uint8Array(labels.length * 3);
    for (let i = 0; i < labels.length; i++)
      rgb.set(CELEBAMASK_PALETTE.subarray(3 * labels[i]!, 3 * labels[i]! + 3), 3 * i);
    const back = decodeLabelPng(encode({ width, height, data: rgb, channels: 3, depth: 8 }));
    expect(back.labels).toBeInstanceOf(Uint8Array);
    expect(mismatches(back.labels, labels)).toBe(0);
    const again = decodeLabelPng(
      encodeLabelPng({ labels, width, height, palette: CELEBAMASK_PALETTE }),
    );
    expect(mismatches(again.labels, labels)).toBe(0);
  });
});
