import { encode } from 'fast-png';

/** An 8-bit RGB image (HWC bytes) as a PNG file (label maps use metrics' `encodeLabelPng`). */
export function encodeRgbPng(options: {
  rgb: Uint8Array;
  width: number;
  height: number;
}): Uint8Array {
  const { rgb, width, height } = options;
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}
