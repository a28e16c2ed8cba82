import { RESNET_BLOCK_EXPANSION } from './resnet-archs.js';
import type { ResolvedResNetOptions } from './resnet-options.js';

/**
 * The PyTorch state dict of a resolved ResNet, key → shape, in module order, without building
 * any tensor: what an mmseg (`stem.*`, `layerK.B.*`) or torchvision (`conv1`, `bn1`) checkpoint
 * of this architecture holds. BatchNorms list `weight`, `bias`, `running_mean`, `running_var`
 * and `num_batches_tracked` (shape `[]`).
 */
export function resnetStateDictShapes(r: ResolvedResNetOptions): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const conv = (name: string, cin: number, cout: number, k: number) =>
    out.set(`${name}.weight`, [cout, cin, k, k]);
  const bn = (name: string, c: number) => {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${name}.${p}`, [c]);
    out.set(`${name}.num_batches_tracked`, []);
  };
  const { arch, stemChannels: s, inChannels } = r;
  if (arch.deepStem) {
    const h = Math.floor(s / 2);
    [
      [inChannels, h],
      [h, h],
      [h, s],
    ].forEach(([cin, cout], i) => {
      conv(`stem.${3 * i}`, cin!, cout!, 3);
      bn(`stem.${3 * i + 1}`, cout!);
    });
  } else {
    conv('conv1', inChannels, s, 7);
    bn('bn1', s);
  }
  const e = RESNET_BLOCK_EXPANSION[arch.block];
  let inplanes = s;
  arch.stageBlocks.forEach((blocks, i) => {
    const p = r.planes[i]!;
    for (let b = 0; b < blocks; b++) {
      const blk = `layer${i + 1}.${b}`;
      const cin = b === 0 ? inplanes : p * e;
      if (arch.block === 'basic') {
        conv(`${blk}.conv1`, cin, p, 3);
        bn(`${blk}.bn1`, p);
        conv(`${blk}.conv2`, p, p, 3);
        bn(`${blk}.bn2`, p);
      } else {
        conv(`${blk}.conv1`, cin, p, 1);
        bn(`${blk}.bn1`, p);
        conv(`${blk}.conv2`, p, p, 3);
        bn(`${blk}.bn2`, p);
        conv(`${blk}.conv3`, p, p * e, 1);
        bn(`${blk}.bn3`, p * e);
      }
      if (b === 0 && (r.strides[i] !== 1 || inplanes !== p * e)) {
        // v1d puts an AvgPool (no weights) at downsample.0
        const at = arch.avgDown ? 1 : 0;
        conv(`${blk}.downsample.${at}`, inplanes, p * e, 1);
        bn(`${blk}.downsample.${at + 1}`, p * e);
      }
    }
    inplanes = p * e;
  });
  return out;
}

/**
 * Parameter count of a resolved ResNet (PyTorch `sum(p.numel())`: conv weights, BN weight and
 * bias; no running statistics), by arithmetic on `resnetStateDictShapes`.
 */
export function countResNetParams(r: ResolvedResNetOptions): number {
  let n = 0;
  for (const [key, shape] of resnetStateDictShapes(r)) {
    if (key.endsWith('.weight') || key.endsWith('.bias')) n += shape.reduce((a, b) => a * b, 1);
  }
  return n;
}
