// mmseg's two ways in for PyTorch weights, on the committed torch.save fixtures: `load_from`
// (the whole model, heads' deeplab-w32.pth) and `pretrained=` (the backbone only, mmcv's
// resnet50_v1c and torchvision's ResNet-50 at width 1/32, backbones' fixtures).
import { initBackend, readPth } from '@facepar/core';
import { createSegmentor, exportSegmentorWeights, type Segmentor } from '@facepar/heads';
import { packageFixture } from '@facepar/test-utils';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initSegmentorWeights } from './init-weights.js';

const MODEL = 'deeplabv3plus_r50-d8@x0.03125';
const raw = (e: { data: ArrayBufferView }) =>
  Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
const pth = (pkg: string, name: string) => packageFixture({ pkg, name });

let seg: Segmentor;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
afterEach(() => seg?.dispose());

describe('initSegmentorWeights', () => {
  it('pretrained: only the backbone takes the mmcv weights; the heads keep their init', async () => {
    const file = pth('backbones', 'resnet50-v1c-w32.pth');
    seg = createSegmentor({ model: MODEL, seed: 0 });
    const init = exportSegmentorWeights(seg);
    const lines = await initSegmentorWeights({ segmentor: seg, pretrained: file });
    expect(lines).toHaveLength(1);

    expect(lines[0]).toMatch(
      /^pretrained backbone .*resnet50-v1c-w32\.pth \(pth-legacy, mmseg-backbone\): \d+ backbone tensors loaded; .*no missing keys; no unexpected keys$/,
    );
    const source = readPth(new Uint8Array(readFileSync(file))).tensors;
    const after = exportSegmentorWeights(seg);
    let backbone = 0;
    for (const [key, entry] of after) {
      if (key.endsWith('num_batches_tracked')) continue;
      if (key.startsWith('backbone.')) {
        const want = source.get(key.slice('backbone.'.length))!;
        expect(raw(entry).equals(raw(want)), key).toBe(true);
        backbone++;
      } else expect(raw(entry).equals(raw(init.get(key)!)), key).toBe(true);
    }
    expect(backbone).toBeGreaterThan(100);
  });

  it("pretrained: torchvision's ResNet-50 on the v1c stem reports what is missing and why", async () => {
    seg = createSegmentor({ model: MODEL, seed: 0 });
    const [line] = await initSegmentorWeights({
      segmentor: seg,
      pretrained: pth('backbones', 'resnet50-tv-w32.pth'),
    });
    expect(line).toMatch(
      /\(pth-zip, torchvision\): \d+ backbone tensors loaded; \d+ keys of other parts skipped \(/,
    );
    expect(line).toMatch(/missing \(\d+\): stem\.0\.weight, /);
    expect(line).toMatch(/unexpected \(\d+\): conv1\.weight, bn1\./);
    expect(line).toMatch(/build the backbone as resnet50-v1b to use it whole$/);
  });

  it('loadFrom: an mmseg .pth checkpoint replaces every weight, strictly', async () => {
    seg = createSegmentor({ model: MODEL, seed: 0 });
    const file = pth('heads', 'deeplab-w32.pth');
    const lines = await initSegmentorWeights({ segmentor: seg, loadFrom: file });
    expect(lines[0]).toMatch(/^load_from .*deeplab-w32\.pth \(pth-zip\): \d+ tensors$/);
    const source = readPth(new Uint8Array(readFileSync(file))).tensors;
    for (const [key, entry] of exportSegmentorWeights(seg)) {
      if (!key.endsWith('num_batches_tracked'))
        expect(raw(entry).equals(raw(source.get(key)!)), key).toBe(true);
    }
    seg.dispose();
    seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', seed: 0 });
    await expect(initSegmentorWeights({ segmentor: seg, loadFrom: file })).rejects.toThrow(
      /deeplab-w32\.pth does not fit this model/,
    );
  });
});
