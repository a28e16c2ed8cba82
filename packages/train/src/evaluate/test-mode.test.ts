import { getSegmentorSpec, type SegmentorSpec } from '@facepar/heads';
import { describe, expect, it } from 'vitest';
import { withTestMode } from './predict-file.js';

describe('withTestMode', () => {
  const spec: SegmentorSpec = {
    ...getSegmentorSpec('deeplabv3plus_r50-d8'),
    test: { mode: 'whole', scale: [2048, 512] },
  };
  it("keeps the spec's test pipeline unless a mode is chosen; slide windows default to the crop", () => {
    expect(withTestMode({ spec: spec })).toEqual({ mode: 'whole', scale: [2048, 512] });
    expect(withTestMode({ spec: spec, mode: 'slide' })).toEqual({
      mode: 'slide',
      crop: [512, 512],
      stride: [341, 341],
      scale: [2048, 512],
    });
    expect(withTestMode({ spec: spec, mode: 'slide', crop: 256, stride: 200 })).toMatchObject({
      crop: [256, 256],
      stride: [200, 200],
    });
    expect(() => withTestMode({ spec: spec, crop: 256 })).toThrow(
      'crop and stride need the slide test mode',
    );
  });
});
