import { RESNET_BLOCK_EXPANSION } from './resnet-archs.js';
import type { ResolvedResNetOptions } from './resnet-options.js';

/** Conv (no bias) + BN parameter count: weights plus BN gamma/beta (running stats excluded). */
function convBn(cin: number, cout: number, k: number): number {
  return cin * cout * k * k + 2 * cout;
}

/**
 * Parameter count of a resolved ResNet by arithmetic (PyTorch `sum(p.numel())`: conv weights,
 * BN weight and bias; no running statistics), without building any tensor.
 */
export function countResNetParams(r: ResolvedResNetOptions): number {
  const { arch, stemChannels: s, inChannels } = r;
  const h = Math.floor(s / 2);
  let n = arch.deepStem
    ? convBn(inChannels, h, 3) + convBn(h, h, 3) + convBn(h, s, 3)
    : convBn(inChannels, s, 7);
  const e = RESNET_BLOCK_EXPANSION[arch.block];
  let inplanes = s;
  arch.stageBlocks.forEach((blocks, i) => {
    const p = r.planes[i]!;
    for (let b = 0; b < blocks; b++) {
      const cin = b === 0 ? inplanes : p * e;
      n +=
        arch.block === 'basic'
          ? convBn(cin, p, 3) + convBn(p, p, 3)
          : convBn(cin, p, 1) + convBn(p, p, 3) + convBn(p, p * e, 1);
      if (b === 0 && (r.strides[i] !== 1 || inplanes !== p * e)) n += convBn(inplanes, p * e, 1);
    }
    inplanes = p * e;
  });
  return n;
}
