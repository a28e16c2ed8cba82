import { convertPthFile, readWeightsFile, writeFileAtomic } from '@facepar/core';
import { exportSegmentorCheckpointAsync, openSegmentor } from '@facepar/heads';

/**
 * `facepar convert in.pth out.safetensors`: a `.pth` state dict (read by core's restricted
 * unpickler; nothing in it runs) as safetensors, written atomically. With `model`, the weights
 * are first loaded into that registered segmentor (strictly: every key must fit) and written as
 * a facepar segmentor checkpoint, which names its model for `predict` and `eval`.
 */
export async function convertWeightsFile(options: {
  input: string;
  output: string;
  model?: string;
}): Promise<string> {
  const { input, output, model } = options;
  if (model === undefined) {
    const r = await convertPthFile({ input, output });
    const skipped = r.pth.nonTensorKeys.length;
    const extra = skipped > 0 ? `; ${skipped} non-tensor entries left out` : '';
    return `${input} (${r.pth.format}, state dict '${r.pth.stateDictKey}') -> ${output}: ${r.tensors} tensors, ${r.bytes} bytes${extra}`;
  }
  const file = await readWeightsFile(input);
  const withAuxiliary = [...file.tensors.keys()].some((k) => k.startsWith('auxiliary_head.'));
  const segmentor = openSegmentor(file, { model, source: input, withAuxiliary });
  try {
    const bytes = await exportSegmentorCheckpointAsync(segmentor);
    await writeFileAtomic({ path: output, data: bytes });
    return `${input} (${file.kind}) -> ${output}: a ${model} checkpoint, ${file.tensors.size} tensors, ${bytes.length} bytes`;
  } finally {
    segmentor.dispose();
  }
}
