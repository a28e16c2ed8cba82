import { convertWeightsFile } from '@facepar/train';
import { UsageError } from '../args.js';
import { FLAGS } from '../flags.js';
import { setupBackend } from './shared.js';
import { type Command, command } from './types.js';

const FLAG_TABLE = {
  model: {
    ...FLAGS.model,
    help: `${FLAGS.model.help}: check the weights fit it and write a facepar checkpoint`,
  },
};

export const createConvertCommand = command(FLAG_TABLE, ({ out }) => ({
  name: 'convert',
  summary: 'convert a PyTorch .pth checkpoint to .safetensors (nothing in it runs)',
  usage: 'facepar convert IN.pth OUT.safetensors [--model NAME]',
  description: `Reads a torch.save checkpoint (zip or legacy) with a restricted unpickler that builds tensors and
plain containers only, and writes its state dict as safetensors. With --model, the weights are
loaded into that segmentor first (strictly) and saved as a facepar checkpoint, so that predict
and eval need no --model.`,
  positionals: true,
  async run({ values, positionals }) {
    if (positionals.length !== 2) {
      throw new UsageError(
        `convert: expected IN.pth OUT.safetensors, got ${positionals.length} paths`,
      );
    }
    const [input, output] = positionals as [string, string];
    if (values.model) await setupBackend({ backend: 'cpu', out: () => {} });
    out(await convertWeightsFile({ input, output, model: values.model }));
    return 0;
  },
}));

export const convertCommand: Command = createConvertCommand();
