import { describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { createParamsCommand } from './params.js';

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await createParamsCommand({ out: (l) => lines.push(l) }).run(argv);
  return { code, text: lines.join('\n') };
}

describe('facepar params', () => {
  it("prints deeplabv3plus_r50-d8's counts by part (the report's 43,589,878)", async () => {
    const { code, text } = await run(['--model', 'deeplabv3plus_r50-d8']);
    expect(code).toBe(0);
    expect(text).toContain('deeplabv3plus_r50-d8 (19 classes)');
    expect(text).toMatch(/backbone\s+23,527,264/);
    expect(text).toMatch(/decode_head\s+17,697,923/);
    expect(text).toMatch(/auxiliary_head\s+2,364,691/);
    expect(text).toMatch(/total\s+43,589,878/);
    expect(text).toMatch(/total without auxiliary_head\s+41,225,187/);
  });

  it('prints JSON and follows --num-classes', async () => {
    const { text } = await run(['--model', 'deeplabv3plus_r50-d8', '--num-classes', '8', '--json']);
    expect(JSON.parse(text)).toMatchObject({
      model: 'deeplabv3plus_r50-d8',
      numClasses: 8,
      backbone: 23_527_264,
      total: 43_589_878 - 11 * (513 + 257),
    });
  });

  it('rejects unknown models listing the registered ones', async () => {
    await expect(run(['--model', 'unet'])).rejects.toThrow(UsageError);
    await expect(run(['--model', 'unet'])).rejects.toThrow(
      /--model: unknown segmentor 'unet'; known: deeplabv3plus_r50-d8, deeplabv3plus_r18-d16-thin/,
    );
    await expect(run([])).rejects.toThrow(/--model is required/);
  });
});
