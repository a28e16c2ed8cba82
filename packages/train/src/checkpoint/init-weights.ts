import { backboneStateDictFromCheckpoint } from '@facepar/backbones';
import { readWeightsFile } from '@facepar/core';
import { loadSegmentorWeights, type Segmentor } from '@facepar/heads';
import { importModelWeights } from './model-state.js';

/** `a, b, c (+12 more)`: a key list short enough for one log line. */
function keyList(keys: readonly string[], max = 8): string {
  const shown = keys.slice(0, max).join(', ');
  return keys.length > max ? `${shown} (+${keys.length - max} more)` : shown;
}

/**
 * Initialises a new run's segmentor from files (`.safetensors` or `.pth`, told apart by
 * content): `loadFrom` the whole model, strictly (mmseg `load_from`), then `pretrained` only its
 * backbone (mmseg `model.pretrained`), mapped by rule from an mmseg, mmcv, mmcls or torchvision
 * checkpoint; the keys missing from it and those it has beyond the backbone are reported, as
 * mmcv's `load_checkpoint` logs them. Returns one line per file loaded.
 */
export async function initSegmentorWeights(options: {
  segmentor: Segmentor;
  loadFrom?: string | null;
  pretrained?: string | null;
}): Promise<string[]> {
  const { segmentor, loadFrom, pretrained } = options;
  const lines: string[] = [];
  if (loadFrom) {
    const file = await readWeightsFile(loadFrom);
    importModelWeights({ model: segmentor.model, entries: file.tensors, source: loadFrom });
    lines.push(`load_from ${loadFrom} (${file.kind}): ${file.tensors.size} tensors`);
  }
  if (pretrained) {
    const file = await readWeightsFile(pretrained);
    const r = backboneStateDictFromCheckpoint({
      tensors: file.tensors,
      backbone: segmentor.spec.backbone,
    });
    if (r.tensors.size === 0) {
      throw new Error(
        `${pretrained}: no tensor fits the ${segmentor.spec.backbone.arch} backbone (format ${r.format}; missing ${keyList(r.missing)})${r.hint ? `; ${r.hint}` : ''}`,
      );
    }
    const report = loadSegmentorWeights(segmentor, r.tensors, {
      format: 'mmseg-backbone',
      strict: false,
      source: pretrained,
    });
    const parts = [`${report.loaded.length} backbone tensors loaded`];
    if (r.dropped.length > 0)
      parts.push(`${r.dropped.length} keys of other parts skipped (${keyList(r.dropped, 4)})`);
    parts.push(
      r.missing.length === 0
        ? 'no missing keys'
        : `missing (${r.missing.length}): ${keyList(r.missing)}`,
    );
    parts.push(
      r.unexpected.length === 0
        ? 'no unexpected keys'
        : `unexpected (${r.unexpected.length}): ${keyList(r.unexpected)}`,
    );
    if (r.mismatched.length > 0) {
      const m = r.mismatched.map(
        (x) => `${x.key} ${JSON.stringify(x.got)}≠${JSON.stringify(x.expected)}`,
      );
      parts.push(`shape mismatches (${m.length}, not loaded): ${keyList(m)}`);
    }
    if (r.hint) parts.push(r.hint);
    lines.push(
      `pretrained backbone ${pretrained} (${file.kind}, ${r.format}): ${parts.join('; ')}`,
    );
  }
  return lines;
}
