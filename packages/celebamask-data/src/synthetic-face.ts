import { createRng, mixSeed } from './rng.js';
import type { SegSample } from './sample.js';
import type { Canvas } from './synthetic/canvas.js';
import {
  drawEyePlacement,
  drawFace,
  exposeImage,
  hairFillOf,
  paintBackground,
  paintBrows,
  paintClothes,
  paintEars,
  paintEyes,
  paintFringe,
  paintGlasses,
  paintHairBehind,
  paintHat,
  paintLongHair,
  paintMouth,
  paintNeck,
  paintNecklace,
  paintNose,
  paintSkin,
} from './synthetic/painters.js';

export interface SyntheticFaceOptions {
  /** Any integer; the same seed and size give the same face, byte for byte. */
  seed: number;
  /** Width and height in pixels (square). */
  size?: number;
}

export const DEFAULT_SYNTHETIC_FACE_OPTIONS = { size: 128 } as const;

export const SYNTHETIC_FACE_MIN_SIZE = 32;
export const SYNTHETIC_FACE_MAX_SIZE = 4096;

/** A face and its labels (one class id per pixel, official CelebAMask-HQ order). */
export type SyntheticFace = SegSample;

export function resolveSyntheticFaceOptions(
  options: SyntheticFaceOptions,
): Required<SyntheticFaceOptions> {
  const size = options.size ?? DEFAULT_SYNTHETIC_FACE_OPTIONS.size;
  if (!Number.isInteger(size) || size < SYNTHETIC_FACE_MIN_SIZE || size > SYNTHETIC_FACE_MAX_SIZE) {
    throw new Error(
      `generateSyntheticFace: size ${size} must be an integer in ${SYNTHETIC_FACE_MIN_SIZE}..${SYNTHETIC_FACE_MAX_SIZE}`,
    );
  }
  if (!Number.isInteger(options.seed)) {
    throw new Error(`generateSyntheticFace: seed ${options.seed} must be an integer`);
  }
  return { seed: options.seed, size };
}

/**
 * A deterministic procedural face-like image with its label map in the official CelebAMask-HQ
 * order: skin ellipse, hair (short, long or none), eyes, brows, nose, lips (mouth when open),
 * ears, neck and clothes, and sometimes glasses, hat, earrings and necklace. Colours, sizes,
 * positions, tilt and textures vary with the seed. `l_*` parts lie on the image's right.
 */
export function generateSyntheticFace(options: SyntheticFaceOptions): SyntheticFace {
  const { seed, size: S } = resolveSyntheticFaceOptions(options);
  const rng = createRng({ seed: mixSeed(0x5f4ace, seed) });
  const c: Canvas = {
    size: S,
    labels: new Uint8Array(S * S),
    rgb: new Float32Array(S * S * 3),
    noiseSeed: rng.nextUint32() & 0x7fffffff,
  };
  const face = drawFace(rng, S);
  paintBackground(c, face, rng);
  const hairFill = hairFillOf(c, face, rng);
  paintHairBehind(c, face, rng, hairFill);
  const clothTop = paintClothes(c, face, rng);
  const neckW = paintNeck(c, face, rng, clothTop);
  paintNecklace(c, face, rng, { clothTop, neckW });
  paintLongHair(c, face, rng, hairFill);
  paintEars(c, face, rng);
  paintSkin(c, face, rng);
  paintFringe(c, face, rng, hairFill);
  paintHat(c, face, rng);
  const eyes = drawEyePlacement(face, rng);
  paintGlasses(c, face, rng, eyes);
  paintBrows(c, face, rng, eyes);
  paintEyes(c, face, rng, eyes);
  paintNose(c, face, rng);
  paintMouth(c, face, rng);
  return { image: exposeImage(c, rng), labels: c.labels, width: S, height: S };
}
