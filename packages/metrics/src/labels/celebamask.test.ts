import { describe, expect, it } from 'vitest';
import {
  CELEBAMASK_ALT_COLORS,
  CELEBAMASK_CLASSES,
  CELEBAMASK_FLIP_PAIRS,
  CELEBAMASK_ORDERS,
  CELEBAMASK_PALETTE,
  flipLabelTable,
  labelRemapTable,
} from './celebamask.js';

// g_color.py color_list, copied from DATA-FORMATS.md §1.5.
const G_COLOR = [
  [0, 0, 0],
  [204, 0, 0],
  [76, 153, 0],
  [204, 204, 0],
  [51, 51, 255],
  [204, 0, 204],
  [0, 255, 255],
  [255, 204, 204],
  [102, 51, 0],
  [255, 0, 0],
  [102, 204, 0],
  [255, 255, 0],
  [0, 0, 153],
  [0, 0, 204],
  [255, 51, 153],
  [0, 204, 204],
  [0, 51, 0],
  [255, 153, 51],
  [0, 204, 0],
];
// g_mask.py list2.
const LIST2 = [
  'skin',
  'nose',
  'eye_g',
  'l_eye',
  'r_eye',
  'l_brow',
  'r_brow',
  'l_ear',
  'r_ear',
  'mouth',
  'u_lip',
  'l_lip',
  'hair',
  'hat',
  'ear_r',
  'neck_l',
  'neck',
  'cloth',
];

describe('CELEBAMASK_CLASSES', () => {
  it('follows the official g_mask list2 order with background at 0', () => {
    expect(CELEBAMASK_CLASSES.map((c) => c.name)).toEqual(['background', ...LIST2]);
    expect(CELEBAMASK_CLASSES.map((c) => c.id)).toEqual([...Array(19).keys()]);
    expect(new Set(CELEBAMASK_CLASSES.map((c) => c.displayName)).size).toBe(19);
  });

  it('uses the g_color.py palette', () => {
    expect(CELEBAMASK_CLASSES.map((c) => [...c.color])).toEqual(G_COLOR);
    expect(CELEBAMASK_PALETTE.length).toBe(57);
    expect([...CELEBAMASK_PALETTE]).toEqual(G_COLOR.flat());
  });

  it('lists the utils.py alternative colour for r_brow', () => {
    expect(CELEBAMASK_ALT_COLORS).toEqual([{ id: 7, color: [51, 255, 255] }]);
  });
});

describe('flipLabelTable', () => {
  it('swaps the l/r pairs, keeps the rest, and is an involution', () => {
    expect(CELEBAMASK_FLIP_PAIRS).toEqual([
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    const t = flipLabelTable();
    expect([...t.subarray(0, 19)]).toEqual([
      0, 1, 2, 3, 5, 4, 7, 6, 9, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18,
    ]);
    expect(t[255]).toBe(255);
    for (let i = 0; i < 256; i++) expect(t[t[i]!]).toBe(i);
    // every l_ name maps to the matching r_ name
    for (const [a, b] of CELEBAMASK_FLIP_PAIRS) {
      expect(CELEBAMASK_CLASSES[a]!.name.replace('l_', 'r_')).toBe(CELEBAMASK_CLASSES[b]!.name);
    }
  });

  it('rejects out-of-range pair values', () => {
    expect(() => flipLabelTable({ pairs: [[4, 300]] })).toThrow(/300/);
  });
});

describe('labelRemapTable', () => {
  it('maps official ids to face-parsing.PyTorch and FaRL ids by name', () => {
    const toZll = labelRemapTable({ from: 'official', to: 'faceParsingPytorch' });
    // official hair (13) is 17 in face-parsing.PyTorch, hat (14) is 18, nose (2) is 10
    expect(toZll[13]).toBe(17);
    expect(toZll[14]).toBe(18);
    expect(toZll[2]).toBe(10);
    expect(toZll[255]).toBe(255);
    const toFarl = labelRemapTable({ from: 'official', to: 'farl' });
    expect(toFarl[17]).toBe(1); // neck
    expect(toFarl[1]).toBe(2); // skin
    expect(toFarl[3]).toBe(15); // eye_g
  });

  it('round-trips every order through the official one', () => {
    for (const order of Object.keys(CELEBAMASK_ORDERS) as (keyof typeof CELEBAMASK_ORDERS)[]) {
      expect([...CELEBAMASK_ORDERS[order]].sort()).toEqual([...CELEBAMASK_ORDERS.official].sort());
      const there = labelRemapTable({ from: 'official', to: order });
      const back = labelRemapTable({ from: order, to: 'official' });
      for (let i = 0; i < 19; i++) expect(back[there[i]!]).toBe(i);
    }
  });

  it('names the known orders on a bad name', () => {
    // biome-ignore lint/suspicious/noExplicitAny: testing a bad runtime value
    expect(() => labelRemapTable({ from: 'bisenet' as any, to: 'official' })).toThrow(
      /unknown from order 'bisenet'; known: official, faceParsingPytorch, farl/,
    );
  });
});
