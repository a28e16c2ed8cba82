/** One CelebAMask-HQ class: id (label value), short name, display name, g_color.py colour. */
export interface CelebAMaskClass {
  readonly id: number;
  readonly name: string;
  readonly displayName: string;
  readonly color: readonly [number, number, number];
}

/**
 * The 19 classes in the official order (`g_mask.py` list2, id = position + 1, 0 = background)
 * with the `g_color.py` palette. `l_*` is the subject's left, seen on the image's right.
 */
export const CELEBAMASK_CLASSES: readonly CelebAMaskClass[] = Object.freeze([
  { id: 0, name: 'background', displayName: 'Background', color: [0, 0, 0] },
  { id: 1, name: 'skin', displayName: 'Skin', color: [204, 0, 0] },
  { id: 2, name: 'nose', displayName: 'Nose', color: [76, 153, 0] },
  { id: 3, name: 'eye_g', displayName: 'Eyeglasses', color: [204, 204, 0] },
  { id: 4, name: 'l_eye', displayName: 'Left eye', color: [51, 51, 255] },
  { id: 5, name: 'r_eye', displayName: 'Right eye', color: [204, 0, 204] },
  { id: 6, name: 'l_brow', displayName: 'Left eyebrow', color: [0, 255, 255] },
  { id: 7, name: 'r_brow', displayName: 'Right eyebrow', color: [255, 204, 204] },
  { id: 8, name: 'l_ear', displayName: 'Left ear', color: [102, 51, 0] },
  { id: 9, name: 'r_ear', displayName: 'Right ear', color: [255, 0, 0] },
  { id: 10, name: 'mouth', displayName: 'Mouth', color: [102, 204, 0] },
  { id: 11, name: 'u_lip', displayName: 'Upper lip', color: [255, 255, 0] },
  { id: 12, name: 'l_lip', displayName: 'Lower lip', color: [0, 0, 153] },
  { id: 13, name: 'hair', displayName: 'Hair', color: [0, 0, 204] },
  { id: 14, name: 'hat', displayName: 'Hat', color: [255, 51, 153] },
  { id: 15, name: 'ear_r', displayName: 'Earring', color: [0, 204, 204] },
  { id: 16, name: 'neck_l', displayName: 'Necklace', color: [0, 51, 0] },
  { id: 17, name: 'neck', displayName: 'Neck', color: [255, 153, 51] },
  { id: 18, name: 'cloth', displayName: 'Clothes', color: [0, 204, 0] },
] as const satisfies readonly CelebAMaskClass[]);

export const CELEBAMASK_NUM_CLASSES = 19;

/** The label value that marks pixels to ignore (mmseg `ignore_index`). */
export const CELEBAMASK_IGNORE_INDEX = 255;

/** Class names in id order. */
export const CELEBAMASK_CLASS_NAMES: readonly string[] = Object.freeze(
  CELEBAMASK_CLASSES.map((c) => c.name),
);

/** The `g_color.py` palette as 19 × RGB bytes (index = class id). */
export const CELEBAMASK_PALETTE: Uint8Array = Uint8Array.from(
  CELEBAMASK_CLASSES.flatMap((c) => [...c.color]),
);

/**
 * Other colours used for a class in official files: `utils.py::labelcolormap` and the
 * MaskGAN demo colour class 7 (r_brow) as (51, 255, 255) instead of (255, 204, 204).
 */
export const CELEBAMASK_ALT_COLORS: readonly {
  readonly id: number;
  readonly color: readonly [number, number, number];
}[] = Object.freeze([{ id: 7, color: [51, 255, 255] }] as const);

/** Left/right class pairs a horizontal flip must swap (l_eye/r_eye, l_brow/r_brow, l_ear/r_ear). */
export const CELEBAMASK_FLIP_PAIRS: readonly (readonly [number, number])[] = Object.freeze([
  [4, 5],
  [6, 7],
  [8, 9],
] as const);

/**
 * Lookup table of 256 entries mapping every label to its mirror label (swapping each pair,
 * identity elsewhere, 255 stays 255).
 */
export function flipLabelTable(
  options: { pairs?: readonly (readonly [number, number])[] } = {},
): Uint8Array {
  const pairs = options.pairs ?? CELEBAMASK_FLIP_PAIRS;
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = i;
  for (const [a, b] of pairs) {
    for (const v of [a, b]) {
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new Error(`flipLabelTable: pair value ${v} is not an integer in 0..255`);
      }
    }
    table[a] = b;
    table[b] = a;
  }
  return table;
}

/** Part names of other published 19-class CelebAMask-HQ orders (index = that order's id). */
export const CELEBAMASK_ORDERS = Object.freeze({
  /** Official `g_mask.py` list2 order (this package's order). */
  official: CELEBAMASK_CLASS_NAMES,
  /** zllrunning/face-parsing.PyTorch `prepropess_data.py` `atts` order (+ background at 0). */
  faceParsingPytorch: Object.freeze([
    'background',
    'skin',
    'l_brow',
    'r_brow',
    'l_eye',
    'r_eye',
    'eye_g',
    'l_ear',
    'r_ear',
    'ear_r',
    'nose',
    'mouth',
    'u_lip',
    'l_lip',
    'neck',
    'neck_l',
    'cloth',
    'hair',
    'hat',
  ]),
  /** FaRL / facer `celebm` label names. */
  farl: Object.freeze([
    'background',
    'neck',
    'skin',
    'cloth',
    'l_ear',
    'r_ear',
    'l_brow',
    'r_brow',
    'l_eye',
    'r_eye',
    'nose',
    'mouth',
    'l_lip',
    'u_lip',
    'hair',
    'eye_g',
    'hat',
    'ear_r',
    'neck_l',
  ]),
} as const);

export type CelebAMaskOrder = keyof typeof CELEBAMASK_ORDERS;

/**
 * A 256-entry lookup table converting label ids in order `from` to order `to` (matched by
 * part name); values outside 0..18 map to themselves (so 255 stays 255).
 */
export function labelRemapTable(options: {
  from: CelebAMaskOrder;
  to: CelebAMaskOrder;
}): Uint8Array {
  const known = Object.keys(CELEBAMASK_ORDERS);
  for (const key of ['from', 'to'] as const) {
    if (!known.includes(options[key])) {
      throw new Error(
        `labelRemapTable: unknown ${key} order '${options[key]}'; known: ${known.join(', ')}`,
      );
    }
  }
  const src = CELEBAMASK_ORDERS[options.from];
  const dst = CELEBAMASK_ORDERS[options.to];
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = i;
  src.forEach((name, i) => {
    table[i] = dst.indexOf(name);
  });
  return table;
}
